"""Fan-out to lobby screens and staff tablets, so that no slow client slows ingest.

Screens need only the latest state: each keeps one slot that a newer state overwrites.
Tablets need every alert change, in order: each has a bounded queue, and a tablet that
falls that far behind is disconnected and resyncs from the snapshot when it returns.
:class:`Fanout` is the interface between the hub (publishes) and the endpoints (subscribe
their clients); a chain of halls would put a message bus behind the same five methods.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from aiohttp import web


__all__ = ["DisplayClient", "Fanout", "LocalFanout", "StaffClient", "STAFF_QUEUE_LIMIT", "CLOSE_TOO_SLOW",
           "Unsubscribe", "text_frame"]

log = logging.getLogger(__name__)

STAFF_QUEUE_LIMIT = 1000
"""Alert messages a tablet may have unsent before it is cut off to resync."""

CLOSE_TOO_SLOW = 4008
"""Close code for a tablet that fell behind: reconnect and take the snapshot."""

SLOW_BYTES = 64 * 1024
"""Unsent bytes from which a screen counts as slow and gets only the newest state (~30 states)."""

DRAIN_POLL_S = 0.05
"""How often a slow screen's sender looks whether its socket drained."""

BROADCAST_CHUNK = 100
"""Screens written per turn of the event loop."""


class DisplayClient:
    """One lobby screen: latest state wins.

    A state goes straight into the socket's transport while the screen keeps up, so one
    broadcast to a thousand screens costs a thousand writes of the same bytes, with no task
    switch or JSON work per screen. A screen with ``SLOW_BYTES`` unsent is left alone; its
    sender task writes the newest state once the socket has drained.
    """

    def __init__(self, ws: web.WebSocketResponse, transport: asyncio.Transport | None) -> None:
        self.ws = ws
        self.transport = transport
        self._latest: bytes | None = None
        self._ready = asyncio.Event()
        self.last = b""
        """The newest frame offered: never the same state twice."""

    def offer(self, frame: bytes) -> None:
        """Send ``frame`` (see :func:`text_frame`) now, or keep it if the screen is behind."""
        self.last = frame
        if self._latest is None and self._unsent() < SLOW_BYTES:
            self._write(frame)
        else:
            self._latest = frame
            self._ready.set()

    def _unsent(self) -> int:
        return self.transport.get_write_buffer_size() if self.transport is not None else 0

    def _write(self, frame: bytes) -> None:
        # Never after aiohttp started the close handshake: a frame after Close breaks the protocol.
        if not self.ws.closed and self.transport is not None and not self.transport.is_closing():
            self.transport.write(frame)

    async def run_sender(self) -> None:
        """Send the newest state to a slow screen once it caught up; return when the socket closes."""
        while not self.ws.closed:
            await self._ready.wait()
            while self._unsent() >= SLOW_BYTES and not self.ws.closed:
                await asyncio.sleep(DRAIN_POLL_S)
            self._ready.clear()
            frame, self._latest = self._latest, None
            if frame is not None:
                self._write(frame)


def text_frame(text: str) -> bytes:
    """Return ``text`` as one unmasked WebSocket text frame (RFC 6455 5.2), as a server sends it.

    Written beside aiohttp's own frames on the same transport: each write is a whole frame, and
    display sockets never compress, so the bytes are the same for every screen.
    """
    payload = text.encode()
    n = len(payload)
    if n < 126:
        header = bytes((0x81, n))
    elif n < 1 << 16:
        header = bytes((0x81, 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + n.to_bytes(8, "big")
    return header + payload


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


Unsubscribe = Callable[[], None]
"""Returned by a subscription: call it (once or more) when the client goes away."""


class Fanout(Protocol):
    """Where the hub publishes and where each endpoint subscribes its clients.

    Publishing never waits for a client: a slow or stalled one only ever holds up itself.
    Another implementation (a message bus between the halls of a chain) keeps that rule, the
    latest-wins rule for screens and the order of staff messages.
    """

    def subscribe_display(self, client: DisplayClient) -> Unsubscribe:
        """Offer ``client`` every display.state published from now on, the newest first."""

    def subscribe_staff(self, client: StaffClient) -> Unsubscribe:
        """Queue for ``client`` every staff message published from now on, in order."""

    def publish_display(self, text: str) -> None:
        """Offer the newest display.state to every screen."""

    def publish_staff(self, text: str) -> None:
        """Queue one staff message for every tablet."""

    def counts(self) -> dict[str, int]:
        """Return the connected clients per feed."""


class LocalFanout:
    """Fan-out to the clients connected to this process."""

    def __init__(self) -> None:
        self._displays: set[DisplayClient] = set()
        self._staff: set[StaffClient] = set()
        self._frame = b""
        self._broadcast: asyncio.Task[None] | None = None

    def subscribe_display(self, client: DisplayClient) -> Unsubscribe:
        self._displays.add(client)
        return lambda: self._displays.discard(client)

    def subscribe_staff(self, client: StaffClient) -> Unsubscribe:
        self._staff.add(client)
        return lambda: self._staff.discard(client)

    def publish_display(self, text: str) -> None:
        self._frame = text_frame(text)
        if self._broadcast is None or self._broadcast.done():
            self._broadcast = asyncio.get_running_loop().create_task(self._send_display_frames())

    async def _send_display_frames(self) -> None:
        # A thousand screens take ~10 ms of socket writes: in chunks, the acks and alert messages
        # waiting on the loop go out in between instead of after the whole round. A state that
        # comes in mid-round goes to the screens not yet served, then to the others.
        while True:
            behind = [client for client in self._displays if client.last != self._frame]
            if not behind:
                return
            for start in range(0, len(behind), BROADCAST_CHUNK):
                frame = self._frame
                for client in behind[start:start + BROADCAST_CHUNK]:
                    if client.last != frame:
                        client.offer(frame)
                await asyncio.sleep(0)

    def publish_staff(self, text: str) -> None:
        for client in self._staff:
            client.offer(text)

    def counts(self) -> dict[str, int]:
        return {"display": len(self._displays), "staff": len(self._staff)}
