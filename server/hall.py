"""The live state of one hall: tickets, windows, calls and the alerts they raise.

Feed it with :meth:`Hall.receive` (queue events), :meth:`Hall.advance` (time) and
:meth:`Hall.acknowledge` (staff); then drain :meth:`Hall.alerts_to_send`. It never
reads a clock: every input carries its time, so a journal replays to the same state.
"""

from __future__ import annotations

import enum
import heapq
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from .alerts import (
    Alert,
    AlertChange,
    AlertKind,
    care_message,
    care_soon_message,
    care_soon_should_raise,
    care_soon_should_resolve,
    care_thresholds,
    open_windows_message,
    open_windows_should_raise,
    open_windows_should_resolve,
)
from .arrival_profile import ArrivalProfile
from .config import DEFAULT_SERVICE_MEAN_S, HallConfig
from .errors import InvalidEvent
from .estimate import Estimate
from .events import EventType, QueueEvent
from .learning import Learned, NoShows, ServiceTimes, WindowSpeeds
from .staffing import StaffingAdvisor, staffing_message, windows_needed
from .waits import QueueModel, TicketWait, WaitingView, WindowView
from .window_plan import WindowPlan


__all__ = ["Hall", "Ticket", "TicketStatus", "Window", "Call", "AckRejected", "RECENT_CALLS"]

RECENT_CALLS = 10
"""Calls kept for the lobby screens, newest first."""

REVIEW_EVERY = timedelta(seconds=30)
"""Early care and staffing advice are reviewed on this grid of hall time (and care_soon at issue).

A fixed grid of absolute times, not "whenever the clock moves", keeps replay deterministic:
the same journal reviews at the same moments, however often the live clock ticked.
"""


