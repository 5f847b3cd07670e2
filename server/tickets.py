"""The ticket state machine of one business day: who waits, who is at which window, who is done.

:class:`Floor` applies queue events to tickets and windows and reports what the rest of
the hall must react to (:class:`Changes`): a wait that began or ended, a customer seen for
the first time, a window that opened or closed. It also teaches :class:`Learned` what each
finished service took. Events arrive late and out of order, so one rule decides: the latest
stamp decides a ticket's (and a window's) status; an older event only fills in facts the
hall lacks (docs/protocol.md, "Late and reordered events").
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from .config import HallConfig
from .errors import InvalidEvent
from .estimate import Estimate
from .events import EventType, QueueEvent
from .learning import Learned
from .windows import Window, Windows


__all__ = ["Call", "Changes", "Floor", "RECENT_CALLS", "Ticket", "TicketStatus", "call_order"]

RECENT_CALLS = 10
"""Calls kept for the lobby screens, newest first."""


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


@dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    ticket: str
    window: str
    called_at: datetime
    recall: bool
    service: str | None


@dataclass(slots=True)
class Changes:
    """What one event did that the rest of the hall reacts to (at the event's stamp)."""

    stopped: tuple[Ticket, int] | None = None
    """A ticket that stopped waiting, and which of its waits (episode) ended."""
    started: Ticket | None = None
    """A ticket that began to wait (issued, or transferred: a new episode)."""
    arrived: str | None = None
    """The service of a customer the hall counts for the first time."""
    window: Window | None = None
    """A window that opened or closed."""


_FIRST_SIGHT = frozenset({EventType.TICKET_CALLED, EventType.TICKET_RECALLED, EventType.TICKET_SERVED})
"""Events that may name a ticket the hall has not seen: its issue is late or was lost."""

_ENDS_UNKNOWN = frozenset({EventType.TICKET_NO_SHOW, EventType.TICKET_CANCELLED, EventType.TICKET_TRANSFERRED})
"""Events refused for a ticket the hall has never seen today: nothing to end or move."""


def call_order(ticket: Ticket) -> tuple[bool, datetime, int]:
    """Sort key of the queue: priority first, then by the moment the wait began, then arrival."""
    assert ticket.waiting_since is not None
    return (not ticket.priority, ticket.waiting_since, ticket.order)


class Floor:
    """Tickets, windows and calls of one business day.

    Feed events with :meth:`apply` after :meth:`check` passed; read the queue with
    :meth:`queue` and the day's tally with :meth:`counts`.
    """

    def __init__(self, config: HallConfig, learned: Learned) -> None:
        self.config = config
        self.learned = learned
        self.tickets: dict[str, Ticket] = {}
        self.waiting: dict[str, Ticket] = {}
        self.windows = Windows(config)
        self.calls: deque[Call] = deque(maxlen=RECENT_CALLS)
        self.extra_services: set[str] = set()
        """Services met on the wire that the config does not list."""
        self.transfers = 0
        """Transfers today: a ticket can be transferred more than once."""
        self.version = 0
        self._queue: tuple[int, list[Ticket]] = (-1, [])
        """Bumped on every change."""
        self._arrival_seq = 0
        self._handlers: dict[EventType, Callable[[QueueEvent, Changes], None]] = {
            EventType.TICKET_ISSUED: self._issued,
            EventType.TICKET_CALLED: self._called,
            EventType.TICKET_RECALLED: self._called,
            EventType.TICKET_SERVED: self._served,
            EventType.TICKET_NO_SHOW: self._finished,
            EventType.TICKET_CANCELLED: self._finished,
            EventType.TICKET_TRANSFERRED: self._transferred,
            EventType.WINDOW_OPENED: self._window_opened,
            EventType.WINDOW_CLOSED: self._window_closed,
        }

    # -- inputs -------------------------------------------------------------------------------

    def check(self, event: QueueEvent) -> None:
        """Raise :class:`InvalidEvent` if ``event`` names a ticket in a way today cannot accept."""
        if event.ticket is None:
            return
        ticket = self.tickets.get(event.ticket)
        if event.type is EventType.TICKET_ISSUED:
            if ticket is not None and ticket.issued_at is not None:
                raise InvalidEvent("ticket_exists", f"ticket {event.ticket} was already issued today at "
                                                    f"{ticket.issued_at.astimezone(self.config.tz):%H:%M:%S}")
        elif event.type in _ENDS_UNKNOWN and ticket is None:
            raise InvalidEvent("unknown_ticket", f"ticket {event.ticket} was never issued today")

    def apply(self, event: QueueEvent) -> Changes:
        """Apply one event that :meth:`check` accepted; return what it did."""
        changes = Changes()
        handler = self._handlers.get(event.type)
        if handler is not None:
            handler(event, changes)
        return changes

    # -- reading ------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Today's tickets by status; ``issued`` is every ticket the hall knows, so the rest add up to it."""
        counts = dict.fromkeys(("issued", "waiting", "called", "served", "no_show", "cancelled"), 0)
        for ticket in self.tickets.values():
            counts[ticket.status] += 1
        counts["issued"] = len(self.tickets)
        counts["transferred"] = self.transfers
        return counts

    def queue(self) -> list[Ticket]:
        """Return the waiting tickets in call order (a list of the caller's own)."""
        if self._queue[0] != self.version:
            # Every change of who waits, or of a waiting ticket's place, counts a version.
            self._queue = self.version, sorted(self.waiting.values(), key=call_order)
        return list(self._queue[1])

    def waiting_by_service(self) -> dict[str, list[Ticket]]:
        """Return the waiting tickets of each service in call order."""
        queues: dict[str, list[Ticket]] = {}
        for ticket in self.queue():
            queues.setdefault(ticket.service, []).append(ticket)
        return queues

    def waiting_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for ticket in self.waiting.values():
            counts[ticket.service] = counts.get(ticket.service, 0) + 1
        return counts

    def open_window_count(self, service: str | None = None) -> int:
        return self.windows.open_count(service)

    def longest_wait_s(self, at: datetime) -> int:
        starts = [t.waiting_since for t in self.waiting.values() if t.waiting_since is not None]
        return max(0, int((at - min(starts)).total_seconds())) if starts else 0

    def service_ids(self) -> list[str]:
        """Configured services first, in config order, then those met on the wire."""
        ids = [s.id for s in self.config.services]
        ids.extend(sorted(self.extra_services - set(ids)))
        return ids

    # -- tickets ------------------------------------------------------------------------------

    def _issued(self, event: QueueEvent, changes: Changes) -> None:
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
            self.version += 1
            return
        ticket = Ticket(label=event.ticket, service=event.service, priority=event.priority, issued_at=event.at)
        self.tickets[ticket.label] = ticket
        changes.arrived = ticket.service
        self._start_waiting(ticket, event.at, changes)

    def _ticket(self, event: QueueEvent, changes: Changes) -> tuple[Ticket, bool]:
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
            changes.arrived = ticket.service
            return ticket, False
        return ticket, ticket.changed_at is not None and event.at < ticket.changed_at

    def _called(self, event: QueueEvent, changes: Changes) -> None:
        assert event.window is not None
        ticket, late = self._ticket(event, changes)
        if late:
            self._late_call(ticket, event)
            return
        # A call after the ticket ended (a no-show who came back) starts its service again.
        reopened = ticket.ended_at is not None
        recall = event.type is EventType.TICKET_RECALLED or (
            ticket.status is TicketStatus.CALLED and ticket.window == event.window and not reopened)
        self._stop_waiting(ticket, TicketStatus.CALLED, changes)
        ticket.changed_at = event.at
        if reopened:
            ticket.ended_at = None
            ticket.learned = False
        if reopened or not recall or ticket.called_at is None:
            ticket.called_at = event.at
        self._first_call(ticket, event.at)
        if ticket.window is not None and ticket.window != event.window:
            self.windows.free(ticket.window, ticket.label)
        ticket.window = event.window
        window = self.windows.get(event.window)
        if window.serving is not None and window.serving != ticket.label:
            # The window moved on without saying the previous customer was done.
            self._end(self.tickets[window.serving], TicketStatus.SERVED, event.at, changes, learn=False)
        window.serving = ticket.label
        self.calls.appendleft(Call(ticket=ticket.label, window=event.window, called_at=event.at,
                                   recall=recall, service=ticket.service))
        self.version += 1

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
        self.version += 1

    def _first_call(self, ticket: Ticket, at: datetime) -> None:
        """Record the wait the customer felt, and check the range told at issue against it."""
        if ticket.first_wait_s is not None or ticket.issued_at is None:
            return
        ticket.first_wait_s = max(0.0, (at - ticket.issued_at).total_seconds())
        told = ticket.told
        if told is not None and told.high_s > 0:  # "called at once" has no range to check
            self.learned.ranges.observe(told.low_s <= ticket.first_wait_s <= told.high_s)

    def _served(self, event: QueueEvent, changes: Changes) -> None:
        ticket, late = self._ticket(event, changes)
        if late:
            return
        if ticket.window is None:
            ticket.window = event.window
        self._end(ticket, TicketStatus.SERVED, event.at, changes, learn=True)

    def _finished(self, event: QueueEvent, changes: Changes) -> None:
        ticket, late = self._ticket(event, changes)
        if not late:
            status = TicketStatus.NO_SHOW if event.type is EventType.TICKET_NO_SHOW else TicketStatus.CANCELLED
            self._end(ticket, status, event.at, changes, learn=False)

    def _transferred(self, event: QueueEvent, changes: Changes) -> None:
        assert event.service is not None
        ticket, late = self._ticket(event, changes)
        if late:
            return
        self._note_service(event.service)
        self._stop_waiting(ticket, TicketStatus.CALLED, changes)
        if ticket.window is not None:
            self.windows.free(ticket.window, ticket.label)
        if ticket.ended_at is None and ticket.called_at is not None:
            self._learn(ticket, event.at)
        ticket.service = event.service
        ticket.window = None
        ticket.called_at = None
        ticket.ended_at = None
        ticket.learned = False
        ticket.episode += 1
        self.transfers += 1
        self._start_waiting(ticket, event.at, changes)

    def _start_waiting(self, ticket: Ticket, at: datetime, changes: Changes) -> None:
        ticket.status = TicketStatus.WAITING
        ticket.waiting_since = at
        ticket.changed_at = at
        self._arrival_seq += 1
        ticket.order = self._arrival_seq
        self.waiting[ticket.label] = ticket
        changes.started = ticket
        self.version += 1

    def _stop_waiting(self, ticket: Ticket, status: TicketStatus, changes: Changes) -> None:
        ticket.status = status
        if self.waiting.pop(ticket.label, None) is not None:
            changes.stopped = (ticket, ticket.episode)
            self.version += 1

    def _end(self, ticket: Ticket, status: TicketStatus, at: datetime, changes: Changes, *, learn: bool) -> None:
        """End the ticket's wait or service: served, no-show or cancelled."""
        in_service = ticket.ended_at is None and ticket.called_at is not None
        if learn and in_service:
            self._learn(ticket, at)
        if status is TicketStatus.NO_SHOW and ticket.ended_at is None:
            called = ticket.called_at
            self.learned.absent((at - called).total_seconds() if called is not None else None, _waited_s(ticket))
        self._stop_waiting(ticket, status, changes)
        ticket.ended_at = at
        ticket.changed_at = at if ticket.changed_at is None else max(at, ticket.changed_at)
        if ticket.window is not None:
            self.windows.free(ticket.window, ticket.label)
        self.version += 1

    def _learn(self, ticket: Ticket, at: datetime) -> None:
        assert ticket.called_at is not None
        if not ticket.learned:
            ticket.learned = True
            self.learned.served(ticket.service, ticket.window, (at - ticket.called_at).total_seconds(),
                                _waited_s(ticket))

    def _service_from_label(self, label: str) -> str:
        """Guess a service for a ticket called before it was issued, from its prefix."""
        for service in sorted(self.config.services, key=lambda s: -len(s.prefix)):
            if service.prefix and label.startswith(service.prefix):
                return service.id
        return "unknown"

    def _note_service(self, service: str) -> None:
        if self.config.service(service) is None:
            self.extra_services.add(service)

    # -- windows ------------------------------------------------------------------------------

    def _window_opened(self, event: QueueEvent, changes: Changes) -> None:
        window = self.windows.opened(event)
        if window is not None:
            for service in window.services or ():
                self._note_service(service)
            changes.window = window
            self.version += 1

    def _window_closed(self, event: QueueEvent, changes: Changes) -> None:
        window = self.windows.closed(event)
        if window is None:
            return
        if window.serving is not None:
            # A clerk closes the window once the customer at it is done, as with a call that
            # skips "served": reopened later, the window is free.
            self._end(self.tickets[window.serving], TicketStatus.SERVED, event.at, changes, learn=False)
        changes.window = window
        self.version += 1


def _waited_s(ticket: Ticket) -> float | None:
    """The wait before the ticket's call (its current wait's): holders give up the longer it is."""
    if ticket.called_at is None or ticket.waiting_since is None:
        return None
    return max(0.0, (ticket.called_at - ticket.waiting_since).total_seconds())
