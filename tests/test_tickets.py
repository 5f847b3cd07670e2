"""The ticket state machine: who waits, who is called, who is done, and what each one teaches.

Most of these are the orders real queue systems send events in: late, reordered, recalled.
"""

from __future__ import annotations

from server.hall import TicketStatus

from tests.halltools import at, ev, make_hall


def issue(hall, label, minute=0.0, service="quick", **extra):
    hall.receive(ev("ticket.issued", at(minute), ticket=label, service=service, **extra))


def statuses(hall):
    return {label: str(t.status) for label, t in hall.tickets.items()}


def assert_counts_add_up(hall):
    counts = hall.counts
    by_status = sum(counts[s] for s in ("waiting", "called", "served", "no_show", "cancelled"))
    assert counts["issued"] == by_status == len(hall.tickets), counts


# -- windows ----------------------------------------------------------------------------------

def test_a_window_closed_while_serving_is_free_when_it_reopens():
    """Closing a window ends its service: reopened an hour later, it calls the next ticket at once."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.receive(ev("ticket.called", at(1), ticket="A001", window="1"))
    hall.receive(ev("window.closed", at(5), window="1"))
    hall.receive(ev("window.opened", at(65), window="1"))
    assert hall.windows["1"].serving is None
    assert hall.tickets["A001"].status is TicketStatus.SERVED
    issue(hall, "A002", 66)
    assert hall.estimates()["A002"][1].expected_s == 0  # the window is free: called at once
    assert_counts_add_up(hall)


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


def test_a_transfer_after_a_serve_does_not_learn_the_service_twice():
    """called -> served -> transferred teaches the first service's time once."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.receive(ev("ticket.called", at(1), ticket="A001", window="1"))
    hall.receive(ev("ticket.served", at(6), ticket="A001", window="1"))
    hall.receive(ev("ticket.transferred", at(7), ticket="A001", service="complex"))
    assert hall.service_times.observations("quick") == 1
    assert hall.waiting["A001"].service == "complex"
    assert hall.counts["transferred"] == 1
    assert_counts_add_up(hall)


def test_a_transfer_after_a_serve_then_served_again_counts_the_ticket_once():
    """A ticket served in two services is one served ticket in the day's counts."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.receive(ev("ticket.called", at(1), ticket="A001", window="1"))
    hall.receive(ev("ticket.served", at(6), ticket="A001", window="1"))
    hall.receive(ev("ticket.transferred", at(7), ticket="A001", service="complex"))
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
