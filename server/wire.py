"""What the server sends: the hall's state turned into the JSON messages of the wire format."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, tzinfo
from typing import Any

from .alerts import Alert, AlertChange, AlertKind
from .hall import Hall, TicketStatus


__all__ = [
    "alert_json",
    "alert_message",
    "busy",
    "display_state",
    "hall_state",
    "hall_time",
    "report",
    "snapshot_message",
    "ticket_status",
]


def hall_time(value: datetime | None, tz: tzinfo) -> str | None:
    """Write a moment in the hall's offset (ISO 8601): the one rule for every time the server sends.

    Inside, moments keep the offset they came with (the wall clock's UTC, each queue system's
    own); a page shows the hall's wall time, whatever zone its browser is in (docs/protocol.md,
    "Times").
    """
    return value.astimezone(tz).isoformat() if value is not None else None


_ALERT_TIMES = ("raised_at", "waiting_since", "acknowledged_at", "resolved_at", "updated_at")


def alert_json(alert: Alert, tz: tzinfo) -> dict[str, Any]:
    """Return the ALERT object of the staff feed, its times in the hall's offset."""
    out = alert.to_json()
    for field in _ALERT_TIMES:
        out[field] = hall_time(getattr(alert, field), tz)
    return out


def alert_message(change: AlertChange, alert: Alert, tz: tzinfo) -> dict[str, Any]:
    """Return ``alert.raised`` / ``alert.updated`` / ``alert.resolved`` / ``alert.acknowledged``."""
    message: dict[str, Any] = {"type": f"alert.{change}", "alert": alert_json(alert, tz)}
    if change is AlertChange.UPDATED:
        message["updated_at"] = hall_time(alert.updated_at, tz)
    return message


def snapshot_message(hall: Hall) -> dict[str, Any]:
    """Return the staff feed's first message: every active alert, the hall's time and its zone."""
    return {"type": "snapshot", "alerts": [alert_json(a, hall.tz) for a in _by_urgency(hall.active_alerts())],
            "at": hall_time(hall.now, hall.tz), "timezone": hall.config.timezone}


def busy(hall: Hall) -> bool:
    """The lobby's busy notice is up: staff are asked to open windows (an open_windows alert is active).

    The one rule for ``alerts.open_windows`` of display.state and for asking head office which
    nearby halls are calmer (server/web/nearby.py).
    """
    return any(a.kind is AlertKind.OPEN_WINDOWS for a in hall.active_alerts())


def display_state(hall: Hall, seq: int, now: datetime) -> dict[str, Any]:
    """Return the lobby screens' ``display.state``: no personal data, calls newest first.

    ``now`` stands in for the hall's time before the hall has seen any event, so
    ``at`` and the date are never null.
    """
    at = hall.now or now
    day = hall.day or at.astimezone(hall.tz).date()
    queues = hall.waiting_by_service()
    services = []
    for service_id in hall.service_ids():
        config = hall.config.service(service_id)
        waiting = len(queues.get(service_id, ()))
        estimate = hall.newcomer_estimate(service_id, waiting)
        services.append({
            "id": service_id,
            "name": config.name if config else service_id,
            "name_en": config.name_en if config else service_id,
            "prefix": config.prefix if config else "",
            "waiting": waiting,
            "expected_wait_s": estimate.expected_s if estimate else None,
            "expected_wait_range_s": [estimate.low_s, estimate.high_s] if estimate else None,
            "open_windows": hall.open_window_count(service_id),
        })
    return {
        "type": "display.state",
        "seq": seq,
        "at": hall_time(at, hall.tz),
        "hall": {"id": hall.config.id, "name": hall.config.name, "name_en": hall.config.name_en,
                 "timezone": hall.config.timezone, "date": day.isoformat()},
        "calls": [{"ticket": c.ticket, "window": c.window, "called_at": hall_time(c.called_at, hall.tz),
                   "recall": c.recall, "service": c.service} for c in hall.calls],
        "services": services,
        "waiting_total": len(hall.waiting),
        "open_windows": hall.open_window_count(),
        "alerts": {"open_windows": busy(hall)},
        "care_first_min": hall.config.alerts.care_first_min,
    }


