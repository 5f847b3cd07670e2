"""The hall's side of "try a nearby hall": ask head office which nearby halls are calmer, while busy.

Only a busy hall asks (``GET {hq}/api/halls/{id}/nearby``, its hq token): when its busy notice
goes up, then every REFRESH_S while it stays up and a screen is watching. The answer is kept
here and turned into display.state's ``nearby`` by :func:`server.nearby_halls.choose_nearby`;
a head office that is slow, down or refusing costs nothing but the live list (the screens fall
back to the static nearby halls of their content). The request runs in its own task: ingest and
the screens never wait for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import aiohttp

from ..nearby_halls import MAX_AGE_S, choose_nearby, expected_wait_s
from ..wire import busy
from .forwarder import HQLink
from .hub import Hub


__all__ = ["NearbyHalls", "REFRESH_S", "TIMEOUT_S"]

log = logging.getLogger(__name__)

REFRESH_S = 15.0
"""A busy hall asks again this often (a lost answer is retried as often: the session reconnects)."""
TIMEOUT_S = 5.0
"""Longer than this, the answer would be late for the screens anyway."""

_NOT_BUSY: dict[str, Any] = {"nearby": None}


class NearbyHalls:
    """Head office's last answer about the hall's nearby halls, and the task that asks for it."""

    def __init__(self, link: HQLink, hub: Hub, wall_clock: Callable[[], datetime]) -> None:
        self.link = link
        self.hub = hub
        self.wall_clock = wall_clock
        self._url = f"{link.url.rstrip('/')}/api/halls/{link.hall_id}/nearby"
        self._rows: Any = None
        self._fetched_at: datetime | None = None
        self._asked_at: datetime | None = None
        self._wake = asyncio.Event()
        self._own: tuple[int, float | None] = (-1, None)
        """The hall's version and its expected wait then (the wait is worked out once per version)."""
        self._failing: str | None = None

    def fields(self) -> dict[str, Any]:
        """display.state's ``nearby`` (a display feed extra): null unless busy with a live answer."""
        hall = self.hub.hall
        if not busy(hall):
            return _NOT_BUSY
        now = self.wall_clock()
        if self._asked_at is None or (now - self._asked_at).total_seconds() >= REFRESH_S:
            self._asked_at = now
            self._wake.set()
        if self._own[0] != hall.version:
            self._own = hall.version, expected_wait_s(hall)
        return {"nearby": choose_nearby(self._rows, own_wait_s=self._own[1], own_waiting=len(hall.waiting),
                                        fetched_at=self._fetched_at, now=now, tz=hall.tz)}

    async def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.link.token}"} if self.link.token else {}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_S), headers=headers) as session:
            while True:
                await self._wake.wait()
                self._wake.clear()
                await self._ask(session)
                self.hub.look_again()

    async def _ask(self, session: aiohttp.ClientSession) -> None:
        try:
            async with session.get(self._url) as response:
                answer = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            self._failed(f"head office unreachable: {exc.__class__.__name__} {exc}")
            return
        if status != 200 or not isinstance(answer, dict) or not isinstance(answer.get("nearby"), list):
            self._failed(f"head office answered {status}: {str(answer)[:200]}")
            return
        self._rows, self._fetched_at = answer["nearby"], self.wall_clock()
        if self._failing is not None:
            log.info("nearby halls: head office answers again")
            self._failing = None

    def _failed(self, why: str) -> None:
        # Logged once per kind of failure: a busy hall asks every 15 s.
        if why != self._failing:
            log.warning("nearby halls: %s (the lobby shows its static nearby halls once the last answer "
                        "is %g s old)", why, MAX_AGE_S)
            self._failing = why
