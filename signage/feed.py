"""WebSocket client of /ws/display: reconnects with backoff and jitter, full state per connect."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from signage.errors import InvalidState
from signage.state import DisplayState, parse_message


__all__ = ["backoff_delays", "normalize_url", "Feed", "DEFAULT_URL"]

log = logging.getLogger(__name__)

DEFAULT_URL = "ws://127.0.0.1:8080/ws/display"


def normalize_url(url: str, token: str | None = None) -> str:
    """Return the feed URL: ws://HOST:PORT gets /ws/display appended when it has no path."""
    if "://" not in url:
        url = "ws://" + url
    parts = urlsplit(url)
    path = parts.path if parts.path not in ("", "/") else "/ws/display"
    query = parts.query
    if token and "token=" not in query:
        query = f"{query}&token={token}" if query else f"token={token}"
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def backoff_delays(
    initial: float = 0.5, factor: float = 2.0, maximum: float = 15.0, rng: random.Random | None = None
) -> Iterator[float]:
    """Yield reconnect delays: exponential up to ``maximum``, each with full jitter in [d/2, d]."""
    rng = rng or random.Random()
    delay = initial
    while True:
        yield delay * (0.5 + rng.random() / 2)
        delay = min(maximum, delay * factor)


class Feed:
    """Keep a display.state feed alive and hand every state to ``on_state``.

    ``on_state(state, resync)`` runs on the event loop; ``resync`` is True for
    the first state of each connection. ``offline_since`` (wall time, UTC
    aware) is set while the feed is down, from the moment the connection was
    lost or the first attempt failed.
    """

    def __init__(
        self,
        url: str,
        on_state: Callable[[DisplayState, bool], None],
        *,
        on_status: Callable[[], None] | None = None,
        clock: Callable[[], datetime] | None = None,
        initial_delay: float = 0.5,
        max_delay: float = 15.0,
        open_timeout: float = 5.0,
    ) -> None:
        self.url = url
        self.on_state = on_state
        self.on_status = on_status or (lambda: None)
        self.clock = clock or (lambda: datetime.now().astimezone())
        self.initial_delay = initial_delay
        self.max_delay = max_delay
        self.open_timeout = open_timeout
        self.connected = False
        self.offline_since: datetime | None = None
        self.offline_since_mono: float | None = None
        self.connects = 0
        self._errors_logged: set[str] = set()

    def _went_offline(self) -> None:
        if self.offline_since is None:
            self.offline_since = self.clock()
            self.offline_since_mono = time.monotonic()
        self.connected = False
        self.on_status()

    async def run(self) -> None:
        """Connect, read states, reconnect forever (until cancelled)."""
        from websockets.asyncio.client import connect
        from websockets.exceptions import WebSocketException

        delays = backoff_delays(self.initial_delay, maximum=self.max_delay)
        while True:
            try:
                async with connect(self.url, open_timeout=self.open_timeout, close_timeout=1, max_size=2**22) as ws:
                    self.connects += 1
                    delays = backoff_delays(self.initial_delay, maximum=self.max_delay)
                    self._errors_logged.clear()
                    log.info("feed connected: %s", self.url)
                    first = True
                    async for raw in ws:
                        state = self._decode(raw)
                        if state is None:
                            continue
                        if first:
                            # Online once the full state is in hand: the badge
                            # stays until the screen can show fresh data.
                            self.connected = True
                            self.offline_since = None
                            self.offline_since_mono = None
                            self.on_status()
                        self.on_state(state, first)
                        first = False
                log.warning("feed closed by the server")
            except asyncio.CancelledError:
                raise
            except (OSError, WebSocketException, asyncio.TimeoutError) as exc:
                text = f"{type(exc).__name__}: {exc}"
                if text not in self._errors_logged:
                    self._errors_logged.add(text)
                    log.warning("feed unavailable (%s), retrying", text)
            self._went_offline()
            await asyncio.sleep(next(delays))

    def _decode(self, raw: str | bytes) -> DisplayState | None:
        try:
            return parse_message(json.loads(raw))
        except (ValueError, InvalidState) as exc:
            log.warning("ignored a bad message: %s", exc)
            return None
