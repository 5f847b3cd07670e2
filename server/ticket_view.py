"""What a customer's phone shows of their own ticket: a count of people ahead, never their labels.

Built from the hall's public state; the hall itself does not know about phones. The states a
phone walks through: ``waiting`` -> ``almost`` (``almost_at`` or fewer people ahead) ->
``called`` (go to the window) -> ``served``; or ``missed`` (a no-show) or ``cancelled``.
``unknown``: the link is genuine and of today, but the queue system's ``ticket.issued`` has
not reached the hall yet (a printer prints the QR as it prints the ticket).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from .hall import Hall
from .tickets import TicketStatus
from .waits import TicketWait
from .wire import hall_time


__all__ = ["ALMOST_AT", "STATES", "day_end", "ticket_view"]

ALMOST_AT = 3
"""People ahead at which the phone says "almost your turn" (with sound and vibration)."""

STATES = ("unknown", "waiting", "almost", "called", "served", "missed", "cancelled")

_ENDED = {TicketStatus.SERVED: "served", TicketStatus.NO_SHOW: "missed", TicketStatus.CANCELLED: "cancelled"}


def day_end(day: date, tz: tzinfo) -> datetime:
    """The end of ``day`` in the hall's zone: a phone link expires then."""
    return datetime.combine(day + timedelta(days=1), time(), tz)


def ticket_view(hall: Hall, label: str, waits: Mapping[str, TicketWait], *,
                almost_at: int = ALMOST_AT) -> dict[str, Any]:
    """Return the phone's view of ticket ``label``.

    ``waits`` is :meth:`Hall.ticket_waits` of the hall as it is now: many phones read the same
    moment, so the caller computes it once per change of the hall, not once per phone.
    """
    ticket = hall.tickets.get(label)
    out: dict[str, Any] = {"ticket": label, "state": "unknown", "service": None, "service_name": None,
                           "service_name_en": None, "ahead": None, "expected_wait_s": None,
                           "expected_wait_range_s": None, "window": None,
                           "at": hall_time(hall.now, hall.tz), "almost_at": almost_at}
    if ticket is None:
        return out
    config = hall.config.service(ticket.service)
    out.update(service=ticket.service, service_name=config.name if config else ticket.service,
               service_name_en=config.name_en if config else ticket.service)
    if ticket.status is TicketStatus.CALLED:
        out.update(state="called", window=ticket.window)
    elif ticket.status in _ENDED:
        out["state"] = _ENDED[ticket.status]
    else:
        outlook = waits.get(label)
        if outlook is None:  # waiting, but no estimate for it (cannot happen with a consistent hall)
            out["state"] = "waiting"
            return out
        ahead = outlook.position - 1
        estimate = outlook.estimate
        out.update(state="almost" if ahead <= almost_at else "waiting", ahead=ahead,
                   expected_wait_s=estimate.expected_s,
                   expected_wait_range_s=[estimate.low_s, estimate.high_s])
    return out
