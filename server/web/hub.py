"""The hub: the one owner of the hall in a running server.

It feeds the pure :class:`~server.hall.Hall` with queue events, staff acknowledgements
and the clock; writes each accepted input to the journal; and only once that is
durable acknowledges it and publishes what it changed. On start it rebuilds the hall
by replaying the journal, with the outbox discarded, so nothing is announced twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from ..alerts import AlertChange
from ..config import HallConfig
from ..errors import InvalidEvent
from ..events import parse_event, parse_json
from ..hall import AckRejected, Hall
from ..wire import alert_message, display_state, snapshot_message
from .fanout import Fanout, LocalFanout
from .journal import Journal, JournalError, Record
from .metrics import Metrics


__all__ = ["Hub", "ClockMode", "FUTURE_LIMIT", "Reply", "utcnow", "dumps"]

log = logging.getLogger(__name__)

ClockMode = Literal["wall", "event"]

FUTURE_LIMIT = timedelta(minutes=5)
"""With the wall clock, an event further ahead than this is somebody's clock gone wrong."""

TICK_INTERVAL_S = 1.0
"""How often the wall clock moves the hall, so care alerts fire with no events arriving."""

DISPLAY_INTERVAL_S = 0.02
"""Shortest time between two display.states: no screen shows 50 a second, and each one is
built once and written to every screen."""

Reply = dict[str, Any]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def dumps(message: Any) -> str:
    text = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
    # An echoed id may hold a lone surrogate (sent as \ud800), which has no UTF-8 form:
    # send it back escaped, as it came. isascii() is O(1), so ASCII replies pay nothing.
    if not text.isascii() and _SURROGATE.search(text):
        text = json.dumps(message, separators=(",", ":"))
    return text


_SURROGATE = re.compile("[\ud800-\udfff]")


def error_reply(event_id: Any, code: str, message: str) -> Reply:
    return {"type": "error", "id": event_id, "code": code, "message": message}


