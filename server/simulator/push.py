"""Output of simulated events: JSONL files, or a WebSocket push to a hall server.

The push keeps every event until the server acks it (``{"type":"ack","id":ID}``, or an
``error`` for that id); on a dropped connection it reconnects with exponential backoff and
resends, in order, every event not yet acked (the server dedups by id).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any, Callable

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

__all__ = [
    "dumps_event",
    "write_jsonl",
    "hall_offsets",
    "PushResult",
    "PushAborted",
    "push_events",
]

MAX_GAP_S = 300.0  # longest hall-time pause replayed in real time (e.g. overnight between days)


def dumps_event(ev: dict[str, Any]) -> str:
    """One event as a JSON line (no newline), in the style of the shared traces."""
    return json.dumps(ev, ensure_ascii=False)


def write_jsonl(events: Iterable[dict[str, Any]], fp: IO[str]) -> int:
    """Write events one per line; returns the count."""
    n = 0
    for ev in events:
        fp.write(dumps_event(ev))
        fp.write("\n")
        n += 1
    return n


def _parse_at(at: str) -> float:
    return datetime.fromisoformat(at).timestamp()


def hall_offsets(events: Sequence[dict[str, Any]], max_gap_s: float = MAX_GAP_S) -> list[float]:
    """Hall-time seconds of each event from the first, with pauses capped at ``max_gap_s``."""
    out: list[float] = []
    prev: float | None = None
    acc = 0.0
    for ev in events:
        t = _parse_at(ev["at"])
        if prev is not None:
            acc += min(max(0.0, t - prev), max_gap_s)
        out.append(acc)
        prev = t
    return out


class PushAborted(Exception):
    """The push cannot go on (refused credentials, bad URL, retries exhausted)."""


@dataclass
class PushResult:
    sent: int = 0  # frames sent, resends included
    acked: int = 0  # events acked (ack or error)
    duplicates: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    reconnects: int = 0


class _Tracker:
    def __init__(self, events: Sequence[dict[str, Any]]):
        self.index = {ev["id"]: i for i, ev in enumerate(events)}
        self.done = [False] * len(events)
        self.first_open = 0  # index of the first event not yet acked
        self.changed = asyncio.Event()

    def on_message(self, raw: str | bytes, result: PushResult, log: Callable[[str], None]) -> None:
        try:
            msg = json.loads(raw)
        except ValueError:
            log(f"simulate: ignoring non-JSON message: {raw!r:.200}")
            return
        if not isinstance(msg, dict):
            return
        mtype, mid = msg.get("type"), msg.get("id")
        if mtype not in ("ack", "error") or mid not in self.index:
            if mtype == "error":
                log(f"simulate: server error: {msg}")
                result.errors.append(msg)
            return
        i = self.index[mid]
        if not self.done[i]:
            self.done[i] = True
            result.acked += 1
            if mtype == "error":
                result.errors.append(msg)
                log(f"simulate: event {mid} rejected: {msg.get('code')}: {msg.get('message')}")
            elif msg.get("duplicate"):
                result.duplicates += 1
        while self.first_open < len(self.done) and self.done[self.first_open]:
            self.first_open += 1
        self.changed.set()

    async def wait_past(self, i: int, recv: asyncio.Task[None], timeout: float) -> None:
        """Wait until every event up to index ``i`` is acked; raise on drop or timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.first_open <= i:
            if recv.done():
                raise _Dropped
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise _AckTimeout
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except TimeoutError:
                raise _AckTimeout from None


class _Dropped(Exception):
    pass


class _AckTimeout(Exception):
    pass


async def _receiver(ws: Any, tracker: _Tracker, result: PushResult,
                    log: Callable[[str], None]) -> None:
    try:
        async for raw in ws:
            tracker.on_message(raw, result, log)
    except ConnectionClosed:
        pass
    finally:
        tracker.changed.set()


async def push_events(
    events: Sequence[dict[str, Any]],
    url: str,
    token: str | None = None,
    *,
    speed: float | None = None,
    as_fast_as_acks: bool = False,
    ack_timeout: float = 30.0,
    backoff_initial: float = 0.5,
    backoff_max: float = 10.0,
    max_attempts: int = 30,
    log: Callable[[str], None] | None = None,
) -> PushResult:
    """Push events over a WebSocket until every one is acked.

    ``as_fast_as_acks``: one event in flight, the next sent when the previous is acked.
    Otherwise events are sent on the hall clock scaled by ``speed`` (X times faster than
    real; 1.0 is real time), without waiting for acks in between. ``max_attempts`` counts
    consecutive connection failures without progress.
    """
    if log is None:
        def log(msg: str) -> None:
            print(msg, file=sys.stderr, flush=True)
    if not as_fast_as_acks and (speed is None or speed <= 0):
        raise ValueError("speed must be > 0 unless as_fast_as_acks")
    result = PushResult()
    n = len(events)
    if n == 0:
        return result
    tracker = _Tracker(events)
    frames = [dumps_event(ev) for ev in events]
    offsets = hall_offsets(events) if not as_fast_as_acks else []
    headers = {"Authorization": f"Bearer {token}"} if token else None
    clock_start: float | None = None
    failures = 0
    delay = backoff_initial
    first = True
    while tracker.first_open < n:
        if not first:
            result.reconnects += 1
        first = False
        progress_before = tracker.first_open
        try:
            async with connect(url, additional_headers=headers, open_timeout=10,
                               max_size=2**22) as ws:
                recv = asyncio.create_task(_receiver(ws, tracker, result, log))
                try:
                    if clock_start is None:
                        clock_start = time.monotonic()
                    i = tracker.first_open
                    while i < n:
                        if tracker.done[i]:
                            i += 1
                            continue
                        if not as_fast_as_acks:
                            assert speed is not None
                            wait = clock_start + offsets[i] / speed - time.monotonic()
                            if wait > 0:
                                await asyncio.sleep(wait)
                        if recv.done():
                            raise _Dropped
                        await ws.send(frames[i])
                        result.sent += 1
                        if as_fast_as_acks:
                            await tracker.wait_past(i, recv, ack_timeout)
                        i += 1
                    await tracker.wait_past(n - 1, recv, ack_timeout)
                finally:
                    recv.cancel()
                    try:
                        await recv
                    except asyncio.CancelledError:
                        pass
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status in (401, 403):
                raise PushAborted(f"server refused the token (HTTP {status})") from exc
            log(f"simulate: connection refused (HTTP {status}); retrying")
        except InvalidURI as exc:
            raise PushAborted(f"bad URL {url!r}: {exc}") from exc
        except (_Dropped, ConnectionClosed, InvalidHandshake, OSError, TimeoutError) as exc:
            log(f"simulate: connection lost ({type(exc).__name__}); "
                f"{n - tracker.first_open} events not yet acked")
        except _AckTimeout:
            log(f"simulate: no ack within {ack_timeout:g}s; reconnecting")
        if tracker.first_open >= n:
            break
        if tracker.first_open > progress_before:
            failures, delay = 0, backoff_initial
        failures += 1
        if failures > max_attempts:
            raise PushAborted(f"gave up after {max_attempts} attempts without progress")
        await asyncio.sleep(delay)
        delay = min(backoff_max, delay * 2)
    return result

