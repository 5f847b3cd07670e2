"""Fixtures for the browser tests: a real server on a free port and Debian's headless Chromium."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from server.config_file import load_config
from server.web.app import create_app
from server.web.tokens import Tokens


CHROMIUM = os.environ.get("WAITWELL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--autoplay-policy=no-user-gesture-required"]

QUEUE_TOKEN = "q"
STAFF_TOKEN = "s"
DAY = "2026-11-30"
"""The business day every browser test plays in (hall time, +08:00)."""

WAIT_MS = 10_000
"""How long a Playwright wait may take before the test fails (generous: CI machines are slow)."""


def at(clock: str) -> str:
    """Return the hall time ``HH:MM[:SS]`` of the test day as an ISO string with the hall's offset."""
    return f"{DAY}T{clock if clock.count(':') == 2 else clock + ':00'}+08:00"


class LiveServer:
    """The real aiohttp application on 127.0.0.1, stoppable and restartable on the same port."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = 0
        self.runner: web.AppRunner | None = None
        self._seq = 0

    async def start(self) -> None:
        app = create_app(load_config(None), data_dir=self.data_dir,
                         tokens=Tokens(queue=QUEUE_TOKEN, staff=STAFF_TOKEN, display=None), clock="event")
        self.runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        self.port = self.runner.addresses[0][1]

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def push(self, *events: dict[str, Any]) -> list[dict[str, Any]]:
        """Send events over the queue WebSocket and return the replies once every one is acked."""
        import websockets

        out = []
        for event in events:
            self._seq += 1
            out.append({"id": f"t{self._seq}", **event})
        replies = []
        async with websockets.connect(f"ws://127.0.0.1:{self.port}/ws/queue?token={QUEUE_TOKEN}") as ws:
            for event in out:
                await ws.send(json.dumps(event))
            for event in out:
                reply = json.loads(await ws.recv())
                assert reply == {"type": "ack", "id": event["id"]}, reply
                replies.append(reply)
        return replies

    async def get(self, path: str) -> Any:
        async with aiohttp.ClientSession() as session:
            async with session.get(self.url(path), headers={"Authorization": f"Bearer {STAFF_TOKEN}"}) as r:
                assert r.status == 200, await r.text()
                return await r.json()


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    live = LiveServer(tmp_path / "data")
    await live.start()
    try:
        yield live
    finally:
        await live.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium (apt-get install chromium) "
                    "to run the browser tests")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


async def care_15_scene(server: LiveServer, ticket: str = "A001") -> None:
    """One window open, ``ticket`` issued at 09:00, the hall clock at 09:16: a care_15 alert."""
    await server.push(
        {"type": "window.opened", "at": at("09:00"), "window": "1"},
        {"type": "ticket.issued", "at": at("09:00"), "ticket": ticket, "service": "quick"},
        {"type": "clock.tick", "at": at("09:16")},
    )
