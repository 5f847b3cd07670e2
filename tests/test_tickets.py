"""tickets.py: the ticket state machine: who waits, who is called, who is done, in whatever order events come."""

from __future__ import annotations

import pytest

from server.errors import InvalidEvent
from server.hall import TicketStatus

from tests.halltools import assert_counts_add_up, at, ev, issue, make_hall


# -- the life of a ticket ----------------------------------------------------------------------

def test_issued_ticket_waits_and_called_ticket_does_not():
    """An issued ticket waits; once called it no longer waits and the call is listed."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    assert list(hall.waiting) == ["A001"]
    hall.receive(ev("ticket.called", at(1), ticket="A001", window="1"))
    assert hall.waiting == {}
    assert hall.tickets["A001"].status is TicketStatus.CALLED
    assert hall.calls[0].ticket == "A001" and hall.calls[0].window == "1" and not hall.calls[0].recall


def test_recall_is_marked_and_keeps_the_first_call_time():
    """A recall is listed as a recall and does not restart the service clock."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.receive(ev("ticket.called", at(1), ticket="A001", window="1"))
    hall.receive(ev("ticket.recalled", at(2), ticket="A001", window="1"))
    assert [c.recall for c in hall.calls] == [True, False]
    assert hall.tickets["A001"].called_at == at(1)


def test_served_ticket_frees_the_window_and_teaches_the_service_time():
    """called -> served frees the window and moves the learned mean toward the duration."""
    hall = make_hall(windows=1)
    before = hall.service_times.mean("quick")
    issue(hall, "A001")
    hall.receive(ev("ticket.called", at(1), ticket="A001", window="1"))
    assert hall.windows["1"].serving == "A001"
    hall.receive(ev("ticket.served", at(11), ticket="A001", window="1"))
    assert hall.windows["1"].serving is None
    assert hall.tickets["A001"].status is TicketStatus.SERVED
    assert hall.service_times.mean("quick") > before  # 10 min is longer than the 3 min prior
    assert hall.counts["served"] == 1


@pytest.mark.parametrize(("type_", "status"), [("ticket.no_show", TicketStatus.NO_SHOW),
                                               ("ticket.cancelled", TicketStatus.CANCELLED)])
def test_no_show_and_cancel_end_the_wait(type_, status):
    """No-show and cancel take the ticket out of the queue."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.receive(ev(type_, at(3), ticket="A001"))
    assert hall.waiting == {} and hall.tickets["A001"].status is status


def test_call_before_issue_is_accepted_and_completed_by_the_late_issue():
    """A call for a ticket never issued is accepted; the late issue fills in the service."""
    hall = make_hall(windows=1)
    hall.receive(ev("ticket.called", at(1), ticket="B007", window="1"))
    assert hall.tickets["B007"].service == "standard"  # from the B prefix
    hall.receive(ev("ticket.issued", at(0.5), ticket="B007", service="standard", priority=True))
    assert hall.waiting == {} and hall.tickets["B007"].priority


def test_duplicate_label_and_unknown_ticket_are_rejected_without_change():
    """The same label issued twice, or a no-show for an unknown ticket, is refused."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    version = hall.version
    with pytest.raises(InvalidEvent) as info:
        issue(hall, "A001", minute=1)
    assert info.value.code == "ticket_exists"
    with pytest.raises(InvalidEvent) as info:
        hall.receive(ev("ticket.no_show", at(1), ticket="Z999"))
    assert info.value.code == "unknown_ticket"
    assert hall.version == version and hall.now == at(0)


def test_priority_tickets_go_first():
    """Priority tickets stand ahead of earlier ordinary tickets of the same service."""
    hall = make_hall(windows=1)
    issue(hall, "A001", 0)
    issue(hall, "A002", 1, priority=True)
    order = [t.label for t in hall.waiting_by_service()["quick"]]
    assert order == ["A002", "A001"]
    positions = {label: pos for label, (pos, _) in hall.estimates().items()}
    assert positions == {"A002": 1, "A001": 2}


# -- reordered events --------------------------------------------------------------------------

