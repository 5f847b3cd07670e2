"""Head office and halls as real processes, on a real PostgreSQL (the embedded one, started once)."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
import pytest

from server.hq.pg import EmbeddedPostgres

from aiohttp import web

from tests.browser.conftest import browser  # noqa: F401 - the fixture, for the hq tests that open a page
from tests.processes import REPO, Process, free_port  # noqa: F401 - the hq tests import them from here


HQ_TOKEN = "chain-secret"
_databases = itertools.count(1)


def _own_dir() -> Path:
    # Not under pytest's tmp: run as root, PostgreSQL runs as another user and must pass through
    # every folder above its data dir, and each pytest session (a parallel run too) takes the
    # others' rights off /tmp/pytest-of-root again.
    return Path(tempfile.mkdtemp(prefix="waitwell-hq-test-"))


@pytest.fixture(scope="session")
def postgres() -> Iterator[EmbeddedPostgres]:
    folder = _own_dir()
    server = EmbeddedPostgres(folder / "postgres")
    server.start()
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_dir() -> Iterator[Path]:
    """A folder for a PostgreSQL data dir of the test's own (see _own_dir)."""
    folder = _own_dir()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def database(postgres: EmbeddedPostgres) -> str:
    """A fresh database of its own for one test: its DSN."""
    name = f"hq_test_{os.getpid()}_{next(_databases)}"
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return postgres.dsn.rsplit("/", 1)[0] + "/" + name


def hq_process(data_dir: Path, port: int, *, db: str | None, config: Path | None = None) -> Process:
    argv = ["hq", "--port", str(port), "--data-dir", str(data_dir), "--token", HQ_TOKEN, "--log-level", "INFO",
            *(["--db", db] if db else []), *(["--config", str(config)] if config else [])]
    data_dir.mkdir(parents=True, exist_ok=True)
    return Process(argv, f"http://127.0.0.1:{port}", data_dir / "hq.log")


def hall_process(data_dir: Path, port: int, *, hq_url: str, hall_id: str, token: str = HQ_TOKEN) -> Process:
    argv = ["serve", "--port", str(port), "--data-dir", str(data_dir), "--clock", "event", "--queue-token", "q",
            "--staff-token", "s", "--log-level", "INFO", "--hq", hq_url, "--hall-id", hall_id, "--hq-token", token]
    data_dir.mkdir(parents=True, exist_ok=True)
    return Process(argv, f"http://127.0.0.1:{port}", data_dir / "hall.log")


async def get_json(session: aiohttp.ClientSession, url: str, token: str) -> tuple[int, Any]:
    async with session.get(url, headers={"Authorization": f"Bearer {token}"}) as resp:
        return resp.status, await resp.json()


async def post_events(session: aiohttp.ClientSession, hall_url: str, events: list[dict[str, Any]]) -> None:
    async with session.post(hall_url + "/api/events", json=events, headers={"Authorization": "Bearer q"}) as resp:
        assert resp.status == 200
        replies = await resp.json()
    assert all(r["type"] == "ack" for r in replies), [r for r in replies if r["type"] != "ack"][:3]


async def wait_for(check: Any, timeout: float = 20.0, every: float = 0.1) -> Any:
    """Await ``check()`` until it returns something true; fail after ``timeout`` s."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not reached in {timeout} s: last {value!r}")
        await asyncio.sleep(every)


async def start_wan(path: str, handler: Any) -> tuple[web.AppRunner, str]:
    """A WAN between a hall and head office that the test controls: ``handler`` answers POSTs to ``path``."""
    wan = web.Application()
    wan.router.add_post(path, handler)
    runner = web.AppRunner(wan)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"
