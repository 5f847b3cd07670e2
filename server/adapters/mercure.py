"""A Mercure subscriber: server-sent events read line by line, resumed from Last-Event-ID after a drop.

Written from the Mercure protocol (the IETF draft ``draft-dunglas-mercure``: a GET on the hub
with one ``topic`` query parameter per topic, ``Last-Event-ID`` to resume) and the WHATWG
server-sent events format (``id:``, ``event:``, ``data:``, ``retry:``, a blank line ends a message).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp


__all__ = ["SseMessage", "SseDecoder", "Subscriber"]

log = logging.getLogger("waitwell.adapt")


@dataclass(frozen=True)
class SseMessage:
    """One dispatched server-sent event: its ``id`` (None when the block had none), type and data."""

    id: str | None
    event: str
    data: str


class SseDecoder:
    """Lines in (without their line ending), a message out at each blank line that ends one with data."""

    def __init__(self) -> None:
        self._data: list[str] = []
        self._id: str | None = None
        self._event = ""
        self.retry_ms: int | None = None

    def feed(self, line: str) -> SseMessage | None:
        if line == "":
            message = None
            if self._data:
                message = SseMessage(self._id, self._event or "message", "\n".join(self._data))
            self._data, self._id, self._event = [], None, ""
            return message
        if line.startswith(":"):
            return None  # a comment: Mercure's heartbeat
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self._id = value
        elif name == "event":
            self._event = value
        elif name == "retry" and value.isdigit():
            self.retry_ms = int(value)
        return None


class Subscriber:
    """Reads the hub forever, handing each message to ``handle``; after a drop it waits (doubling
    from ``min_delay`` to ``max_delay``, back to ``min_delay`` once connected) and resumes with
    ``Last-Event-ID``. ``last_id`` moves only after ``handle`` returned, so a message being
    handled when the process stops is delivered again, never lost."""

    def __init__(self, hub_url: str, topics: tuple[str, ...], token: str | None,
                 handle: Callable[[SseMessage], Awaitable[None]], last_id: str | None = None,
                 on_id: Callable[[str], None] | None = None, min_delay: float = 0.5,
                 max_delay: float = 30.0, read_timeout: float = 90.0) -> None:
        self.hub_url, self.topics, self.token = hub_url, topics, token
        self.handle, self.last_id, self.on_id = handle, last_id, on_id
        self.min_delay, self.max_delay, self.read_timeout = min_delay, max_delay, read_timeout
        self.connected = False
        self._problem: str | None = None

    async def run(self) -> None:
        # Mercure's heartbeat is a comment every 40 s by default: silence for longer is a dead link.
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=self.read_timeout)
        delay = self.min_delay
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                try:
                    await self._read(session)
                    self._note("the hub closed the stream")
                except (aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError) as exc:
                    # ValueError: a line over aiohttp's limit, or not UTF-8.
                    self._note(f"the hub stream failed: {exc or type(exc).__name__}")
                except Exception:
                    # A bug in handling one message must not end the subscription for good
                    # while /healthz still answers: log it and resume from the last handled id.
                    log.exception("handling a hub event failed")
                    self._problem = "handler"
                if self.connected:
                    delay = self.min_delay
                self.connected = False
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_delay)

    async def _read(self, session: aiohttp.ClientSession) -> None:
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.last_id is not None:
            headers["Last-Event-ID"] = self.last_id
        params = [("topic", topic) for topic in self.topics]
        async with session.get(self.hub_url, params=params, headers=headers) as resp:
            if resp.status != 200:
                raise aiohttp.ClientResponseError(resp.request_info, (), status=resp.status,
                                                  message=f"the hub answered {resp.status}")
            self.connected = True
            if self._problem is not None:
                log.info("reconnected to the hub, resuming after event %s", self.last_id)
                self._problem = None
            decoder = SseDecoder()
            async for raw in resp.content:
                message = decoder.feed(raw.decode("utf-8").rstrip("\r\n"))
                if message is None:
                    continue
                await self.handle(message)
                if message.id is not None:
                    self.last_id = message.id
                    if self.on_id is not None:
                        self.on_id(message.id)

    def _note(self, problem: str) -> None:
        if problem != self._problem:
            log.warning("%s; reconnecting with Last-Event-ID %s", problem, self.last_id)
            self._problem = problem
