"""wire.py: what the server sends, built from the hall: /api/state, the report, the display state."""

from __future__ import annotations

from datetime import timedelta, timezone

from server.wire import hall_state

from tests.halltools import at, ev, make_hall


def test_state_lists_who_waits_in_call_order_whatever_the_offsets_and_priority():
    """Tickets stamped in other offsets, and a priority ticket, are listed in call order."""
    hall = make_hall(windows=1)
    utc = timezone.utc
    # A000 at 09:00+08:00, A001 at 01:01Z (= 09:01+08:00), A002 at 09:02+08:00 with priority.
    hall.receive(ev("ticket.issued", at(0), ticket="A000", service="quick"))
    hall.receive(ev("ticket.issued", at(1).astimezone(utc), ticket="A001", service="quick"))
    hall.receive(ev("ticket.issued", at(1, 30).astimezone(timezone(timedelta(hours=-5))),
                    ticket="A002", service="quick"))
    hall.receive(ev("ticket.issued", at(2), ticket="A003", service="quick", priority=True))
    order = [t["ticket"] for t in hall_state(hall)["waiting"]]
    assert order == ["A003", "A000", "A001", "A002"]
    assert [t["position"] for t in hall_state(hall)["waiting"]] == [1, 2, 3, 4]
