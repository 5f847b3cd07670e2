"""The live state of one hall: the coordinator of its tickets, alerts, care rules and staffing.

Feed it with :meth:`Hall.receive` (queue events), :meth:`Hall.advance` (time) and
:meth:`Hall.acknowledge` (staff); then drain :meth:`Hall.alerts_to_send`. It never reads a
clock: every input carries its time, so a journal replays to the same state.

Who does what:
- tickets.py (:class:`Floor`): the ticket state machine of the day, and what services teach;
- care.py (:class:`Care`): the 15- and 30-minute visits and care_soon;
- staffing.py (:class:`StaffingReview`): "open more windows" and the staffing advice;
- alerts.py (:class:`AlertBook`): today's alerts and the outbox;
- waits.py / estimate.py: expected waits, over the window plan (window_plan.py);
- this module: the day and the clock, and which part hears of what, in which order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Container, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from .alerts import AckRejected, Alert, AlertBook, AlertChange
from .arrival_profile import ArrivalProfile
from .care import Care
from .config import DEFAULT_SERVICE_MEAN_S, HallConfig
from .errors import InvalidEvent
from .estimate import Estimate
from .events import EventType, QueueEvent
from .learning import Learned, NoShows, ServiceTimes, WindowSpeeds
from .staffing import StaffingReview
from .tickets import RECENT_CALLS, Call, Floor, Ticket, TicketStatus
from .waits import QueueModel, TicketWait, WaitingView, WindowView
from .window_plan import WindowPlan, local_seconds
from .windows import Window


__all__ = ["AckRejected", "Call", "Hall", "RECENT_CALLS", "REVIEW_CATCH_UP", "REVIEW_EVERY", "Ticket", "TicketStatus",
           "Window"]

REVIEW_EVERY = timedelta(seconds=30)
"""Early care and staffing advice are reviewed on this grid of hall time (and care_soon at issue).

A fixed grid of absolute times, not "whenever the clock moves", keeps replay deterministic:
the same journal reviews at the same moments, however often the live clock ticked.
"""

REVIEW_CATCH_UP = timedelta(minutes=15)
"""After a longer jump of the clock, only this last stretch of review moments is reviewed.

