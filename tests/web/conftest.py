"""A real server on a free 127.0.0.1 port, with a clock the test controls."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest_asyncio
from aiohttp import web

from server.config_file import load_config
from server.web.app import create_app
from server.web.keys import HUB
from server.web.tokens import Tokens

from tests.halltools import T0


QUEUE, STAFF = "queue-secret", "staff-secret"


@dataclass
class FakeClock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Running:
    app: web.Application
    runner: web.AppRunner
    url: str
    session: aiohttp.ClientSession
    clock: FakeClock
    data_dir: Path
    sockets: list[Any] = field(default_factory=list)

    @property
    def hub(self):
        return self.app[HUB]

    def ws_url(self, path: str, token: str | None = None) -> str:
        base = self.url.replace("http://", "ws://") + path
        return f"{base}?token={token}" if token else base

    async def queue_socket(self) -> aiohttp.ClientWebSocketResponse:
        ws = await self.session.ws_connect(self.ws_url("/ws/queue"), headers={"Authorization": f"Bearer {QUEUE}"})
        self.sockets.append(ws)
        return ws

    async def staff_socket(self) -> aiohttp.ClientWebSocketResponse:
        ws = await self.session.ws_connect(self.ws_url("/ws/staff", STAFF))
        self.sockets.append(ws)
        return ws

    async def post(self, events: Any) -> list[dict[str, Any]]:
        async with self.session.post(self.url + "/api/events", json=events,
                                     headers={"Authorization": f"Bearer {QUEUE}"}) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()

    async def state(self) -> dict[str, Any]:
        async with self.session.get(self.url + "/api/state", headers={"Authorization": f"Bearer {STAFF}"}) as resp:
            assert resp.status == 200
            return await resp.json()


async def receive_json(ws: aiohttp.ClientWebSocketResponse, timeout: float = 5.0) -> dict[str, Any]:
    msg = await asyncio.wait_for(ws.receive(), timeout)
    assert msg.type is aiohttp.WSMsgType.TEXT, f"expected a text frame, got {msg.type}: {msg.data!r}"
    return json.loads(msg.data)


async def start_server(data_dir: Path, clock: str = "event", fake: FakeClock | None = None,
                       config=None) -> Running:
    fake = fake or FakeClock()
    app = create_app(config or load_config(), data_dir=data_dir,
                     tokens=Tokens(queue=QUEUE, staff=STAFF, display=None), clock=clock, wall_clock=fake)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return Running(app, runner, f"http://127.0.0.1:{port}", aiohttp.ClientSession(), fake, data_dir)


async def stop_server(running: Running) -> None:
    for ws in running.sockets:
        await ws.close()
    await running.session.close()
    await running.runner.cleanup()


@pytest_asyncio.fixture
async def server(tmp_path: Path) -> AsyncIterator[Running]:
    running = await start_server(tmp_path, clock="event")
    yield running
    await stop_server(running)


@pytest_asyncio.fixture
async def wall_server(tmp_path: Path) -> AsyncIterator[Running]:
    running = await start_server(tmp_path, clock="wall")
    yield running
    await stop_server(running)
