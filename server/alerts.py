"""Staff alerts and their rules: the 15/30-minute care visits, early care, "open more counters".

The staffing advice itself (how many windows) is computed in staffing.py.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .config import AlertSettings


__all__ = [
    "Alert",
    "AlertChange",
    "AlertKind",
    "care_thresholds",
    "care_message",
    "care_soon_message",
    "care_soon_should_raise",
    "care_soon_should_resolve",
    "open_windows_message",
    "open_windows_should_raise",
    "open_windows_should_resolve",
]


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
        }


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


def open_windows_should_raise(waiting: int, open_windows: int, settings: AlertSettings) -> bool:
    """The field rule: five or more waiting per open window (anyone waiting if none is open)."""
    if waiting == 0:
        return False
    return open_windows == 0 or waiting >= settings.open_windows_per_window * open_windows


def open_windows_should_resolve(waiting: int, open_windows: int, settings: AlertSettings) -> bool:
    """Clear at a lower load than the raise, so one ticket more or less does not flap it."""
    if waiting == 0:
        return True
    return open_windows > 0 and waiting < settings.open_windows_clear_per_window * open_windows


def care_soon_should_raise(p_late: float, waited_s: float, settings: AlertSettings) -> bool:
    """Early care: the chance of passing the first care threshold is above the configured level.

    Only before the threshold: from then on care_15 is the alert.
    """
    level = settings.care_soon_probability
    return level > 0 and waited_s < settings.care_first_min * 60 and p_late > level


def care_soon_should_resolve(p_late: float, settings: AlertSettings) -> bool:
    """The outlook got clearly better (windows opened): half the raise level, so it does not flap."""
    return p_late < settings.care_soon_probability / 2


def care_soon_message(ticket: str, p_late: float, expected_s: int, first_min: float) -> str:
    minutes = int(first_min)
    percent = int(round(p_late * 100))
    expected_min = max(1, int(round(expected_s / 60)))
    return (f"{ticket} 预计还需等候约 {expected_min} 分钟，{percent}% 可能超过 {minutes} 分钟：请提前关怀。"
            f" / {ticket} is likely ({percent}%) to wait over {minutes} min (about {expected_min} more):"
            f" visit early.")


def open_windows_message(waiting: int, open_windows: int, recommended: int) -> str:
    if recommended <= open_windows:
        # Every window the hall has is open: there is none to open, but the lobby still needs care.
        return (f"{waiting} 人等候，全部 {open_windows} 个窗口均已开放：请引导顾客使用自助服务并说明等候情况。"
                f" / {waiting} waiting and all {open_windows} windows are open: guide customers to"
                f" self-service and tell them about the wait.")
    more = recommended - open_windows
    return (f"{waiting} 人等候，仅开 {open_windows} 个窗口：建议增开 {more} 个（共 {recommended} 个）。"
            f" / {waiting} waiting for {open_windows} open windows: open {more} more ({recommended} in all).")