def hall_state(hall: Hall) -> dict[str, Any]:
    """Return ``GET /api/state``: who waits, in call order, the windows and the active alerts."""
    estimates = hall.estimates()
    now = hall.now
    waiting = []
    for ticket in hall.queue():
        position, estimate = estimates[ticket.label]
        waiting.append({
            "ticket": ticket.label, "service": ticket.service, "priority": ticket.priority,
            "position": position, "waiting_since": hall_time(ticket.waiting_since, hall.tz),
            "waited_s": int((now - ticket.waiting_since).total_seconds())
            if now and ticket.waiting_since else 0,
            "expected_wait_s": estimate.expected_s,
            "expected_wait_range_s": [estimate.low_s, estimate.high_s],
        })
    return {
        "at": hall_time(now, hall.tz),
        "date": hall.day.isoformat() if hall.day else None,
        "waiting_total": len(hall.waiting),
        "waiting": waiting,
        "windows": [{"id": w.id, "open": w.open,
                     "services": list(w.services) if w.services is not None else None,
                     "serving": w.serving} for w in hall.windows.values()],
        "alerts": [alert_json(a, hall.tz) for a in _by_urgency(hall.active_alerts())],
    }


def ticket_status(hall: Hall, label: str) -> dict[str, Any] | None:
    """Return the public status of one ticket, or ``None`` if the hall does not know it."""
    ticket = hall.tickets.get(label)
    if ticket is None:
        return None
    out: dict[str, Any] = {"ticket": ticket.label, "status": str(ticket.status), "service": ticket.service,
                           "position": None, "expected_wait_s": None, "expected_wait_range_s": None,
                           "window": ticket.window if ticket.status is TicketStatus.CALLED else None}
    if ticket.status is TicketStatus.WAITING:
        position, estimate = hall.estimates()[ticket.label]
        out.update(position=position, expected_wait_s=estimate.expected_s,
                   expected_wait_range_s=[estimate.low_s, estimate.high_s])
    return out


def report(hall: Hall) -> dict[str, Any]:
    """Return the day so far for the manager: counts, waits by hour, the care alerts."""
    by_hour: dict[int, list[float]] = defaultdict(list)
    for ticket in hall.tickets.values():
        if ticket.first_wait_s is not None and ticket.issued_at is not None:
            by_hour[ticket.issued_at.astimezone(hall.tz).hour].append(ticket.first_wait_s)
    hours = []
    for hour in sorted(by_hour):
        waits = sorted(by_hour[hour])
        hours.append({"hour": hour, "called": len(waits), "mean_wait_s": int(sum(waits) / len(waits)),
                      "max_wait_s": int(waits[-1]),
                      "over_15_min": sum(1 for w in waits if w >= 15 * 60)})
    care = []
    # By the moment, not by its text: a text sorts right only within one offset.
    for alert in sorted(hall.alerts.values(), key=lambda a: a.raised_at):
        entry = alert_json(alert, hall.tz)
        entry["time_to_ack_s"] = (int((alert.acknowledged_at - alert.raised_at).total_seconds())
                                  if alert.acknowledged_at else None)
        care.append(entry)
    return {"date": hall.day.isoformat() if hall.day else None, "at": hall_time(hall.now, hall.tz),
            "timezone": hall.config.timezone,
            **hall.counts, "waiting_total": len(hall.waiting), "open_windows": hall.open_window_count(),
            "advised_windows": hall.staffing_advice(), "waits_by_hour": hours, "alerts": care}


_URGENCY = {AlertKind.CARE_30: 0, AlertKind.CARE_15: 1, AlertKind.CARE_SOON: 2, AlertKind.OPEN_WINDOWS: 3,
            AlertKind.STAFFING: 4}
"""Same order as KINDS in static/common.js: customers past a threshold, then those about to be."""


def _by_urgency(alerts: list[Alert]) -> list[Alert]:
    return sorted(alerts, key=lambda a: (_URGENCY.get(a.kind, 9), a.raised_at))
