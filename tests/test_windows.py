"""windows.py: which windows are open, which services each one takes, and whom each one serves."""

from __future__ import annotations

from server.hall import TicketStatus

from tests.halltools import assert_counts_add_up, at, ev, issue, make_hall


def test_unknown_services_and_windows_are_created_on_first_sight():
    """A service or window nobody configured appears when first named."""
    hall = make_hall()
    hall.receive(ev("window.opened", at(0), window="21", services=["vip"]))
    issue(hall, "V001", service="vip")
    assert "vip" in hall.service_ids()
    assert hall.windows["21"].open and hall.open_window_count("vip") == 1
    assert hall.open_window_count("quick") == 0


def test_window_services_limit_what_counts_as_open_for_a_service():
    """Window 8 of the sample hall serves only complex and standard by default."""
    hall = make_hall()
    hall.receive(ev("window.opened", at(0), window="8"))
    assert hall.open_window_count("complex") == 1 and hall.open_window_count("quick") == 0
    hall.receive(ev("window.closed", at(1), window="8"))
    assert hall.open_window_count() == 0


def test_a_late_window_event_does_not_undo_a_later_one():
    """window.closed stamped before the window's latest opening leaves it open."""
    hall = make_hall(windows=1)
    hall.receive(ev("window.closed", at(30), window="1"))
    hall.receive(ev("window.opened", at(45), window="1"))
    hall.receive(ev("window.closed", at(30), window="1"))
    assert hall.windows["1"].open


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
