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

from ..alerts import Alert, AlertChange
from ..config import HallConfig, changed_settings, hall_settings, with_hall_settings
from ..errors import InvalidEvent
from ..events import parse_event, parse_json
from ..hall import AckRejected, Hall
from ..wire import alert_message, snapshot_message
from .display_feed import DisplayFeed
from .fanout import Fanout, LocalFanout
from .journal import Journal, Record
from .metrics import Metrics


__all__ = ["Hub", "ClockMode", "FUTURE_LIMIT", "JOURNAL_CLOCK_EVERY", "Reply", "PendingReply", "apply_record",
           "replied", "utcnow", "dumps"]

log = logging.getLogger(__name__)

ClockMode = Literal["wall", "event"]

FUTURE_LIMIT = timedelta(minutes=5)
"""With the wall clock, an event further ahead than this is somebody's clock gone wrong."""

JOURNAL_CLOCK_EVERY = timedelta(minutes=5)
"""A quiet hall's time is journaled this often, so that a replay never meets a longer gap than the
live hall did (after a gap over REVIEW_CATCH_UP the hall reviews only its last minutes)."""

TICK_INTERVAL_S = 1.0
"""How often the wall clock moves the hall, so care alerts fire with no events arriving."""

DISPLAY_INTERVAL_S = 0.02
"""Shortest time between two display.states: no screen shows 50 a second, and each one is
built once and written to every screen."""

Reply = dict[str, Any]

PendingReply = asyncio.Future[Reply]
"""What every input to the hub returns: await it for the reply. Replies to consecutive calls
resolve in call order; an immediate one (rejected, duplicate) is already resolved."""


def replied(reply: Reply) -> PendingReply:
    """Return ``reply`` as an already resolved :data:`PendingReply` (no task switch to await)."""
    future: PendingReply = asyncio.get_running_loop().create_future()
    future.set_result(reply)
    return future


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


class RejectLog:
    """Log rejected events, a few a minute: a sender with a bug must not flood the log.

    The rest are counted by code and summed up in one line when the next minute begins
    (``waitwell_rejects_total`` in /metrics counts every one).
    """

    LINES_PER_PERIOD = 20
    PERIOD = timedelta(minutes=1)

    def __init__(self) -> None:
        self._period_start: datetime | None = None
        self._logged = 0
        self._unlogged: dict[str, int] = {}

    def note(self, event_id: Any, exc: InvalidEvent, now: datetime) -> None:
        if self._period_start is None or now - self._period_start >= self.PERIOD:
            self._summarise()
            self._period_start, self._logged = now, 0
        if self._logged < self.LINES_PER_PERIOD:
            self._logged += 1
            log.warning("rejected event %s: %s: %s", _clip(event_id), exc.code, _clip(exc.message, 200))
        else:
            self._unlogged[exc.code] = self._unlogged.get(exc.code, 0) + 1

    def _summarise(self) -> None:
        if self._unlogged:
            counts = ", ".join(f"{code} x{n}" for code, n in sorted(self._unlogged.items()))
            log.warning("%d more rejected events were not logged in the last minute: %s",
                        sum(self._unlogged.values()), counts)
            self._unlogged = {}


def _clip(value: Any, limit: int = 64) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


def error_reply(event_id: Any, code: str, message: str) -> Reply:
    return {"type": "error", "id": event_id, "code": code, "message": message}


