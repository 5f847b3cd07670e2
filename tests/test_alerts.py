"""alerts.py: the alert book: acknowledgements, and when an alert may be resolved."""

from __future__ import annotations

import pytest

from server.hall import AckRejected

from tests.halltools import at, ev, issue, kinds, make_hall


def test_acknowledge_records_who_and_refuses_a_second_taker():
    """An acknowledgement names who took the alert; a second one is refused, naming the first."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.advance(at(15))
    alert = hall.alerts_to_send()[0][1]
    hall.acknowledge(alert.id, "王芳", at(16))
    assert kinds(hall.alerts_to_send()) == [("acknowledged", "care_15")]
    assert alert.acknowledged_by == "王芳" and alert.acknowledged_at == at(16)
    with pytest.raises(AckRejected) as info:
        hall.acknowledge(alert.id, "Li", at(17))
    assert info.value.code == "already_acknowledged" and "王芳" in info.value.message
    with pytest.raises(AckRejected):
        hall.acknowledge("nope", "Li", at(17))
    with pytest.raises(AckRejected):
        hall.acknowledge(alert.id, "  ", at(17))


def test_late_call_never_resolves_an_alert_before_it_was_raised():
    """A call dated before the care alert was due resolves it at the raise time, not before."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.advance(at(20))
    raised = hall.alerts_to_send()[0][1]
    hall.receive(ev("ticket.called", at(14), ticket="A001", window="1"))
    assert raised.resolved_at == raised.raised_at == at(15)