def test_served_before_called_leaves_the_ticket_served_and_the_window_free():
    """A ticket.called that arrives after its ticket.served (stamped earlier) does not reopen it."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.receive(ev("ticket.served", at(9), ticket="A001", window="1"))
    hall.receive(ev("ticket.called", at(2), ticket="A001", window="1"))
    assert hall.tickets["A001"].status is TicketStatus.SERVED
    assert hall.windows["1"].serving is None
    assert hall.tickets["A001"].first_wait_s == 120  # the late call still tells the wait
    assert [c.ticket for c in hall.calls] == []  # an old call is not announced on the screens
    assert_counts_add_up(hall)


def test_served_before_called_is_learned_once_the_call_is_known():
    """The late call completes called -> served: the service time is learned from it, once."""
    hall = make_hall(windows=1)
    before = hall.service_times.mean("quick")
    issue(hall, "A001")
    hall.receive(ev("ticket.served", at(12), ticket="A001", window="1"))
    assert hall.service_times.observations("quick") == 0
    hall.receive(ev("ticket.called", at(2), ticket="A001", window="1"))
    assert hall.service_times.observations("quick") == 1
    assert hall.service_times.mean("quick") > before  # 10 min against a 3 min prior


def test_no_show_then_recall_then_served_counts_one_served_and_learns_it():
    """A customer who comes back after a no-show is recalled and served: served 1, no-show 0."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.receive(ev("ticket.called", at(1), ticket="A001", window="1"))
    hall.receive(ev("ticket.no_show", at(3), ticket="A001"))
    hall.receive(ev("ticket.recalled", at(10), ticket="A001", window="1"))
    assert hall.tickets["A001"].status is TicketStatus.CALLED
    assert hall.windows["1"].serving == "A001"
    hall.receive(ev("ticket.served", at(16), ticket="A001", window="1"))
    assert hall.counts["served"] == 1 and hall.counts["no_show"] == 0
    assert hall.service_times.observations("quick") == 1
    # The service ran from the recall, not from the first call: 6 min, not 15.
    assert hall.tickets["A001"].called_at == at(10)
    assert_counts_add_up(hall)


def served_then_transferred():
    """A hall where A001 was called at 1 min, served at 6 and transferred to complex at 7."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.receive(ev("ticket.called", at(1), ticket="A001", window="1"))
    hall.receive(ev("ticket.served", at(6), ticket="A001", window="1"))
    hall.receive(ev("ticket.transferred", at(7), ticket="A001", service="complex"))
    return hall


def test_a_transfer_after_a_serve_does_not_learn_the_service_twice():
    """called -> served -> transferred teaches the first service's time once."""
    hall = served_then_transferred()
    assert hall.service_times.observations("quick") == 1
    assert hall.waiting["A001"].service == "complex"
    assert hall.counts["transferred"] == 1
    assert_counts_add_up(hall)


def test_a_transfer_after_a_serve_then_served_again_counts_the_ticket_once():
    """A ticket served in two services is one served ticket in the day's counts."""
    hall = served_then_transferred()
    hall.receive(ev("ticket.called", at(8), ticket="A001", window="1"))
    hall.receive(ev("ticket.served", at(20), ticket="A001", window="1"))
    assert hall.counts["served"] == 1 and hall.counts["issued"] == 1
    assert hall.service_times.observations("complex") == 1
    assert_counts_add_up(hall)


def test_a_ticket_called_before_it_was_issued_counts_as_issued_and_as_an_arrival():
    """The hall learns of a ticket from its call: it was issued, and it arrived."""
    hall = make_hall(windows=1)
    hall.receive(ev("ticket.called", at(3), ticket="A001", window="1"))
    assert hall.counts["issued"] == 1
    assert sum(hall.arrival_profile.export()["today"]) == 1
    # The issue event that follows fills in the ticket; it is not a second arrival.
    hall.receive(ev("ticket.issued", at(1), ticket="A001", service="quick"))
    assert hall.counts["issued"] == 1
    assert sum(hall.arrival_profile.export()["today"]) == 1
    assert hall.tickets["A001"].first_wait_s == 120
    assert_counts_add_up(hall)


def test_a_late_cancel_does_not_undo_a_later_call():
    """A cancel stamped before the call it arrives after leaves the ticket called."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.receive(ev("ticket.called", at(5), ticket="A001", window="1"))
    hall.receive(ev("ticket.cancelled", at(4), ticket="A001"))
    assert hall.tickets["A001"].status is TicketStatus.CALLED
    assert hall.windows["1"].serving == "A001"
    assert_counts_add_up(hall)