class _Batch:
    """Inputs committed in one turn of the event loop: their records, and per input its reply
    future, the reply, its alert changes and the staff resync it calls for."""

    __slots__ = ("records", "inputs")

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.inputs: list[tuple[PendingReply, Reply, list[tuple[AlertChange, Alert]], str | None]] = []

    def fail(self) -> None:
        for result, reply, _, _ in self.inputs:
            if not result.done():
                result.set_result(error_reply(reply.get("id"), "storage_error",
                                              "the event could not be made durable; resend it"))


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
        self.display = DisplayFeed(self.fanout, wall_clock, dumps)
        self._display_dirty = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._broken = False
        self._reject_log = RejectLog()
        self._base_snapshot: dict[str, Any] | None = None
        self._staff_resync = False
        """The hall was replaced at a day turn: staff screens get its snapshot with the next commit."""
        self._accepted: list[Record] = []
        """Every input accepted since the last snapshot, durable or on its way: what the hall is built of."""
        self._journaled_now: datetime | None = None
        """The hall's time as a replay of the journal would have it."""
        self._day_settings: dict[str, Any] | None = None
        """The hall-shaping settings the day's hall runs on, as journaled (None: none journaled yet)."""
        self._batch: _Batch | None = None
        """Inputs committed in this turn of the event loop, not yet sent to the journal."""
        self._event_counters: dict[str, Any] = {}
        self._alert_counters: dict[tuple[str, str], Any] = {}
        """Labelled metric children, looked up once: a label lookup takes a lock and a tuple each time."""
        self.day_ending: list[Callable[[Hall], None]] = []
        """Called with the hall just before a new business day (or a hall.reset) replaces its tickets:
        what learns from finished days reads the day there, whether or not it looked before."""

    # -- life cycle ----------------------------------------------------------------------

    async def start(self) -> None:
        """Rebuild the hall from the journal and start the background tasks."""
        self._rebuild()
        current = hall_settings(self.config)
        if self._day_settings is None:
            # A new journal, or one written before days carried their settings: they are this run's.
            self._day_settings = current
            self._commit([Record("config", {"settings": current})], {"type": "config"})
        elif self._day_settings != current:
            log.warning("hall config: %s changed since this business day began; the day runs on with the "
                        "settings it began with (kept in the journal), so that what was raised and acknowledged "
                        "replays as it was; the new settings apply from the next business day",
                        ", ".join(changed_settings(self._day_settings, current)))
        self.ready = True
        self._tasks.append(asyncio.create_task(self._run_display_broadcaster(), name="display-broadcaster"))
        if self.clock == "wall":
            self._tasks.append(asyncio.create_task(self._run_ticker(), name="wall-clock"))

    async def stop(self) -> None:
        self.ready = False
        self._flush()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.journal.close()

    def _rebuild(self) -> None:
        """Rebuild the hall from what is durable: the last snapshot and the records after it."""
        snapshot, durable = self.journal.load()
        records = list(durable)
        self._replay(snapshot, records)
        log.info("hall rebuilt from %d journal records (day %s, %d waiting, %d active alerts)",
                 len(records), self.hall.day_id, len(self.hall.waiting), len(self.hall.active_alerts()))

    def _recover(self, what: str, exc: Exception) -> None:
        """The hall raised something unexpected (a bug) midway through an input: go back to the hall
        the accepted inputs build, from memory (some may still be on their way to disk)."""
        log.error("the hall failed on %s; rebuilding it from the inputs it had accepted", what, exc_info=exc)
        self._replay(self._base_snapshot, list(self._accepted))

    def _replay(self, snapshot: dict[str, Any] | None, records: list[Record]) -> None:
        # The day replays on the settings it ran on, whatever hall.yaml says now: a care_30 taken at
        # 30 minutes is not due at all under care_second_min 40, and its acknowledgement would be lost.
        settings = next((r.body.get("settings") for r in records if r.kind == "config"), None)
        hall = Hall(self._config_with(settings))
        seen: set[str] = set()
        if snapshot is not None:
            hall.restore_snapshot(snapshot)
        for record in records:
            try:
                apply_record(hall, record)
            except (InvalidEvent, AckRejected) as exc:
                # Only accepted inputs are journaled, so this means the rules changed
                # between versions: keep going rather than refuse to start.
                log.error("journal replay: %s no longer applies: %s", _describe_record(record), exc)
            if record.event_id is not None:
                seen.add(record.event_id)
            hall.alerts_to_send()
        self.hall = hall
        self._base_snapshot, self._accepted = snapshot, records
        self._journaled_now = hall.now
        self._day_settings = settings
        self._seen = seen
        self.display.hall_replaced()
        self._update_gauges()
        self.look_again()

    def _config_with(self, settings: Any) -> HallConfig:
        if settings is None:
            return self.config
        try:
            return with_hall_settings(self.config, settings)
        except (KeyError, TypeError, ValueError) as exc:
            log.error("journal replay: the day's settings cannot be read (%s); replaying with hall.yaml's", exc)
            return self.config

    def _start_day_records(self) -> list[Record]:
        """The records that start a new business day: the snapshot, then the settings the day runs on.

        A hall still on the settings an earlier day began with (hall.yaml changed since) is replaced
        by one on the new settings restored from the snapshot, as a replay of the journal builds it.
        """
        for listener in self.day_ending:
            try:
                listener(self.hall)
            except Exception:  # noqa: BLE001 - a listener's bug must not cost the day's first event
                log.exception("a day-end listener failed")
        snapshot = self.hall.export_snapshot()
        current = hall_settings(self.config)
        if self._day_settings is not None and self._day_settings != current:
            hall = Hall(self.config)
            hall.restore_snapshot(snapshot)
            self.hall = hall
            self.display.hall_replaced()
            self._staff_resync = True
            log.warning("hall config: a new business day runs on the settings hall.yaml holds now")
        self._day_settings = current
        return [Record("snapshot", snapshot), Record("config", {"settings": current})]

    # -- inputs ----------------------------------------------------------------------------

    def now(self) -> datetime:
        """Return the hall's time, never behind what it has seen."""
        hall_now = self.hall.now
        if self.clock == "event":
            return hall_now or self.wall_clock()
        wall = self.wall_clock()
        return max(wall, hall_now) if hall_now else wall

    def submit_text(self, text: str | bytes) -> PendingReply:
        """Take one raw WebSocket frame: an event as JSON text."""
        try:
            obj = parse_json(text)
        except InvalidEvent as exc:
            return replied(self.reject(None, exc))
        return self.submit(obj)

    def submit(self, obj: Any) -> PendingReply:
        """Validate and apply one decoded event.

        The reply is resolved at once for a rejected or duplicate event, else once the
        event is durable (the ack). Replies to consecutive calls resolve in call order.
        """
        event_id = obj.get("id") if isinstance(obj, dict) and isinstance(obj.get("id"), str) else None
        try:
            event = parse_event(obj)
        except InvalidEvent as exc:
            return replied(self.reject(event_id, exc))
        if self._broken:
            return replied(error_reply(event.id, "storage_unavailable", "the journal cannot write; try again later"))
        # Ids of this day and the one before are in memory; any other id may still be on disk
        # (a resend from last week, or a queue system that reuses ids): a missed duplicate would
        # fail its whole journal batch on the UNIQUE index. The indexed lookup costs ~5 us.
        if event.id in self._seen or event.id in self._seen_before or self.journal.contains(event.id):
            self.metrics.duplicates.inc()
            return replied({"type": "ack", "id": event.id, "duplicate": True})
        if self.clock == "wall":
            limit = self.wall_clock() + FUTURE_LIMIT
            if event.at > limit:
                return replied(self.reject(event.id, InvalidEvent(
                    "future_timestamp", f"event 'at' {event.at.isoformat()} is more than "
                    f"{int(FUTURE_LIMIT.total_seconds() // 60)} minutes ahead of the server's clock")))
        try:
            self.hall.check(event)
        except InvalidEvent as exc:
            return replied(self.reject(event.id, exc))
        records = []
        if self.hall.starts_new_day(event):
            records += self._start_day_records()
        elif self.hall.now is not None and self.hall.now != self._journaled_now:
            # The wall clock moved the hall since the journal last heard of it, and a late event
            # is judged at the hall's time: the replay must know that time too.
            records.append(Record("tick", {"at": self.hall.now.isoformat()}))
        try:
            self.hall.receive(event)
        except Exception as exc:  # noqa: BLE001 - a bug must cost one event, not the server
            self._recover(f"event {_clip(event.id)}", exc)
            return replied(self.reject(event.id, InvalidEvent(
                "internal_error", "the server failed on this event (a bug, logged); nothing changed")))
        self._journaled_now = self.hall.now
        records.append(Record("event", event.to_json(), event.id))
        if records[0].kind == "snapshot":
            self._turn_seen()
        self._seen.add(event.id)
        counter = self._event_counters.get(event.type)
        if counter is None:
            counter = self._event_counters[event.type] = self.metrics.events.labels(str(event.type))
        counter.inc()
        ack: Reply = {"type": "ack", "id": event.id}
        return self._commit(records, ack)

    def acknowledge(self, alert_id: Any, by: Any) -> PendingReply:
        """Record a staff acknowledgement; the reply is the alert.acknowledged message, once durable."""
        if not isinstance(alert_id, str):
            return replied(error_reply(None, "invalid_field", "field 'id' must be the alert's id"))
        if self._broken:
            return replied(error_reply(alert_id, "storage_unavailable", "the journal cannot write; try again later"))
        at = self.now()
        try:
            alert = self.hall.acknowledge(alert_id, by if isinstance(by, str) else "", at)
        except AckRejected as exc:
            return replied(error_reply(alert_id, exc.code, exc.message))
        except Exception as exc:  # noqa: BLE001 - a bug must cost one acknowledgement, not the server
            self._recover(f"acknowledgement of {_clip(alert_id)}", exc)
            return replied(error_reply(alert_id, "internal_error", "the server failed on this acknowledgement "
                                                                   "(a bug, logged); nothing changed"))
        record = Record("ack", {"alert": alert_id, "by": alert.acknowledged_by, "at": at.isoformat()})
        return self._commit([record], alert_message(AlertChange.ACKNOWLEDGED, alert, self.hall.tz))

    def advance_clock(self, now: datetime) -> PendingReply | None:
        """Move the hall to ``now`` (wall clock); journal it when something happened."""
        records = []
        if self.hall.time_starts_new_day(now):
            records += self._start_day_records()
            self._turn_seen()
        before = self.hall.version
        try:
            self.hall.advance(now)
        except Exception as exc:  # noqa: BLE001 - the clock must keep ticking
            self._recover(f"the clock moving to {now.isoformat()}", exc)
            return None
        quiet = self._journaled_now is not None and self.hall.now is not None and (
            self.hall.now - self._journaled_now < JOURNAL_CLOCK_EVERY)
        if self.hall.version == before and not records and quiet:
            return None
        records.append(Record("tick", {"at": now.isoformat()}))
        self._journaled_now = self.hall.now
        return self._commit(records, {"type": "tick"})

    def _turn_seen(self) -> None:
        # Ids from before a snapshot are looked up in the journal, once they are on disk.
        self._seen_before, self._seen = self._seen, set()

    # -- output ------------------------------------------------------------------------------

    def _commit(self, records: list[Record], reply: Reply) -> PendingReply:
        """Journal ``records``; once durable, publish what changed and resolve to ``reply``.

        Inputs committed in one turn of the event loop (the frames a socket read brought in)
        go to the journal as one batch: one append and one completion for all of them, each
        acknowledged only once the batch is on disk.
        """
        # The hall was replaced at a day turn: the day before's alerts left with it, unresolved on
        # the screens, so they get the new hall as it is after this input (its changes included).
        resync = self.staff_snapshot() if self._staff_resync else None
        self._staff_resync = False
        for record in records:
            if record.kind == "snapshot":
                self._base_snapshot, self._accepted = record.body, []
            else:
                self._accepted.append(record)
        result: PendingReply = asyncio.get_running_loop().create_future()
        batch = self._batch
        if batch is None:
            batch = self._batch = _Batch()
            asyncio.get_running_loop().call_soon(self._flush)
        batch.records += records
        batch.inputs.append((result, reply, self.hall.alerts_to_send(), resync))
        return result

    def _flush(self) -> None:
        """Send the inputs committed since the last flush to the journal as one batch."""
        batch, self._batch = self._batch, None
        if batch is None:
            return
        durable = self.journal.append(batch.records)
        durable.add_done_callback(lambda future: self._on_durable(future, batch))

    def _on_durable(self, future: asyncio.Future[None], batch: _Batch) -> None:
        if future.cancelled() or future.exception() is not None:
            self._storage_failed(future.exception())
            batch.fail()
            return
        tz = self.hall.tz
        for _, _, changes, resync in batch.inputs:
            if resync is not None:
                self.fanout.publish_staff(resync)
            for change, alert in changes:
                self._alert_counter(alert.kind, change).inc()
                if resync is None:
                    self.fanout.publish_staff(dumps(alert_message(change, alert, tz)))
        self._update_gauges()
        self.look_again()
        for result, reply, _, _ in batch.inputs:
            if not result.done():
                result.set_result(reply)

    def _alert_counter(self, kind: str, change: str) -> Any:
        key = (kind, change)
        counter = self._alert_counters.get(key)
        if counter is None:
            counter = self._alert_counters[key] = self.metrics.alerts.labels(str(kind), str(change))
        return counter

    def _storage_failed(self, exc: BaseException | None) -> None:
        # The in-memory hall ran ahead of the disk: go back to what is durable. Inputs not yet
        # sent to the journal are not in what is durable either: they fail with the batch.
        pending, self._batch = self._batch, None
        if pending is not None:
            pending.fail()
        log.error("journal failure (%s): rebuilding the hall from what is durable", exc)
        try:
            self._rebuild()
        except Exception:  # noqa: BLE001 - the disk itself is gone; refuse input until restart
            log.exception("cannot read the journal back; refusing input")
            self._broken = True

    def reject(self, event_id: Any, exc: InvalidEvent) -> Reply:
        self.metrics.rejects.labels(exc.code).inc()
        self._reject_log.note(event_id, exc, self.wall_clock())
        return error_reply(event_id, exc.code, exc.message)

    def staff_snapshot(self) -> str:
        return dumps(snapshot_message(self.hall))

    def display_text(self) -> str:
        """Return the display.state for a screen that connects now."""
        return self.display.for_new_screen(self.hall, self._display_at())

    def _display_at(self) -> datetime:
        # As display_state has it: the hall's time, or the server's before the hall has one.
        return self.hall.now or self.now()

    def look_again(self) -> None:
        """Something beside the hall a screen shows may have changed (an extra such as the nearby
        halls): the broadcaster looks, and sends a display.state only if what screens show changed."""
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
            if self.fanout.counts()["display"]:
                self.display.publish(self.hall, self._display_at())
            else:
                self.display.nobody_watching(self.hall)
            await asyncio.sleep(DISPLAY_INTERVAL_S)

    async def _run_ticker(self) -> None:
        while True:
            try:
                if self.advance_clock(self.wall_clock()) is None:
                    # Nothing to journal, but a wait that depends on the time of day (the window
                    # plan) may read differently now: the broadcaster looks, and sends only if so.
                    self.look_again()
            except Exception:  # noqa: BLE001 - the clock must keep ticking
                log.exception("wall clock tick failed")
            await asyncio.sleep(TICK_INTERVAL_S)


def _describe_record(record: Record) -> str:
    """What a journal record is about, for a log line: an ack has no event id, it names an alert."""
    body = record.body
    if record.kind == "ack":
        return f"ack of alert {_clip(body.get('alert'))} by {_clip(body.get('by'))} at {_clip(body.get('at'))}"
    if record.kind == "event":
        return f"event {_clip(body.get('id'))} ({_clip(body.get('type'))} at {_clip(body.get('at'))})"
    return f"{_clip(record.kind)} record"


def apply_record(hall: Hall, record: Record) -> None:
    """Replay one journal record into ``hall`` (raises what the hall raises)."""
    body = record.body
    if record.kind == "event":
        hall.receive(parse_event(body))
    elif record.kind == "ack":
        hall.acknowledge(body["alert"], body["by"], datetime.fromisoformat(body["at"]))
    elif record.kind == "tick":
        hall.advance(datetime.fromisoformat(body["at"]))
    elif record.kind == "snapshot":
        hall.restore_snapshot(body)
    elif record.kind == "config":
        pass  # the settings the day runs on: the hall was built with them (see Hub._replay)
    else:
        log.error("journal replay: unknown record kind %r", record.kind)

