"""Fan-out to lobby screens and staff tablets, so that no slow client slows ingest.

Screens need only the latest state: each keeps one slot that a newer state overwrites.
Tablets need every alert change, in order: each has a bounded queue, and a tablet that
falls that far behind is disconnected and resyncs from the snapshot when it returns.
:class:`Fanout` is the interface the hub publishes to; a chain of halls would put a
message bus behind the same three methods.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from aiohttp import web


__all__ = ["DisplayClient", "Fanout", "LocalFanout", "StaffClient", "STAFF_QUEUE_LIMIT", "CLOSE_TOO_SLOW"]

log = logging.getLogger(__name__)

STAFF_QUEUE_LIMIT = 1000
"""Alert messages a tablet may have unsent before it is cut off to resync."""

CLOSE_TOO_SLOW = 4008
"""Close code for a tablet that fell behind: reconnect and take the snapshot."""


class DisplayClient:
    """One lobby screen: latest state wins."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self._latest: str | None = None
        self._ready = asyncio.Event()

    def offer(self, text: str) -> None:
        self._latest = text
        self._ready.set()

    async def run_sender(self) -> None:
        """Send the newest state whenever there is one; return when the socket closes."""
        while not self.ws.closed:
            await self._ready.wait()
            self._ready.clear()
            text, self._latest = self._latest, None
            if text is not None:
                await self.ws.send_str(text)


class StaffClient:
    """One tablet: every alert change, in order, up to a bound."""

    def __init__(self, ws: web.WebSocketResponse, limit: int | None = None) -> None:
        self.ws = ws
        self._queue: asyncio.Queue[str] = asyncio.Queue(maxsize=limit or STAFF_QUEUE_LIMIT)
        self.too_slow = False

    def offer(self, text: str) -> None:
        if self.too_slow:
            return
        try:
            self._queue.put_nowait(text)
        except asyncio.QueueFull:
            self.too_slow = True
            log.warning("staff client fell %d messages behind: disconnecting it to resync",
                        self._queue.maxsize)
            asyncio.ensure_future(self.ws.close(code=CLOSE_TOO_SLOW, message=b"too slow, resync"))

    async def run_sender(self) -> None:
        while not self.ws.closed:
            text = await self._queue.get()
            await self.ws.send_str(text)


class Fanout(Protocol):
    """Where the hub publishes."""

    def publish_display(self, text: str) -> None:
        """Offer the newest display.state to every screen."""

    def publish_staff(self, text: str) -> None:
        """Queue one staff message for every tablet."""

    def counts(self) -> dict[str, int]:
        """Return the connected clients per feed."""


class LocalFanout:
    """Fan-out to the clients connected to this process."""

    def __init__(self) -> None:
        self.displays: set[DisplayClient] = set()
        self.staff: set[StaffClient] = set()

    def publish_display(self, text: str) -> None:
        for client in self.displays:
            client.offer(text)

    def publish_staff(self, text: str) -> None:
        for client in self.staff:
            client.offer(text)

    def counts(self) -> dict[str, int]:
        return {"display": len(self.displays), "staff": len(self.staff)}