class TicketStatus(enum.StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVED = "served"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


@dataclass(slots=True, kw_only=True)
class Ticket:
    label: str
    service: str
    priority: bool = False
    status: TicketStatus = TicketStatus.WAITING
    issued_at: datetime | None = None
    waiting_since: datetime | None = None
    """Start of the current wait: issue, or the latest transfer."""
    episode: int = 0
    """Counts the ticket's waits: a transfer starts a new one with its own care visits."""
    order: int = 0
    """Tie-break for tickets that started waiting at the same instant: arrival order."""
    called_at: datetime | None = None
    window: str | None = None
    ended_at: datetime | None = None
    changed_at: datetime | None = None
    """Stamp of the latest event that changed the status: an older event only fills in facts."""
    learned: bool = False
    """This wait's service time was taught already (a transfer after a serve must not teach it again)."""
    first_wait_s: float | None = None
    """From issue to first call: the wait the customer felt, for the day's report."""
    told: Estimate | None = None
    """The estimate made at issue, checked against the real wait to calibrate the ranges."""


@dataclass(slots=True, kw_only=True)
class Window:
    id: str
    open: bool = False
    services: tuple[str, ...] | None = None
    serving: str | None = None
    changed_at: datetime | None = None
    """Stamp of the latest opening or closing: an older one arriving late changes nothing."""

    def serves(self, service: str) -> bool:
        return self.services is None or service in self.services


@dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    ticket: str
    window: str
    called_at: datetime
    recall: bool
    service: str | None


class AckRejected(Exception):
    """A staff acknowledgement that cannot be applied; nothing changed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(order=True, slots=True)
class _Due:
    at: datetime
    seq: int
    ticket: str = field(compare=False)
    episode: int = field(compare=False)
    kind: AlertKind = field(compare=False)
    after: timedelta = field(compare=False)


class Hall:
    """Waiting-room state for one hall and one business day at a time."""

    def __init__(self, config: HallConfig) -> None:
        self.config = config
        self.tz = config.tz
        self.learned = Learned(
            ServiceTimes({s.id: s.mean_service_s for s in config.services}, default_s=DEFAULT_SERVICE_MEAN_S),
            NoShows(), WindowSpeeds())
        self.plan = WindowPlan({w.id: w.hours for w in config.windows if w.hours is not None},
                               windows=[w.id for w in config.windows])
        self.arrival_profile = ArrivalProfile()
        """Tickets issued by time of day over past days: the staffing advice looks ahead with it."""
        self._next_review: datetime | None = None
        self.now: datetime | None = None
        self.day: date | None = None
        self.resets = 0
        """hall.reset events within this date: part of the day id so alert ids stay unique."""
        self._outbox: list[tuple[AlertChange, Alert]] = []
        self.version = 0
        """Bumped on every change the lobby screens or staff would see."""
        self._start_day()

    # -- inputs ---------------------------------------------------------------------

    def check(self, event: QueueEvent) -> None:
        """Raise :class:`InvalidEvent` if ``event`` cannot be applied; change nothing."""
        event_day = event.at.astimezone(self.tz).date()
        if self.day is not None and event_day < self.day:
            raise InvalidEvent("stale_day",
                               f"event is dated {event_day.isoformat()}, before the hall's current day "
                               f"{self.day.isoformat()}")
        if event.ticket is None:
            return
        # A new day starts with no tickets: judge the event against the hall it would find.
        fresh = self.day is None or event_day > self.day
        ticket = None if fresh else self.tickets.get(event.ticket)
        if event.type is EventType.TICKET_ISSUED:
            if ticket is not None and ticket.issued_at is not None:
                raise InvalidEvent("ticket_exists",
                                   f"ticket {event.ticket} was already issued today at "
                                   f"{ticket.issued_at.astimezone(self.tz):%H:%M:%S}")
        elif event.type in (EventType.TICKET_NO_SHOW, EventType.TICKET_CANCELLED,
                            EventType.TICKET_TRANSFERRED) and ticket is None:
            raise InvalidEvent("unknown_ticket", f"ticket {event.ticket} was never issued today")

    def receive(self, event: QueueEvent) -> None:
        """Apply one queue event: advance the clock to its time, then apply it.

        Raises:
            InvalidEvent: the event was rejected and nothing changed.
        """
        self.check(event)
        self.advance(event.at)
        handler = _HANDLERS[event.type]
        handler(self, event)
        # The rules judge the hall as it is now, so a late event raises at the hall's time.
        assert self.now is not None
        self._check_open_windows(self.now)

    def advance(self, now: datetime) -> None:
        """Move the hall's clock forward to ``now``, firing every rule due by then.

        A time earlier than the hall's clock changes nothing (events may arrive late).
        """
        if self.now is not None and now <= self.now:
            return
        local_day = now.astimezone(self.tz).date()
        if self.day is not None and local_day > self.day:
            midnight = datetime.combine(self.day + timedelta(days=1), time(), self.tz)
            self._fire_due(midnight - timedelta(microseconds=1))
            self.now = now
            self.day = local_day
            self.resets = 0
            self.plan.end_day()
            self.arrival_profile.end_day()
            self._start_day(at=now)
            self._next_review = _review_after(now)
            return
        if self.day is None:
            self.day = local_day
        if self._next_review is None:
            self._next_review = _review_after(now)
        while self._next_review <= now:
            review_at = self._next_review
            self._fire_due(review_at)
            self._review(review_at)
            self._next_review = review_at + REVIEW_EVERY
        self._fire_due(now)
        self.now = now

    def acknowledge(self, alert_id: str, by: str, now: datetime) -> Alert:
        """Record that ``by`` took care of an active alert.

        Raises:
            AckRejected: unknown, resolved or already acknowledged alert, or no name.
        """
        by = by.strip() if isinstance(by, str) else ""
        if not by or len(by) > 64:
            raise AckRejected("invalid_field", "field 'by' must name who takes the alert (1-64 characters)")
        alert = self.alerts.get(alert_id)
        if alert is None or not alert.active:
            raise AckRejected("unknown_alert", f"no active alert {alert_id!r}")
        if alert.acknowledged_by is not None:
            raise AckRejected("already_acknowledged",
                              f"alert {alert_id} was already taken by {alert.acknowledged_by}")
        alert.acknowledged_by = by
        alert.acknowledged_at = max(now, alert.raised_at)
        self._emit(AlertChange.ACKNOWLEDGED, alert)
        return alert

    # -- outputs --------------------------------------------------------------------

    def alerts_to_send(self) -> list[tuple[AlertChange, Alert]]:
        """Return alert changes since the last call, oldest first; each is returned once."""
        out, self._outbox = self._outbox, []
        return out

    @property
    def day_id(self) -> str:
        """The business day: the date, plus the reset count after a hall.reset."""
        base = self.day.isoformat() if self.day else "none"
        return base if self.resets == 0 else f"{base}r{self.resets}"

    @property
    def counts(self) -> dict[str, int]:
        """Today's tickets by status; ``issued`` is every ticket the hall knows, so the rest add up to it."""
        counts = dict.fromkeys(("issued", "waiting", "called", "served", "no_show", "cancelled"), 0)
        for ticket in self.tickets.values():
            counts[ticket.status] += 1
        counts["issued"] = len(self.tickets)
        counts["transferred"] = self._transfers
        return counts

    def active_alerts(self) -> list[Alert]:
        return [a for a in self.alerts.values() if a.active]

    def open_window_count(self, service: str | None = None) -> int:
        return sum(1 for w in self.windows.values() if w.open and (service is None or w.serves(service)))

    def queue(self) -> list[Ticket]:
        """Return the waiting tickets in call order: priority first, then by the moment they began to wait."""
        return sorted(self.waiting.values(), key=_call_order)

    def waiting_by_service(self) -> dict[str, list[Ticket]]:
        """Return the waiting tickets of each service in call order: priority first, then FIFO."""
        queues: dict[str, list[Ticket]] = {}
        for ticket in self.waiting.values():
            queues.setdefault(ticket.service, []).append(ticket)
        for queue in queues.values():
            queue.sort(key=_call_order)
        return queues

    @property
    def service_times(self) -> ServiceTimes:
        return self.learned.service_times

    def estimates(self) -> dict[str, tuple[int, Estimate]]:
        """Return, per waiting ticket, its position in its service and its expected wait."""
        return {label: (w.position, w.estimate) for label, w in self.ticket_waits().items()}

    def ticket_waits(self, at: datetime | None = None) -> dict[str, TicketWait]:
        """Return every waiting ticket's outlook (estimate, range, chance of a late call)."""
        queue = self.queue()
        return self._queue_model(at).queue_waits([WaitingView(t.label, t.service) for t in queue])

    def newcomer_estimate(self, service: str, waiting_count: int | None = None) -> Estimate | None:
        """Return the expected wait of a ticket taken now; ``None`` when no open window serves it.

        ``waiting_count`` is accepted for callers of the first estimator and ignored: a
        newcomer queues behind every waiting ticket that competes for its windows.
        """
        if self.open_window_count(service) == 0:
            return None
        return self._queue_model().newcomer(service, self._waiting_counts()).estimate

    def staffing_advice(self) -> int | None:
        """The advised number of open windows, as last reviewed (hysteresis applied)."""
        return self._advisor.advised

    def service_ids(self) -> list[str]:
        """Configured services first, in config order, then those met on the wire."""
        ids = [s.id for s in self.config.services]
        ids.extend(sorted(self.extra_services - set(ids)))
        return ids

    def export_snapshot(self) -> dict[str, Any]:
        """Return what outlives a business day: learned times and the day's identity.

        Taken just before an event that starts a new day, so the hall's tickets need
        not be in it: replaying from here rebuilds them.
        """
        return {"service_times": self.learned.export(), "window_plan": self.plan.export(),
                "arrival_profile": self.arrival_profile.export(),
                "day": self.day.isoformat() if self.day else None, "resets": self.resets,
                "now": self.now.isoformat() if self.now else None}

    def restore_snapshot(self, data: Mapping[str, Any]) -> None:
        """Load what :meth:`export_snapshot` returned into a new hall."""
        self.learned.restore(data.get("service_times", {}))
        self.plan.restore(data.get("window_plan", {}))
        self.arrival_profile.restore(data.get("arrival_profile", {}))
        if data.get("day"):
            self.day = date.fromisoformat(data["day"])
            self.resets = int(data.get("resets", 0))
        if data.get("now"):
            self.now = datetime.fromisoformat(data["now"])
            self._next_review = _review_after(self.now)

    def starts_new_day(self, event: QueueEvent) -> bool:
        """Tell whether applying ``event`` would start a new business day."""
        if event.type is EventType.HALL_RESET:
            return True
        return self.day is not None and event.at.astimezone(self.tz).date() > self.day

    def time_starts_new_day(self, now: datetime) -> bool:
        """Tell whether advancing the clock to ``now`` would start a new business day."""
        return self.day is not None and now.astimezone(self.tz).date() > self.day

    # -- event handlers ----------------------------------------------------------------

    def _issued(self, event: QueueEvent) -> None:
        assert event.ticket is not None and event.service is not None
        self._note_service(event.service)
        ticket = self.tickets.get(event.ticket)
        if ticket is not None:
            # First seen through its call: the issue fills in what the call could not know.
            ticket.service = event.service
            ticket.priority = event.priority
            ticket.issued_at = event.at
            if ticket.called_at is not None:
                self._first_call(ticket, ticket.called_at)
            self._changed()
            return
        ticket = Ticket(label=event.ticket, service=event.service, priority=event.priority,
                        issued_at=event.at)
        self.tickets[ticket.label] = ticket
        self._arrived(ticket.service, event.at)
        self._start_waiting(ticket, event.at)
        self._review_newcomer(ticket, event.at)

    def _ticket(self, event: QueueEvent) -> tuple[Ticket, bool]:
        """Return the event's ticket and whether the event is older than the ticket's latest change.

        A ticket first seen through a call or a serve (its issue late or lost) was issued and
        did arrive: it is created, counted, and given the service its label's prefix names.
        Any other event of an unknown ticket was refused by :meth:`check`.
        """
        assert event.ticket is not None
        ticket = self.tickets.get(event.ticket)
        if ticket is None:
            if event.type not in _FIRST_SIGHT:
                raise AssertionError(f"{event.type} of unknown ticket {event.ticket} passed check()")
            ticket = Ticket(label=event.ticket, service=self._service_from_label(event.ticket),
                            status=TicketStatus.CALLED, changed_at=event.at)
            self.tickets[ticket.label] = ticket
            self._arrived(ticket.service, event.at)
            return ticket, False
        return ticket, ticket.changed_at is not None and event.at < ticket.changed_at

    def _called(self, event: QueueEvent) -> None:
        self._call(event, recall=event.type is EventType.TICKET_RECALLED)

    def _call(self, event: QueueEvent, *, recall: bool) -> None:
        assert event.window is not None
        ticket, late = self._ticket(event)
        if late:
            self._late_call(ticket, event)
            return
        # A call after the ticket ended (a no-show who came back) starts its service again.
        reopened = ticket.ended_at is not None
        if ticket.status is TicketStatus.CALLED and ticket.window == event.window and not reopened:
            recall = True
        self._stop_waiting(ticket, TicketStatus.CALLED, event.at)
        ticket.changed_at = event.at
        if reopened:
            ticket.ended_at = None
            ticket.learned = False
        if reopened or not recall or ticket.called_at is None:
            ticket.called_at = event.at
        self._first_call(ticket, event.at)
        if ticket.window is not None and ticket.window != event.window:
            self._free_window(ticket.window, ticket.label)
        ticket.window = event.window
        window = self._window(event.window)
        if window.serving is not None and window.serving != ticket.label:
            # The window moved on without saying the previous customer was done.
            self._end(self.tickets[window.serving], TicketStatus.SERVED, event.at, learn=False)
        window.serving = ticket.label
        self.calls.appendleft(Call(ticket=ticket.label, window=event.window, called_at=event.at,
                                   recall=recall, service=ticket.service))
        self._changed()

    def _late_call(self, ticket: Ticket, event: QueueEvent) -> None:
        """A call older than the ticket's latest change: it tells the wait, it calls nobody now."""
        if ticket.called_at is not None:
            return
        ticket.called_at = event.at
        if ticket.window is None:
            ticket.window = event.window
        self._first_call(ticket, event.at)
        if ticket.status is TicketStatus.SERVED and ticket.ended_at is not None:
            # Served before the call arrived: the call completes the service's duration.
            self._learn(ticket, ticket.ended_at)
        self._changed()

    def _first_call(self, ticket: Ticket, at: datetime) -> None:
        """Record the wait the customer felt, and check the range told at issue against it."""
        if ticket.first_wait_s is not None or ticket.issued_at is None:
            return
        ticket.first_wait_s = max(0.0, (at - ticket.issued_at).total_seconds())
        told = ticket.told
        if told is not None and told.high_s > 0:  # "called at once" has no range to check
            self.learned.ranges.observe(told.low_s <= ticket.first_wait_s <= told.high_s)

    def _served(self, event: QueueEvent) -> None:
        ticket, late = self._ticket(event)
        if late:
            return
        if ticket.window is None:
            ticket.window = event.window
        self._end(ticket, TicketStatus.SERVED, event.at, learn=True)

    def _no_show(self, event: QueueEvent) -> None:
        self._finish(event, TicketStatus.NO_SHOW)

    def _cancelled(self, event: QueueEvent) -> None:
        self._finish(event, TicketStatus.CANCELLED)

    def _finish(self, event: QueueEvent, status: TicketStatus) -> None:
        ticket, late = self._ticket(event)
        if not late:
            self._end(ticket, status, event.at, learn=False)

    def _transferred(self, event: QueueEvent) -> None:
        assert event.service is not None
        ticket, late = self._ticket(event)
        if late:
            return
        self._note_service(event.service)
        self._stop_waiting(ticket, TicketStatus.CALLED, event.at)
        if ticket.window is not None:
            self._free_window(ticket.window, ticket.label)
        if ticket.ended_at is None and ticket.called_at is not None:
            self._learn(ticket, event.at)
        ticket.service = event.service
        ticket.window = None
        ticket.called_at = None
        ticket.ended_at = None
        ticket.learned = False
        ticket.episode += 1
        self._transfers += 1
        self._start_waiting(ticket, event.at)

    def _window_opened(self, event: QueueEvent) -> None:
        assert event.window is not None
        window = self._window(event.window)
        if window.changed_at is not None and event.at < window.changed_at:
            return
        window.open = True
        window.changed_at = event.at
        if event.services is not None:
            window.services = event.services
            for service in event.services:
                self._note_service(service)
        else:
            window.services = self._configured_window_services(event.window)
        self.plan.opened(window.id, self._local_s(event.at))
        self._changed()

    def _window_closed(self, event: QueueEvent) -> None:
        assert event.window is not None
        window = self._window(event.window)
        if window.changed_at is not None and event.at < window.changed_at:
            return
        window.open = False
        window.changed_at = event.at
        if window.serving is not None:
            # A clerk closes the window once the customer at it is done, as with a call that
            # skips "served": reopened later, the window is free.
            self._end(self.tickets[window.serving], TicketStatus.SERVED, event.at, learn=False)
        self.plan.closed(window.id, self._local_s(event.at))
        self._changed()

    def _tick(self, event: QueueEvent) -> None:
        pass

    def _reset(self, event: QueueEvent) -> None:
        # A late reset cannot undo what the hall applied after its stamp: the day restarts now.
        assert self.now is not None
        self.resets += 1
        self.plan.close_all(self._local_s(self.now))
        self._start_day(at=self.now)
        self._next_review = _review_after(self.now)

    # -- internals -------------------------------------------------------------------

    def _start_day(self, at: datetime | None = None) -> None:
        old_alerts = getattr(self, "alerts", {})
        for alert in old_alerts.values():
            if alert.active and at is not None:
                alert.resolved_at = at
                self._emit(AlertChange.RESOLVED, alert)
        self.tickets: dict[str, Ticket] = {}
        self.waiting: dict[str, Ticket] = {}
        self.windows: dict[str, Window] = {
            w.id: Window(id=w.id, services=w.services) for w in self.config.windows}
        self.calls: deque[Call] = deque(maxlen=RECENT_CALLS)
        self.alerts: dict[str, Alert] = {}
        self.extra_services: set[str] = set()
        self._due: list[_Due] = []
        self._seq = 0
        self._open_windows_alert: Alert | None = None
        self._open_windows_count = 0
        self._staffing_alert: Alert | None = None
        self._staffing_count = 0
        self._advisor = StaffingAdvisor(timedelta(minutes=self.config.staffing.close_after_min))
        self._arrivals: deque[tuple[datetime, str]] = deque()
        """Recent issues (time, service), for the arrival rate and mix of the staffing advice."""
        self._issued_today: dict[str, int] = {}
        """Tickets issued per service since the day began: the mix of a forecast with no recent arrivals."""
        self._transfers = 0
        """Transfers today: a ticket can be transferred more than once."""
        self._changed()

    def _start_waiting(self, ticket: Ticket, at: datetime) -> None:
        ticket.status = TicketStatus.WAITING
        ticket.waiting_since = at
        self._seq += 1
        ticket.order = self._seq
        ticket.changed_at = at
        self.waiting[ticket.label] = ticket
        for kind, after in care_thresholds(self.config.alerts):
            heapq.heappush(self._due, _Due(at + after, self._seq, ticket.label, ticket.episode, kind, after))
        # A late event may start a wait whose care time has already passed.
        if self.now is not None:
            self._fire_due(self.now)
        self._changed()

    def _arrived(self, service: str, at: datetime) -> None:
        """Count one customer arriving: today's arrival rate, mix and time-of-day profile."""
        self._arrivals.append((at, service))
        self._issued_today[service] = self._issued_today.get(service, 0) + 1
        self.arrival_profile.issued(self._local_s(at))

    def _stop_waiting(self, ticket: Ticket, status: TicketStatus, at: datetime) -> None:
        was_waiting = self.waiting.pop(ticket.label, None) is not None
        ticket.status = status
        if not was_waiting:
            return
        for kind in (AlertKind.CARE_SOON, AlertKind.CARE_15, AlertKind.CARE_30):
            self._resolve(self.alerts.get(self._care_alert_id(kind, ticket.label, ticket.episode)), at)
        self._changed()

    def _resolve(self, alert: Alert | None, at: datetime) -> None:
        if alert is not None and alert.active:
            # A late event can stop a wait 'before' its alert was due; never resolve before raising.
            alert.resolved_at = max(at, alert.raised_at)
            self._emit(AlertChange.RESOLVED, alert)

    def _end(self, ticket: Ticket, status: TicketStatus, at: datetime, *, learn: bool) -> None:
        """End the ticket's wait or service: served, no-show or cancelled."""
        in_service = ticket.ended_at is None and ticket.called_at is not None
        if learn and in_service:
            self._learn(ticket, at)
        if status is TicketStatus.NO_SHOW and ticket.ended_at is None:
            called = ticket.called_at
            self.learned.absent((at - called).total_seconds() if called is not None else None)
        self._stop_waiting(ticket, status, at)
        ticket.ended_at = at
        ticket.changed_at = at if ticket.changed_at is None else max(at, ticket.changed_at)
        if ticket.window is not None:
            self._free_window(ticket.window, ticket.label)
        self._changed()

    def _learn(self, ticket: Ticket, at: datetime) -> None:
        assert ticket.called_at is not None
        if not ticket.learned:
            ticket.learned = True
            self.learned.served(ticket.service, ticket.window, (at - ticket.called_at).total_seconds())

    def _free_window(self, window_id: str, label: str) -> None:
        window = self.windows.get(window_id)
        if window is not None and window.serving == label:
            window.serving = None

    def _fire_due(self, now: datetime) -> None:
        while self._due and self._due[0].at <= now:
            due = heapq.heappop(self._due)
            ticket = self.waiting.get(due.ticket)
            if ticket is None or ticket.episode != due.episode:
                continue
            alert_id = self._care_alert_id(due.kind, ticket.label, ticket.episode)
            if alert_id in self.alerts:
                continue
            minutes = int(due.after.total_seconds() // 60)
            alert = Alert(
                id=alert_id, kind=due.kind, ticket=ticket.label, service=ticket.service,
                raised_at=due.at, waited_s=int(due.after.total_seconds()),
                waiting=len(self.waiting), open_windows=self.open_window_count(),
                recommended_windows=None, message=care_message(due.kind, ticket.label, minutes),
                waiting_since=ticket.waiting_since)
            self.alerts[alert.id] = alert
            self._emit(AlertChange.RAISED, alert)
            if due.kind is AlertKind.CARE_15:
                # The visit is due now: the early warning has done its job.
                self._resolve(self.alerts.get(
                    self._care_alert_id(AlertKind.CARE_SOON, ticket.label, ticket.episode)), due.at)

    # -- reviews: early care and staffing ---------------------------------------------------

    def _local_s(self, at: datetime) -> float:
        local = at.astimezone(self.tz)
        return local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6

    def _queue_model(self, at: datetime | None = None) -> QueueModel:
        at = at or self.now
        local_s = self._local_s(at) if at is not None else 0.0
        views = [WindowView(w.id, w.open, w.services,
                            self.tickets[w.serving].service if w.serving in self.tickets else None)
                 for w in self.windows.values()]
        return QueueModel(views, self.learned, self.plan, local_s)

    def _waiting_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for ticket in self.waiting.values():
            counts[ticket.service] = counts.get(ticket.service, 0) + 1
        return counts

    def _review(self, at: datetime) -> None:
        """Re-estimate everyone waiting: raise or resolve early care, update the staffing advice."""
        waits = self.ticket_waits(at) if self.waiting else {}
        for label, outlook in waits.items():
            self._review_care_soon(self.waiting[label], outlook, at)
        self._review_staffing(at)

    def _review_newcomer(self, ticket: Ticket, at: datetime) -> None:
        if self.now is None or at < self.now:
            return
        if ticket.priority:
            outlook = self.ticket_waits(at)[ticket.label]
        else:
            # Not late and not priority: last in call order, behind every other waiting ticket.
            counts = self._waiting_counts()
            counts[ticket.service] -= 1
            outlook = self._queue_model(at).newcomer(ticket.service, counts)
        ticket.told = outlook.estimate
        self._review_care_soon(ticket, outlook, at)

    def _review_care_soon(self, ticket: Ticket, outlook: TicketWait, at: datetime) -> None:
        settings = self.config.alerts
        if settings.care_soon_probability <= 0 or ticket.waiting_since is None:
            return
        waited_s = (at - ticket.waiting_since).total_seconds()
        p_late = outlook.p_exceeds(settings.care_first_min * 60 - waited_s)
        alert_id = self._care_alert_id(AlertKind.CARE_SOON, ticket.label, ticket.episode)
        alert = self.alerts.get(alert_id)
        if alert is None:
            if care_soon_should_raise(p_late, waited_s, settings):
                alert = Alert(
                    id=alert_id, kind=AlertKind.CARE_SOON, ticket=ticket.label, service=ticket.service,
                    raised_at=at, waited_s=int(waited_s), waiting=len(self.waiting),
                    open_windows=self.open_window_count(), recommended_windows=None,
                    message=care_soon_message(ticket.label, p_late, outlook.estimate.expected_s,
                                              settings.care_first_min),
                    waiting_since=ticket.waiting_since)
                self.alerts[alert_id] = alert
                self._emit(AlertChange.RAISED, alert)
        elif alert.active and care_soon_should_resolve(p_late, settings):
            self._resolve(alert, at)

    def _windows_needed(self, at: datetime) -> int:
        """The staffing advice before hysteresis and minimums."""
        settings = self.config.staffing
        while self._arrivals and at - self._arrivals[0][0] >= timedelta(minutes=settings.arrival_window_min):
            self._arrivals.popleft()
        queue = self.queue()
        elapsed = [(at - t.waiting_since).total_seconds() for t in queue if t.waiting_since is not None]
        open_windows = [w for w in self.windows.values() if w.open]
        window_s = settings.arrival_window_min * 60
        rate = len(self._arrivals) / window_s
        if settings.lookahead_min > 0:
            # Staff for the next half hour as earlier days had it (scaled to today's volume), so
            # windows are advised before a surge rather than after the queue has built. The
            # last 15 minutes' count is noisy (a Poisson count of ~30 is ±20%); it only wins
            # where it is clearly above the forecast (two standard deviations): a surge the
            # profile did not foresee.
            forecast = self.arrival_profile.forecast_per_s(self._local_s(at), settings.lookahead_min * 60)
            if forecast is not None:
                n = len(self._arrivals)
                rate = max(forecast, max(0.0, n - 2 * n ** 0.5) / window_s)
        if not elapsed and rate <= 0:
            return 1 if open_windows else 0
        speeds = [self.learned.window_speeds.speed(w.id) for w in open_windows] or [1.0]
        speed = sum(speeds) / len(speeds)

        def mean_cost(counts: Mapping[str, int]) -> float:
            total = sum(counts.values())
            return sum(self.learned.window_cost_s(s) * n for s, n in counts.items()) / total / speed if total else 0.0

        recent: dict[str, int] = {}
        for _, service in self._arrivals:
            recent[service] = recent.get(service, 0) + 1
        waiting: dict[str, int] = {}
        for t in queue:
            waiting[t.service] = waiting.get(t.service, 0) + 1
        # The day's mix so far: 15 minutes of arrivals are too few (±12% in mean window time).
        mix = self._issued_today or recent or waiting or {s.id: 1 for s in self.config.services}
        free = sum(1 for w in open_windows if w.serving is None)
        return windows_needed(
            elapsed, mean_cost(waiting), rate, mean_cost(mix),
            open_windows=len(open_windows), free_windows=free, target_s=settings.target_wait_min * 60,
            target_share=settings.target_share, max_windows=self._known_windows())

    def _review_staffing(self, at: datetime) -> None:
        settings = self.config.staffing
        if not settings.enabled:
            return
        needed = max(self._windows_needed(at), settings.minimum_at(self._local_s(at), self._known_windows()))
        open_windows = self.open_window_count()
        before = self._advisor.advised
        advised = self._advisor.update(min(needed, max(self._known_windows(), 1)), open_windows, at)
        if advised == before:
            self._check_staffing_done(at)
            return
        self._resolve(self._staffing_alert, at)
        self._staffing_alert = None
        if advised != open_windows:
            self._staffing_count += 1
            alert = Alert(
                id=f"{self.day_id}:staffing:{self._staffing_count}", kind=AlertKind.STAFFING,
                ticket=None, service=None, raised_at=at, waited_s=self._longest_wait_s(at),
                waiting=len(self.waiting), open_windows=open_windows, recommended_windows=advised,
                message=staffing_message(advised, open_windows, settings))
            self.alerts[alert.id] = alert
            self._staffing_alert = alert
            self._emit(AlertChange.RAISED, alert)

    def _check_staffing_done(self, at: datetime) -> None:
        """The manager did what was advised: the staffing alert has nothing left to ask."""
        alert = self._staffing_alert
        if alert is not None and self.open_window_count() == self._advisor.advised:
            self._resolve(alert, at)
            self._staffing_alert = None

    def _check_open_windows(self, at: datetime) -> None:
        settings = self.config.alerts
        waiting = len(self.waiting)
        open_windows = self.open_window_count()
        current = self._open_windows_alert
        self._check_staffing_done(at)
        if current is None:
            if open_windows_should_raise(waiting, open_windows, settings):
                self._open_windows_count += 1
                # How many: the staffing advice for this queue, and at least one more than now.
                needed = self._windows_needed(at)
                recommended = max(needed, open_windows + 1)
                if self._known_windows():
                    # Never more than the hall has; with all of them open, the advice is to keep them.
                    recommended = max(open_windows, min(recommended, self._known_windows()))
                alert = Alert(
                    id=f"{self.day_id}:open_windows:{self._open_windows_count}",
                    kind=AlertKind.OPEN_WINDOWS, ticket=None, service=None, raised_at=at,
                    waited_s=self._longest_wait_s(at), waiting=waiting, open_windows=open_windows,
                    recommended_windows=recommended,
                    message=open_windows_message(waiting, open_windows, recommended))
                self.alerts[alert.id] = alert
                self._open_windows_alert = alert
                self._emit(AlertChange.RAISED, alert)
        elif open_windows_should_resolve(waiting, open_windows, settings):
            current.resolved_at = max(at, current.raised_at)
            self._open_windows_alert = None
            self._emit(AlertChange.RESOLVED, current)

    def _longest_wait_s(self, at: datetime) -> int:
        starts = [t.waiting_since for t in self.waiting.values() if t.waiting_since is not None]
        return int((at - min(starts)).total_seconds()) if starts else 0

    def _known_windows(self) -> int:
        return len(self.windows)

    def _care_alert_id(self, kind: AlertKind, label: str, episode: int) -> str:
        base = f"{self.day_id}:{kind}:{label}"
        return base if episode == 0 else f"{base}:{episode}"

    def _window(self, window_id: str) -> Window:
        window = self.windows.get(window_id)
        if window is None:
            window = Window(id=window_id, services=self._configured_window_services(window_id))
            self.windows[window_id] = window
        return window

    def _configured_window_services(self, window_id: str) -> tuple[str, ...] | None:
        for w in self.config.windows:
            if w.id == window_id:
                return w.services
        return None

    def _note_service(self, service: str) -> None:
        if self.config.service(service) is None:
            self.extra_services.add(service)

    def _service_from_label(self, label: str) -> str:
        """Guess a service for a ticket called before it was issued, from its prefix."""
        for service in sorted(self.config.services, key=lambda s: -len(s.prefix)):
            if service.prefix and label.startswith(service.prefix):
                return service.id
        return "unknown"

    def _emit(self, change: AlertChange, alert: Alert) -> None:
        self._outbox.append((change, alert))
        self._changed()

    def _changed(self) -> None:
        self.version += 1


def _review_after(at: datetime) -> datetime:
    """The first review moment after ``at``: the next multiple of REVIEW_EVERY since the epoch."""
    step = REVIEW_EVERY.total_seconds()
    return datetime.fromtimestamp((at.timestamp() // step + 1) * step, tz=at.tzinfo)


def _call_order(ticket: Ticket) -> tuple[bool, datetime, int]:
    assert ticket.waiting_since is not None
    return (not ticket.priority, ticket.waiting_since, ticket.order)


_FIRST_SIGHT = frozenset({EventType.TICKET_CALLED, EventType.TICKET_RECALLED, EventType.TICKET_SERVED})
"""Events that may name a ticket the hall has not seen: its issue is late or was lost."""

_HANDLERS = {
    EventType.TICKET_ISSUED: Hall._issued,
    EventType.TICKET_CALLED: Hall._called,
    EventType.TICKET_RECALLED: Hall._called,
    EventType.TICKET_SERVED: Hall._served,
    EventType.TICKET_NO_SHOW: Hall._no_show,
    EventType.TICKET_CANCELLED: Hall._cancelled,
    EventType.TICKET_TRANSFERRED: Hall._transferred,
    EventType.WINDOW_OPENED: Hall._window_opened,
    EventType.WINDOW_CLOSED: Hall._window_closed,
    EventType.CLOCK_TICK: Hall._tick,
    EventType.HALL_RESET: Hall._reset,
}