class Hub:
    """Owns the hall, its journal and its fan-out.

    Args:
        config: the hall.
        journal: durable storage (see :class:`~server.web.journal.Journal`).
        clock: ``wall`` (hall time is the real clock) or ``event`` (the largest ``at``).
        wall_clock: the real clock, injectable for tests.
    """

    def __init__(self, config: HallConfig, journal: Journal, *, clock: ClockMode = "wall",
                 wall_clock: Callable[[], datetime] = utcnow, metrics: Metrics | None = None,
                 fanout: Fanout | None = None) -> None:
        self.config = config
        self.journal = journal
        self.clock = clock
        self.wall_clock = wall_clock
        self.metrics = metrics or Metrics()
        self.fanout: Fanout = fanout or LocalFanout()
        self.hall = Hall(config)
        self.ready = False
        self._seen: set[str] = set()
        """Event ids since the last snapshot, accepted or still on their way to disk."""
        self._seen_before: set[str] = set()
        """The ids of the day before: some may not be on disk yet when the day turns."""
        self._display_seq = 0
        self._display_version = -1
        self._display_dirty = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._broken = False

    # -- life cycle ----------------------------------------------------------------------

    async def start(self) -> None:
        """Rebuild the hall from the journal and start the background tasks."""
        self._rebuild()
        self.ready = True
        self._tasks.append(asyncio.create_task(self._run_display_broadcaster(), name="display-broadcaster"))
        if self.clock == "wall":
            self._tasks.append(asyncio.create_task(self._run_ticker(), name="wall-clock"))

    async def stop(self) -> None:
        self.ready = False
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.journal.close()

    def _rebuild(self) -> None:
        hall = Hall(self.config)
        seen: set[str] = set()
        snapshot, records = self.journal.load()
        if snapshot is not None:
            hall.restore_snapshot(snapshot)
        count = 0
        for record in records:
            count += 1
            try:
                _apply_record(hall, record)
            except (InvalidEvent, AckRejected) as exc:
                # Only accepted inputs are journaled, so this means the rules changed
                # between versions: keep going rather than refuse to start.
                log.error("journal replay: record %s no longer applies: %s", record.body.get("id"), exc)
            if record.event_id is not None:
                seen.add(record.event_id)
            hall.alerts_to_send()
        self.hall = hall
        self._seen = seen
        self._update_gauges()
        self._mark_display_dirty()
        log.info("hall rebuilt from %d journal records (day %s, %d waiting, %d active alerts)",
                 count, hall.day_id, len(hall.waiting), len(hall.active_alerts()))

    # -- inputs ----------------------------------------------------------------------------

    def now(self) -> datetime:
        """Return the hall's time, never behind what it has seen."""
        hall_now = self.hall.now
        if self.clock == "event":
            return hall_now or self.wall_clock()
        wall = self.wall_clock()
        return max(wall, hall_now) if hall_now else wall

    def submit_text(self, text: str | bytes) -> Reply | asyncio.Future[Reply]:
        """Take one raw WebSocket frame: an event as JSON text."""
        try:
            obj = parse_json(text)
        except InvalidEvent as exc:
            return self.reject(None, exc)
        return self.submit(obj)

    def submit(self, obj: Any) -> Reply | asyncio.Future[Reply]:
        """Validate and apply one decoded event.

        Returns the reply at once for a rejected or duplicate event, else a future that
        resolves to the ack once the event is durable. Replies to consecutive calls
        resolve in call order.
        """
        event_id = obj.get("id") if isinstance(obj, dict) and isinstance(obj.get("id"), str) else None
        try:
            event = parse_event(obj)
        except InvalidEvent as exc:
            return self.reject(event_id, exc)
        if self._broken:
            return error_reply(event.id, "storage_unavailable", "the journal cannot write; try again later")
        # Ids of this day and the one before are in memory; any other id may still be on disk
        # (a resend from last week, or a queue system that reuses ids): a missed duplicate would
        # fail its whole journal batch on the UNIQUE index. The indexed lookup costs ~5 us.
        if event.id in self._seen or event.id in self._seen_before or self.journal.contains(event.id):
            self.metrics.duplicates.inc()
            return {"type": "ack", "id": event.id, "duplicate": True}
        if self.clock == "wall":
            limit = self.wall_clock() + FUTURE_LIMIT
            if event.at > limit:
                return self.reject(event.id, InvalidEvent(
                    "future_timestamp", f"event 'at' {event.at.isoformat()} is more than "
                    f"{int(FUTURE_LIMIT.total_seconds() // 60)} minutes ahead of the server's clock"))
        try:
            self.hall.check(event)
        except InvalidEvent as exc:
            return self.reject(event.id, exc)
        records = []
        if self.hall.starts_new_day(event):
            records.append(Record("snapshot", self.hall.export_snapshot()))
        self.hall.receive(event)
        records.append(Record("event", event.to_json(), event.id))
        if records[0].kind == "snapshot":
            self._turn_seen()
        self._seen.add(event.id)
        self.metrics.events.labels(str(event.type)).inc()
        ack: Reply = {"type": "ack", "id": event.id}
        return self._commit(records, ack)

    def acknowledge(self, alert_id: Any, by: Any) -> Reply | asyncio.Future[Reply]:
        """Record a staff acknowledgement; the reply is the alert.acknowledged message."""
        if not isinstance(alert_id, str):
            return error_reply(None, "invalid_field", "field 'id' must be the alert's id")
        if self._broken:
            return error_reply(alert_id, "storage_unavailable", "the journal cannot write; try again later")
        at = self.now()
        try:
            alert = self.hall.acknowledge(alert_id, by if isinstance(by, str) else "", at)
        except AckRejected as exc:
            return error_reply(alert_id, exc.code, exc.message)
        record = Record("ack", {"alert": alert_id, "by": alert.acknowledged_by, "at": at.isoformat()})
        return self._commit([record], alert_message(AlertChange.ACKNOWLEDGED, alert))

    def advance_clock(self, now: datetime) -> asyncio.Future[Reply] | None:
        """Move the hall to ``now`` (wall clock); journal it when something happened."""
        records = []
        if self.hall.time_starts_new_day(now):
            records.append(Record("snapshot", self.hall.export_snapshot()))
            self._turn_seen()
        before = self.hall.version
        self.hall.advance(now)
        if self.hall.version == before and not records:
            return None
        records.append(Record("tick", {"at": now.isoformat()}))
        return self._commit(records, {"type": "tick"})

    def _turn_seen(self) -> None:
        # Ids from before a snapshot are looked up in the journal, once they are on disk.
        self._seen_before, self._seen = self._seen, set()

    # -- output ------------------------------------------------------------------------------

    def _commit(self, records: list[Record], reply: Reply) -> asyncio.Future[Reply]:
        """Journal ``records``; once durable, publish what changed and resolve to ``reply``."""
        changes = self.hall.alerts_to_send()
        durable = self.journal.append(records)
        result: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()

        def on_durable(future: asyncio.Future[None]) -> None:
            if future.cancelled() or future.exception() is not None:
                self._storage_failed(future.exception())
                if not result.done():
                    result.set_result(error_reply(reply.get("id"), "storage_error",
                                                  "the event could not be made durable; resend it"))
                return
            for change, alert in changes:
                self.metrics.alerts.labels(str(alert.kind), str(change)).inc()
                self.fanout.publish_staff(dumps(alert_message(change, alert)))
            self._update_gauges()
            self._mark_display_dirty()
            if not result.done():
                result.set_result(reply)

        durable.add_done_callback(on_durable)
        return result

    def _storage_failed(self, exc: BaseException | None) -> None:
        # The in-memory hall ran ahead of the disk: go back to what is durable.
        log.error("journal failure (%s): rebuilding the hall from what is durable", exc)
        try:
            self._rebuild()
        except Exception:  # noqa: BLE001 - the disk itself is gone; refuse input until restart
            log.exception("cannot read the journal back; refusing input")
            self._broken = True

    def reject(self, event_id: Any, exc: InvalidEvent) -> Reply:
        self.metrics.rejects.labels(exc.code).inc()
        log.warning("rejected event %s: %s: %s", event_id, exc.code, exc.message)
        return error_reply(event_id, exc.code, exc.message)

    def staff_snapshot(self) -> str:
        return dumps(snapshot_message(self.hall))

    def display_text(self) -> str:
        """Return the current display.state, rebuilding it only if the hall changed."""
        if self.hall.version != self._display_version or self._display_cache is None:
            self._display_seq += 1
            self._display_version = self.hall.version
            self._display_cache = dumps(display_state(self.hall, self._display_seq, self.now()))
        return self._display_cache

    _display_cache: str | None = None

    def _mark_display_dirty(self) -> None:
        self._display_dirty.set()

    def _update_gauges(self) -> None:
        self.metrics.waiting.set(len(self.hall.waiting))
        self.metrics.open_windows.set(self.hall.open_window_count())

    async def _run_display_broadcaster(self) -> None:
        # One build per wake-up: events that land while a state is built and sent, or in the
        # DISPLAY_INTERVAL_S after it, coalesce into the next one.
        while True:
            await self._display_dirty.wait()
            self._display_dirty.clear()
            if self.hall.version != self._display_version:
                self.fanout.publish_display(self.display_text())
            await asyncio.sleep(DISPLAY_INTERVAL_S)

    async def _run_ticker(self) -> None:
        while True:
            try:
                self.advance_clock(self.wall_clock())
            except Exception:  # noqa: BLE001 - the clock must keep ticking
                log.exception("wall clock tick failed")
            await asyncio.sleep(TICK_INTERVAL_S)


def _apply_record(hall: Hall, record: Record) -> None:
    body = record.body
    if record.kind == "event":
        hall.receive(parse_event(body))
    elif record.kind == "ack":
        hall.acknowledge(body["alert"], body["by"], datetime.fromisoformat(body["at"]))
    elif record.kind == "tick":
        hall.advance(datetime.fromisoformat(body["at"]))
    elif record.kind == "snapshot":
        hall.restore_snapshot(body)
    else:
        log.error("journal replay: unknown record kind %r", record.kind)

