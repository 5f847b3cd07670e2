"""The care rules: a visit at 15 minutes of waiting, an apology at 30, and care_soon before them.

Every wait is scheduled when it begins: its care_15 and care_30 come due at fixed moments
(begin + 15 min, + 30 min), kept in a heap and raised when the hall's clock reaches them,
at the due moment, so a replayed journal raises identical alerts. care_soon is predicted:
each review asks the estimator how likely the wait is to pass the first threshold.
"""

from __future__ import annotations

import heapq
from datetime import datetime, timedelta
from typing import NamedTuple

from .alerts import AlertBook, AlertKind
from .config import AlertSettings
from .learning import CareSoonCalibration
from .tickets import Floor, Ticket
from .waits import TicketWait


__all__ = ["Care", "care_thresholds", "care_message", "care_soon_message"]

CARE_KINDS = (AlertKind.CARE_SOON, AlertKind.CARE_15, AlertKind.CARE_30)


def care_thresholds(settings: AlertSettings) -> tuple[tuple[AlertKind, timedelta], ...]:
    """Return the care rules: after how long a waiting ticket gets which visit."""
    return (
        (AlertKind.CARE_15, timedelta(minutes=settings.care_first_min)),
        (AlertKind.CARE_30, timedelta(minutes=settings.care_second_min)),
    )


def care_message(kind: AlertKind, ticket: str, minutes: int) -> str:
    if kind is AlertKind.CARE_30:
        return (f"{ticket} 已等候 {minutes} 分钟，请再次探访并致歉。"
                f" / {ticket} has waited {minutes} min: visit again and apologise.")
    return (f"{ticket} 已等候 {minutes} 分钟，请前往关怀：询问需求、解释原因、引导自助。"
            f" / {ticket} has waited {minutes} min: visit, offer help, explain, suggest self-service.")


def care_soon_message(ticket: str, p_late: float, expected_s: int, first_min: float) -> str:
    minutes = int(first_min)
    percent = int(round(p_late * 100))
    expected_min = max(1, int(round(expected_s / 60)))
    return (f"{ticket} 预计还需等候约 {expected_min} 分钟，{percent}% 可能超过 {minutes} 分钟：请提前关怀。"
            f" / {ticket} is likely ({percent}%) to wait over {minutes} min (about {expected_min} more):"
            f" visit early.")


class _Due(NamedTuple):
    """A visit due: ordered by moment, then by scheduling order (tuples compare in C, a heap of
    them without a Python call per comparison)."""

    at: datetime
    seq: int
    ticket: str
    episode: int
    kind: AlertKind
    after: timedelta


class Care:
    """Care visits of one business day: scheduled at the start of each wait, raised when due."""

    def __init__(self, settings: AlertSettings, alerts: AlertBook, floor: Floor,
                 calibration: CareSoonCalibration | None = None) -> None:
        self.settings = settings
        self.alerts = alerts
        self.floor = floor
        self.calibration = calibration or CareSoonCalibration()
        """The care_soon level learned from the hall's outcomes (kept in the hall's snapshot)."""
        self._due: list[_Due] = []
        self._seq = 0

    def start(self, ticket: Ticket, at: datetime) -> None:
        """Schedule the visits of a wait that began at ``at``."""
        self._seq += 1
        for kind, after in care_thresholds(self.settings):
            heapq.heappush(self._due, _Due(at + after, self._seq, ticket.label, ticket.episode, kind, after))

    def stop(self, ticket: Ticket, episode: int, at: datetime) -> None:
        """The wait ``episode`` of ``ticket`` ended at ``at``: its visits have nothing left to ask."""
        if self.settings.care_soon_probability > 0 and ticket.waiting_since is not None:
            # Judged on the wait as it ended: did the early warning tell a long wait from a short one?
            late = (at - ticket.waiting_since).total_seconds() > self.settings.care_first_min * 60
            flagged = self.alerts.care_id(AlertKind.CARE_SOON, ticket, episode) in self.alerts.alerts
            self.calibration.observe(flagged=flagged, late=late)
        for kind in CARE_KINDS:
            self.alerts.resolve(self.alerts.care_id(kind, ticket, episode), at)

    def fire_due(self, now: datetime) -> None:
        """Raise every visit due by ``now`` whose wait still goes on."""
        while self._due and self._due[0].at <= now:
            due = heapq.heappop(self._due)
            ticket = self.floor.waiting.get(due.ticket)
            if ticket is None or ticket.episode != due.episode:
                continue
            alert_id = self.alerts.care_id(due.kind, ticket)
            if alert_id in self.alerts.alerts:
                continue
            minutes = int(due.after.total_seconds() // 60)
            self.alerts.raise_alert(
                alert_id, due.kind, due.at, ticket=ticket, waited_s=due.after.total_seconds(),
                waiting=len(self.floor.waiting), open_windows=self.floor.open_window_count(),
                message=care_message(due.kind, ticket.label, minutes))
            if due.kind is AlertKind.CARE_15:
                # The visit is due now: the early warning has done its job.
                self.alerts.resolve(self.alerts.care_id(AlertKind.CARE_SOON, ticket), due.at)

    def needs_review(self, ticket: Ticket, at: datetime) -> bool:
        """Whether :meth:`review_soon` has anything to decide for ``ticket`` at ``at``: a wait before
        its first threshold with no care_soon yet, or one with care_soon active. Reviews
        estimate only these (past the threshold care_15 is the alert)."""
        if ticket.waiting_since is None or self.calibration.level(self.settings.care_soon_probability) <= 0:
            return False
        alert = self.alerts.alerts.get(self.alerts.care_id(AlertKind.CARE_SOON, ticket))
        if alert is not None:
            return alert.active
        return (at - ticket.waiting_since).total_seconds() < self.settings.care_first_min * 60

    def review_soon(self, ticket: Ticket, outlook: TicketWait, at: datetime) -> None:
        """care_soon: raise it when the wait is likely to pass the first threshold, resolve it when
        the outlook clearly improved (windows opened)."""
        if not self.needs_review(ticket, at):
            return
        settings = self.settings
        level = self.calibration.level(settings.care_soon_probability)
        assert ticket.waiting_since is not None
        waited_s = (at - ticket.waiting_since).total_seconds()
        first_s = settings.care_first_min * 60
        alert_id = self.alerts.care_id(AlertKind.CARE_SOON, ticket)
        alert = self.alerts.alerts.get(alert_id)
        if alert is None:
            if (p_late := outlook.p_exceeds(first_s - waited_s)) > level:
                self.alerts.raise_alert(
                    alert_id, AlertKind.CARE_SOON, at, ticket=ticket, waited_s=waited_s,
                    waiting=len(self.floor.waiting), open_windows=self.floor.open_window_count(),
                    message=care_soon_message(ticket.label, p_late, outlook.estimate.expected_s,
                                              settings.care_first_min))
        elif outlook.p_exceeds(first_s - waited_s) < level / 2:
            # Half the raise level, so it does not flap.
            self.alerts.resolve(alert, at)