Every review estimates everyone waiting: a same-day jump of 14 hours (a server down since
morning, a replay with a gap) would run 1,680 of them and stall the server for seconds, for
moments nobody watched. Longer than the staffing hysteresis (10 min), so the advice after a
jump still sees a full window of reviews. The server journals its time at least every few
minutes (web/hub.py), so that its replay meets the same jumps as it did.
"""


class Hall:
    """One hall, one business day at a time."""

    def __init__(self, config: HallConfig) -> None:
        self.config = config
        self.tz = config.tz
        # What outlives a day (see export_snapshot).
        self.learned = Learned(
            ServiceTimes({s.id: s.mean_service_s for s in config.services}, default_s=DEFAULT_SERVICE_MEAN_S),
            NoShows(), WindowSpeeds())
        self.plan = WindowPlan({w.id: w.hours for w in config.windows if w.hours is not None},
                               windows=[w.id for w in config.windows])
        self.arrival_profile = ArrivalProfile()
        """Tickets issued by time of day over past days: the staffing advice looks ahead with it."""
        # The clock and the day.
        self.now: datetime | None = None
        self.day: date | None = None
        self.resets = 0
        """hall.reset events within this date: part of the day id so alert ids stay unique."""
        self._next_review: datetime | None = None
        # Today (replaced when a day starts; the alert book lives on for its outbox).
        self.alerts_book = AlertBook()
        self.floor = Floor(config, self.learned)
        self.care = Care(config.alerts, self.alerts_book, self.floor, self.learned.care_soon)
        self.staffing = StaffingReview(config, self.alerts_book, self.floor, self.learned, self.arrival_profile,
                                       self.plan)
        self._retired_versions = 0
        self._last_model: QueueModel | None = None
        """The latest queue model of today, inputs since or not: a model that shares its plan ahead
        takes what it can from it."""
        self._model: tuple[datetime | None, QueueModel] | None = None
        """The latest queue model and its moment, until an input changes the windows, the plan or
        what was learned: a display.state asks it once per service, a review and /api/state once
        more, and a review at a later moment builds on it."""

    # -- inputs -------------------------------------------------------------------------------

    def check(self, event: QueueEvent) -> None:
        """Raise :class:`InvalidEvent` if ``event`` cannot be applied; change nothing."""
        event_day = event.at.astimezone(self.tz).date()
        if self.day is not None and event_day < self.day:
            raise InvalidEvent("stale_day", f"event is dated {event_day.isoformat()}, before the hall's current "
                                            f"day {self.day.isoformat()}")
        if self.day is None or event_day > self.day:
            # A new day starts with no tickets: judge the event against the hall it would find.
            Floor(self.config, self.learned).check(event)
        elif event.type is not EventType.HALL_RESET:
            self.floor.check(event)

    def receive(self, event: QueueEvent) -> None:
        """Apply one queue event: advance the clock to its time, then apply it.

        Raises:
            InvalidEvent: the event was rejected and nothing changed.
        """
        self.check(event)
        self.advance(event.at)
        now = self.now
        assert now is not None
        if event.type is EventType.HALL_RESET:
            # A late reset cannot undo what the hall applied after its stamp: the day restarts now.
            self.resets += 1
            self.plan.close_all(local_seconds(now, self.tz))
            self._start_day(now)
        changes = self.floor.apply(event)
        if changes.stopped is not None:
            ticket, episode = changes.stopped
            self.care.stop(ticket, episode, event.at)
        if changes.arrived is not None:
            self.staffing.arrived(changes.arrived, event.at)
            self.arrival_profile.issued(local_seconds(event.at, self.tz), changes.arrived)
        if changes.window is not None:
            opened = self.plan.opened if changes.window.open else self.plan.closed
            opened(changes.window.id, local_seconds(event.at, self.tz))
        if not (event.type is EventType.TICKET_ISSUED and changes.arrived is not None):
            # A new ticket changes only who waits, which the queue model is told at each
            # question; anything else may change the windows or what was learned.
            self._model = None
        if changes.started is not None:
            self.care.start(changes.started, event.at)
            # A late event may start a wait whose care time has already passed.
            self.care.fire_due(now)
            if event.type is EventType.TICKET_ISSUED:
                self._review_newcomer(changes.started, event.at)
        # The rules judge the hall as it is now, so a late event raises at the hall's time.
        self.staffing.check_open_windows(now)

    def advance(self, now: datetime) -> None:
        """Move the hall's clock forward to ``now``, firing every rule due by then.

        A time earlier than the hall's clock changes nothing (events may arrive late).
        """
        if self.now is not None and now <= self.now:
            return
        local_day = now.astimezone(self.tz).date()
        if self.day is not None and local_day > self.day:
            midnight = datetime.combine(self.day + timedelta(days=1), time(), self.tz)
            self.care.fire_due(midnight - timedelta(microseconds=1))
            self.now = now
            self.day = local_day
            self.resets = 0
            self.plan.end_day()
            self.arrival_profile.end_day()
            self._start_day(now)
            return
        if self.day is None:
            self.day = local_day
            self.alerts_book.day_id = self.day_id
        if self._next_review is None:
            self._next_review = _review_after(now)
        elif now - self._next_review > REVIEW_CATCH_UP:
            self._next_review = _review_after(now - REVIEW_CATCH_UP)
        while self._next_review <= now:
            review_at = self._next_review
            self.care.fire_due(review_at)
            self._review(review_at)
            self._next_review = review_at + REVIEW_EVERY
        self.care.fire_due(now)
        self.now = now

    def acknowledge(self, alert_id: str, by: str, now: datetime) -> Alert:
        """Record that ``by`` took care of an active alert.

        Raises:
            AckRejected: unknown, resolved or already acknowledged alert, or no name.
        """
        return self.alerts_book.acknowledge(alert_id, by, now)

    # -- outputs ------------------------------------------------------------------------------

    def alerts_to_send(self) -> list[tuple[AlertChange, Alert]]:
        """Return alert changes since the last call, oldest first; each is returned once."""
        return self.alerts_book.to_send()

    @property
    def version(self) -> int:
        """Grows with every change the lobby screens or staff could see."""
        return self._retired_versions + self.floor.version + self.alerts_book.version

    @property
    def day_id(self) -> str:
        """The business day: the date, plus the reset count after a hall.reset."""
        base = self.day.isoformat() if self.day else "none"
        return base if self.resets == 0 else f"{base}r{self.resets}"

    # Today's floor, read through the hall.
    @property
    def tickets(self) -> dict[str, Ticket]:
        return self.floor.tickets

    @property
    def waiting(self) -> dict[str, Ticket]:
        return self.floor.waiting

    @property
    def windows(self) -> dict[str, Window]:
        return self.floor.windows.by_id

    @property
    def calls(self) -> deque[Call]:
        return self.floor.calls

    @property
    def alerts(self) -> dict[str, Alert]:
        return self.alerts_book.alerts

    @property
    def counts(self) -> dict[str, int]:
        """Today's tickets by status; ``issued`` is every ticket the hall knows, so the rest add up to it."""
        return self.floor.counts()

    @property
    def service_times(self) -> ServiceTimes:
        return self.learned.service_times

    def active_alerts(self) -> list[Alert]:
        return self.alerts_book.active()

    def open_window_count(self, service: str | None = None) -> int:
        return self.floor.open_window_count(service)

    def queue(self) -> list[Ticket]:
        """Return the waiting tickets in call order: priority first, then by the moment they began to wait."""
        return self.floor.queue()

    def waiting_by_service(self) -> dict[str, list[Ticket]]:
        """Return the waiting tickets of each service in call order."""
        return self.floor.waiting_by_service()

    def service_ids(self) -> list[str]:
        """Configured services first, in config order, then those met on the wire."""
        return self.floor.service_ids()

    def staffing_advice(self) -> int | None:
        """The advised number of open windows, as last reviewed (hysteresis applied)."""
        return self.staffing.advised

    def estimates(self) -> dict[str, tuple[int, Estimate]]:
        """Return, per waiting ticket, its position in its service and its expected wait."""
        return {label: (w.position, w.estimate) for label, w in self.ticket_waits().items()}

    def ticket_waits(self, at: datetime | None = None, only: Container[str] | None = None) -> dict[str, TicketWait]:
        """Return every waiting ticket's outlook (estimate, range, chance of a late call); ``only``: of these."""
        now = at or self.now
        views = [WaitingView(t.label, t.service, _waited_s(t, now)) for t in self.queue()]
        return self._queue_model(at).queue_waits(views, only)

    def newcomer_estimate(self, service: str, waiting_count: int | None = None) -> Estimate | None:
        """Return the expected wait of a ticket taken now; ``None`` when no open window serves it.

        ``waiting_count`` is accepted for callers of the first estimator and ignored: a
        newcomer queues behind every waiting ticket that competes for its windows.
        """
        if self.open_window_count(service) == 0:
            return None
        return self._queue_model().newcomer(service, self.floor.waiting_counts(), self._oldest_by_service()).estimate

    # -- days and snapshots ---------------------------------------------------------------------

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
        self._model = self._last_model = None
        self.learned.restore(data.get("service_times", {}))
        self.plan.restore(data.get("window_plan", {}))
        self.arrival_profile.restore(data.get("arrival_profile", {}))
        if data.get("day"):
            self.day = date.fromisoformat(data["day"])
            self.resets = int(data.get("resets", 0))
            self.alerts_book.day_id = self.day_id
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

    def _start_day(self, at: datetime) -> None:
        """Resolve what is left of the day before and start an empty hall."""
        self._model = self._last_model = None
        self.alerts_book.start_day(self.day_id, at)
        self._retired_versions += self.floor.version + 1
        self.floor = Floor(self.config, self.learned)
        self.care = Care(self.config.alerts, self.alerts_book, self.floor, self.learned.care_soon)
        self.staffing = StaffingReview(self.config, self.alerts_book, self.floor, self.learned, self.arrival_profile,
                                       self.plan)
        self._next_review = _review_after(at)

    # -- reviews: early care and staffing ----------------------------------------------------------

    def _queue_model(self, at: datetime | None = None) -> QueueModel:
        at = at or self.now
        local_s = local_seconds(at, self.tz) if at is not None else 0.0
        if self._model is not None:
            if self._model[0] == at:
                return self._model[1]
            # No input since (each clears it): the windows and what was learned are the same.
            model = QueueModel(self._model[1].windows, self.learned, self.plan, local_s, self._model[1], True)
        else:
            tickets = self.floor.tickets
            views = [WindowView(w.id, w.open, w.services,
                                tickets[w.serving].service if w.serving in tickets else None)
                     for w in self.floor.windows.by_id.values()]
            model = QueueModel(views, self.learned, self.plan, local_s, self._last_model)
        self._model = at, model
        self._last_model = model
        return model

    def _review(self, at: datetime) -> None:
        """Re-estimate everyone waiting: raise or resolve early care, update the staffing advice."""
        to_review = {label for label, t in self.floor.waiting.items() if self.care.needs_review(t, at)}
        if to_review:
            for label, outlook in self.ticket_waits(at, to_review).items():
                self.care.review_soon(self.floor.waiting[label], outlook, at)
        self.staffing.review(at)

    def _review_newcomer(self, ticket: Ticket, at: datetime) -> None:
        """Tell a new ticket its wait (kept to check the range at its call), and maybe care_soon."""
        if self.now is None or at < self.now:
            return
        if ticket.priority:
            outlook = self.ticket_waits(at)[ticket.label]
        else:
            # Not late and not priority: last in call order, behind every other waiting ticket.
            counts = self.floor.waiting_counts()
            counts[ticket.service] -= 1
            outlook = self._queue_model(at).newcomer(ticket.service, counts, self._oldest_by_service(at))
        ticket.told = outlook.estimate
        self.care.review_soon(ticket, outlook, at)


    def _oldest_by_service(self, at: datetime | None = None) -> dict[str, float]:
        """The longest wait so far among each service's waiting tickets: head-of-line evidence."""
        now = at or self.now
        since: dict[str, datetime] = {}
        for t in self.floor.waiting.values():
            start = t.waiting_since
            if start is not None and (t.service not in since or start < since[t.service]):
                since[t.service] = start
        return {service: max(0.0, (now - start).total_seconds()) for service, start in since.items()} if now else {}


def _waited_s(ticket: Ticket, now: datetime | None) -> float:
    if now is None or ticket.waiting_since is None:
        return 0.0
    return max(0.0, (now - ticket.waiting_since).total_seconds())


def _review_after(at: datetime) -> datetime:
    """The first review moment after ``at``: the next multiple of REVIEW_EVERY since the epoch."""
    step = REVIEW_EVERY.total_seconds()
    return datetime.fromtimestamp((at.timestamp() // step + 1) * step, tz=at.tzinfo)
