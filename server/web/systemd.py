"""Tell systemd when the server is ready, and ping its watchdog while the event loop runs."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from signage.sd_notify import Notifier


__all__ = ["systemd_notify"]


def systemd_notify(notifier: Notifier) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context for ``app.cleanup_ctx``, appended after the hub's.

    Contexts start in order, so READY=1 goes out once the journal is replayed and the hall can
    answer. The pings come from a task on the same loop as every request: a loop stuck in a
    handler stops them, and systemd restarts the server after WatchdogSec.
    """

    async def context(app: web.Application) -> AsyncIterator[None]:
        notifier.ready()
        task = None
        if notifier.interval_s is not None:
            task = asyncio.create_task(_ping(notifier), name="systemd-watchdog")
        yield
        notifier.stopping()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return context


async def _ping(notifier: Notifier) -> None:
    interval = notifier.interval_s
    assert interval is not None
    while True:
        notifier.ping(time.monotonic())
        await asyncio.sleep(interval)
