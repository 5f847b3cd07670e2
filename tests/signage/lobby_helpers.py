"""Shared helpers of the lobby-screen tests (sample states, wire calls, paths)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any


REPO = Path(__file__).resolve().parents[2]
if str(REPO / "bench") not in sys.path:
    sys.path.insert(0, str(REPO / "bench"))

from display_feed import TZ, FeedServer, sample_state  # noqa: E402


CONTENT = REPO / "content"
T0 = datetime(2026, 11, 30, 10, 15, 2, tzinfo=TZ)


def call(ticket: str, window: str, at: datetime, recall: bool = False) -> dict[str, Any]:
    """Return a wire call entry."""
    return {"ticket": ticket, "window": window, "called_at": at.isoformat(), "recall": recall, "service": "quick"}


def state_msg(seq: int = 1, at: datetime = T0, calls: list[dict[str, Any]] | None = None, **kw: Any) -> dict[str, Any]:
    """Return a display.state wire message of the sample hall."""
    return sample_state(seq, at, calls, **kw)


async def until(cond: Callable[[], object], timeout: float = 15.0) -> None:
    """Wait until ``cond()`` is true; fail after ``timeout`` seconds (generous: two cores, many tests)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.02)


__all__ = ["REPO", "CONTENT", "T0", "TZ", "FeedServer", "call", "state_msg", "until"]
