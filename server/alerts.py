"""Staff alerts: what one alert holds, and the book of today's alerts with their outbox.

The rules that raise them live with what they watch: care.py (the 15- and 30-minute
visits and care_soon) and staffing.py ("open more windows" and the staffing advice).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .events import text_problem
from .tickets import Ticket


__all__ = ["AckRejected", "Alert", "AlertBook", "AlertChange", "AlertKind", "MAX_NAME"]

MAX_NAME = 64
"""Longest name an acknowledgement may carry."""


class AlertKind(enum.StrEnum):
    CARE_15 = "care_15"
    CARE_30 = "care_30"
    OPEN_WINDOWS = "open_windows"
    CARE_SOON = "care_soon"
    """Predicted to pass the first care threshold: visit before it happens."""
    STAFFING = "staffing"
    """The advised number of open windows changed."""


class AlertChange(enum.StrEnum):
    """What happened to an alert; also the suffix of the staff message type."""

    RAISED = "raised"
    RESOLVED = "resolved"
    ACKNOWLEDGED = "acknowledged"
    UPDATED = "updated"
    """A hall-wide alert's numbers changed (open windows, advice, waiting): same id, no new ring."""


class AckRejected(Exception):
    """A staff acknowledgement that cannot be applied; nothing changed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(slots=True, kw_only=True)
class Alert:
    """One staff alert.

    ``raised_at`` is the moment the rule became due (e.g. issue + 15 min), not the
    moment somebody noticed, so replaying the journal rebuilds identical alerts.
    """

    id: str
    kind: AlertKind
    ticket: str | None
    service: str | None
    raised_at: datetime
    waited_s: int
    waiting: int
    open_windows: int
    recommended_windows: int | None
    message: str
    waiting_since: datetime | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.resolved_at is None

    def to_json(self) -> dict[str, Any]:
        """Return the ALERT object of the staff feed."""
        return {
            "id": self.id,
            "kind": str(self.kind),
            "ticket": self.ticket,
            "service": self.service,
            "raised_at": self.raised_at.isoformat(),
            "waited_s": self.waited_s,
            "waiting": self.waiting,
            "open_windows": self.open_windows,
            "recommended_windows": self.recommended_windows,
            "message": self.message,
            "acknowledged_by": self.acknowledged_by,
            # Extensions beyond the contract's fields: enough to tick a live timer and
            # to measure time-to-acknowledge.
            "waiting_since": self.waiting_since.isoformat() if self.waiting_since else None,
            "acknowledged_at": self.acknowledged_at.isoformat() if self.acknowledged_at else None,
            "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }


class AlertBook:
    """Today's alerts by id, and the changes not yet sent.

    The one place alerts are made (:meth:`raise_alert`), resolved and acknowledged, so
    every alert carries the same context and an id unique within the business day.
    """

    def __init__(self) -> None:
        self.alerts: dict[str, Alert] = {}
        self.day_id = "none"
        """Prefix of every alert id: the business day, and its reset count."""
        self.version = 0
        """Bumped on every change."""
        self._outbox: list[tuple[AlertChange, Alert]] = []
        self._numbers: dict[AlertKind, int] = {}

    def start_day(self, day_id: str, at: datetime | None) -> None:
        """Resolve what is still active at ``at`` and start a new day's book (the outbox stays)."""
        if at is not None:
            for alert in self.active():
                self.resolve(alert, at)
        self.alerts = {}
        self.day_id = day_id
        self._numbers = {}
        self.version += 1

    def care_id(self, kind: AlertKind, ticket: Ticket, episode: int | None = None) -> str:
        """The id of a care alert: one per kind and wait (a transfer starts a new wait, ``:n``)."""
        episode = ticket.episode if episode is None else episode
        base = f"{self.day_id}:{kind}:{ticket.label}"
        return base if episode == 0 else f"{base}:{episode}"

    def next_id(self, kind: AlertKind) -> str:
        """The id of the next alert of a hall-wide kind: numbered within the day."""
        self._numbers[kind] = self._numbers.get(kind, 0) + 1
        return f"{self.day_id}:{kind}:{self._numbers[kind]}"

    def raise_alert(self, alert_id: str, kind: AlertKind, at: datetime, *, waiting: int, open_windows: int,
                    waited_s: float, message: str, ticket: Ticket | None = None,
                    recommended_windows: int | None = None) -> Alert:
        """Make, keep and announce one alert."""
        alert = Alert(id=alert_id, kind=kind, ticket=ticket.label if ticket else None,
                      service=ticket.service if ticket else None, raised_at=at, waited_s=max(0, int(waited_s)),
                      waiting=waiting, open_windows=open_windows, recommended_windows=recommended_windows,
                      message=message, waiting_since=ticket.waiting_since if ticket else None)
        self.alerts[alert_id] = alert
        self._emit(AlertChange.RAISED, alert)
        return alert

    def update(self, alert: Alert, at: datetime, *, waiting: int, open_windows: int,
               recommended_windows: int | None, message: str) -> bool:
        """Bring an active alert's numbers up to date at ``at``; announce it only if one changed.

        An alert whose text goes stale contradicts the figures beside it (issue 12: "开 8 个"
        on a card while 12 were open), so the hall-wide alerts follow the hall instead.
        """
        if not alert.active or (alert.waiting, alert.open_windows, alert.recommended_windows, alert.message) == (
                waiting, open_windows, recommended_windows, message):
            return False
        alert.waiting = waiting
        alert.open_windows = open_windows
        alert.recommended_windows = recommended_windows
        alert.message = message
        alert.updated_at = max(at, alert.raised_at)
        self._emit(AlertChange.UPDATED, alert)
        return True

    def resolve(self, alert: Alert | str | None, at: datetime) -> None:
        """Resolve an active alert at ``at``, or at its raise if a late event stamped it earlier."""
        if isinstance(alert, str):
            alert = self.alerts.get(alert)
        if alert is not None and alert.active:
            alert.resolved_at = max(at, alert.raised_at)
            self._emit(AlertChange.RESOLVED, alert)

    def acknowledge(self, alert_id: str, by: str, now: datetime) -> Alert:
        """Record that ``by`` took care of an active alert.

        Raises:
            AckRejected: unknown, resolved or already acknowledged alert, or no name.
        """
        by = by.strip() if isinstance(by, str) else ""
        if not by or len(by) > MAX_NAME:
            raise AckRejected("invalid_field", f"field 'by' must name who takes the alert (1-{MAX_NAME} characters)")
        if (problem := text_problem(by)) is not None:
            raise AckRejected("invalid_field", f"field 'by' {problem}")
        alert = self.alerts.get(alert_id)
        if alert is None or not alert.active:
            raise AckRejected("unknown_alert", f"no active alert {alert_id!r}")
        if alert.acknowledged_by is not None:
            raise AckRejected("already_acknowledged", f"alert {alert_id} was already taken by {alert.acknowledged_by}")
        alert.acknowledged_by = by
        alert.acknowledged_at = max(now, alert.raised_at)
        self._emit(AlertChange.ACKNOWLEDGED, alert)
        return alert

    def active(self) -> list[Alert]:
        return [a for a in self.alerts.values() if a.active]

    def to_send(self) -> list[tuple[AlertChange, Alert]]:
        """Return alert changes since the last call, oldest first; each is returned once."""
        out, self._outbox = self._outbox, []
        return out

    def _emit(self, change: AlertChange, alert: Alert) -> None:
        self._outbox.append((change, alert))
        self.version += 1
