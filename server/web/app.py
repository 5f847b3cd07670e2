"""Build the aiohttp application for one hall."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path

from aiohttp import web

from ..config import HallConfig
from .hub import ClockMode, Hub, utcnow
from .clients import TRUSTED_PROXIES
from .forwarder import Forwarder, HQLink
from .journal import SQLiteJournal
from .keys import FORWARDER, HUB, SOCKETS, TOKENS
from .metrics import Metrics
from .nearby import NearbyHalls
from .pages import setup_pages
from .phone import setup_phone
from .when import setup_when
from .routes import close_sockets, routes
from .retention import DEFAULT_KEEP_DAYS, run_retention
from .tokens import Tokens


__all__ = ["create_app", "JOURNAL_FILE"]

JOURNAL_FILE = "journal.sqlite3"

MAX_POST_BYTES = 16 * 1024 * 1024
"""A POST batch may hold a whole day of events."""


def create_app(config: HallConfig, *, data_dir: Path, tokens: Tokens, clock: ClockMode = "wall",
               wall_clock: Callable[[], datetime] = utcnow, hq: HQLink | None = None,
               keep_days: float = DEFAULT_KEEP_DAYS, trusted_proxies: frozenset[str] = frozenset()) -> web.Application:
    """Return the application; the hall is rebuilt from ``data_dir`` when it starts.

    With ``hq``, the journal is forwarded to head office from a task beside the hub. Records older
    than ``keep_days`` are pruned (never those head office has not acknowledged). Requests from
    ``trusted_proxies`` count the client they forward for (web/clients.py).
    """
    app = web.Application(client_max_size=MAX_POST_BYTES)
    metrics = Metrics()
    journal = SQLiteJournal(data_dir / JOURNAL_FILE, on_commit=metrics.observe_commit)
    hub = Hub(config, journal, clock=clock, wall_clock=wall_clock, metrics=metrics)
    app[HUB] = hub
    app[TOKENS] = tokens
    app[SOCKETS] = weakref.WeakSet()
    app[TRUSTED_PROXIES] = trusted_proxies

    forwarder = nearby = None
    if hq is not None:
        forwarder = app[FORWARDER] = Forwarder(hq, data_dir / JOURNAL_FILE, data_dir, journal.last_seq,
                                               wall_clock=wall_clock)
        nearby = NearbyHalls(hq, hub, wall_clock)

    async def run_hub(app: web.Application) -> AsyncIterator[None]:
        await hub.start()
        tasks = [asyncio.create_task(run_retention(
            data_dir / JOURNAL_FILE, keep_days,
            (lambda: forwarder.acknowledged_seq) if forwarder is not None else None), name="journal-retention")]
        if forwarder is not None:
            tasks.append(asyncio.create_task(forwarder.run(), name="hq-forwarder"))
        if nearby is not None:
            tasks.append(asyncio.create_task(nearby.run(), name="hq-nearby"))
        yield
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await hub.stop()

    app.cleanup_ctx.append(run_hub)
    app.on_shutdown.append(close_sockets)
    app.add_routes(routes)
    setup_pages(app)
    setup_when(app, data_dir)
    if nearby is not None:
        # Beside the quiet hours that setup_when put there: both go into every display.state.
        quiet, live = hub.display.extras, nearby.fields
        hub.display.extras = (lambda: {**quiet(), **live()}) if quiet is not None else live
    setup_phone(app, data_dir, config.id)
    return app
