"""The hall state machine and its rules, fed events and time synchronously."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.errors import InvalidEvent
from server.hall import AckRejected, TicketStatus

from tests.halltools import T0, at, ev, kinds, make_hall


def issue(hall, label, minute=0.0, service="quick", **extra):
    hall.receive(ev("ticket.issued", at(minute), ticket=label, service=service, **extra))


# -- tickets ------------------------------------------------------------------------------

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


def test_priority_tickets_go_first():
    """Priority tickets stand ahead of earlier ordinary tickets of the same service."""
    hall = make_hall(windows=1)
    issue(hall, "A001", 0)
    issue(hall, "A002", 1, priority=True)
    order = [t.label for t in hall.waiting_by_service()["quick"]]
    assert order == ["A002", "A001"]
    positions = {label: pos for label, (pos, _) in hall.estimates().items()}
    assert positions == {"A002": 1, "A001": 2}


# -- care alerts -----------------------------------------------------------------------------

def test_care_15_fires_at_15_minutes_not_a_second_earlier():
    """14:59 of waiting raises nothing; 15:00 raises care_15, raised_at the exact due time."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.advance(at(14, 59))
    assert hall.alerts_to_send() == []
    hall.advance(at(15))
    changes = hall.alerts_to_send()
    assert kinds(changes) == [("raised", "care_15")]
    alert = changes[0][1]
    assert alert.ticket == "A001" and alert.raised_at == at(15) and alert.waited_s == 900
    assert "15" in alert.message and "分钟" in alert.message and "min" in alert.message


def test_care_30_follows_and_each_fires_once():
    """care_30 fires at 30 minutes; advancing further fires neither again."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.advance(at(29, 59))
    assert kinds(hall.alerts_to_send()) == [("raised", "care_15")]
    hall.advance(at(30))
    assert kinds(hall.alerts_to_send()) == [("raised", "care_30")]
    hall.advance(at(90))
    assert hall.alerts_to_send() == []


def test_an_event_advances_the_clock_first_so_due_rules_fire_before_it():
    """An event at 16 min raises care_15 (due at 15) before the event itself is applied."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.receive(ev("ticket.called", at(16), ticket="A001", window="1"))
    assert kinds(hall.alerts_to_send()) == [("raised", "care_15"), ("resolved", "care_15")]


def test_called_before_15_minutes_never_alerts():
    """A ticket called at 14:59 never gets a care alert."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.receive(ev("ticket.called", at(14, 59), ticket="A001", window="1"))
    hall.advance(at(60))
    assert hall.alerts_to_send() == []


def test_care_alert_resolves_when_the_ticket_stops_waiting():
    """Calling a ticket resolves its active care alerts."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.advance(at(31))
    hall.alerts_to_send()
    hall.receive(ev("ticket.cancelled", at(32), ticket="A001"))
    assert kinds(hall.alerts_to_send()) == [("resolved", "care_15"), ("resolved", "care_30")]
    assert hall.active_alerts() == []


def test_transferred_ticket_waits_again_from_its_transfer():
    """After a transfer the wait counts from the transfer: care_15 comes 15 min after it."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.receive(ev("ticket.called", at(5), ticket="A001", window="1"))
    hall.receive(ev("ticket.transferred", at(10), ticket="A001", service="complex"))
    assert hall.waiting["A001"].service == "complex"
    hall.advance(at(24, 59))
    assert hall.alerts_to_send() == []
    hall.advance(at(25))
    changes = hall.alerts_to_send()
    assert kinds(changes) == [("raised", "care_15")]
    assert changes[0][1].service == "complex"


def test_configurable_care_thresholds():
    """Thresholds come from the config."""
    hall = make_hall(windows=1, config={"alerts": {"care_first_min": 5, "care_second_min": 10}})
    issue(hall, "A001")
    hall.advance(at(5))
    assert kinds(hall.alerts_to_send()) == [("raised", "care_15")]


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


# -- open windows --------------------------------------------------------------------------

def test_open_windows_raises_at_exactly_five_per_window():
    """9 waiting for 2 windows raises nothing; the 10th raises open_windows once."""
    hall = make_hall(windows=2)
    for n in range(9):
        issue(hall, f"A{n:03}")
    assert hall.alerts_to_send() == []
    issue(hall, "A009")
    changes = hall.alerts_to_send()
    assert kinds(changes) == [("raised", "open_windows")]
    alert = changes[0][1]
    assert alert.ticket is None and alert.waiting == 10 and alert.open_windows == 2
    assert alert.recommended_windows == 3  # 10 waiting stay under 4 per window with 3 open
    issue(hall, "A010")
    assert hall.alerts_to_send() == []


def test_open_windows_resolves_below_four_per_window_not_before():
    """Between 4x and 5x the alert stays; below 4x it resolves; above 5x again it re-raises."""
    hall = make_hall(windows=1)
    for n in range(5):
        issue(hall, f"A{n:03}")
    assert kinds(hall.alerts_to_send()) == [("raised", "open_windows")]
    hall.receive(ev("ticket.called", at(1), ticket="A000", window="1"))
    assert hall.alerts_to_send() == []  # 4 waiting = 4 x 1: not below 4
    hall.receive(ev("ticket.called", at(2), ticket="A001", window="1"))
    assert kinds(hall.alerts_to_send()) == [("resolved", "open_windows")]
    issue(hall, "A005", 3)
    issue(hall, "A006", 3)
    changes = hall.alerts_to_send()
    assert kinds(changes) == [("raised", "open_windows")]
    assert changes[0][1].id.endswith(":2")


def test_open_windows_with_no_window_open_and_opening_resolves():
    """With no window open anyone waiting raises it; opening enough windows resolves it."""
    hall = make_hall(windows=0)
    issue(hall, "A001")
    assert kinds(hall.alerts_to_send()) == [("raised", "open_windows")]
    hall.receive(ev("window.opened", at(1), window="1"))
    assert kinds(hall.alerts_to_send()) == [("resolved", "open_windows")]


def test_open_windows_factors_are_configurable():
    """Raise and clear factors come from the config."""
    hall = make_hall(windows=1, config={"alerts": {"open_windows_per_window": 2,
                                                   "open_windows_clear_per_window": 1}})
    issue(hall, "A001")
    assert hall.alerts_to_send() == []
    issue(hall, "A002")
    assert kinds(hall.alerts_to_send()) == [("raised", "open_windows")]


# -- days -------------------------------------------------------------------------------------

def test_new_day_starts_with_an_empty_hall_and_resolves_yesterdays_alerts():
    """The first event of a new date empties the hall; label A001 is free again."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.advance(at(16))
    hall.alerts_to_send()
    tomorrow = T0 + timedelta(days=1)
    hall.receive(ev("ticket.issued", tomorrow, ticket="A001", service="quick"))
    # Yesterday's rules run to midnight first, then everything of yesterday is resolved;
    # today nobody has opened a window yet, so the new ticket alone raises open_windows.
    assert kinds(hall.alerts_to_send()) == [("raised", "care_30"), ("resolved", "care_15"),
                                            ("resolved", "care_30"), ("raised", "open_windows")]
    assert list(hall.waiting) == ["A001"] and hall.day == tomorrow.date()
    assert hall.open_window_count() == 0


def test_event_from_an_earlier_day_is_rejected():
    """Once the hall is on a date, an event dated the day before is refused."""
    hall = make_hall(windows=1)
    with pytest.raises(InvalidEvent) as info:
        hall.receive(ev("ticket.issued", T0 - timedelta(days=1), ticket="A001", service="quick"))
    assert info.value.code == "stale_day"


def test_day_follows_the_hall_time_zone():
    """23:30 UTC on the 29th is already the 30th in Shanghai."""
    hall = make_hall()
    hall.receive(ev("clock.tick", T0.replace(hour=7, minute=30)))
    from datetime import datetime, timezone

    hall.receive(ev("clock.tick", datetime(2026, 11, 30, 0, 30, tzinfo=timezone.utc)))
    assert str(hall.day) == "2026-11-30"


def test_hall_reset_empties_the_hall_with_fresh_alert_ids():
    """hall.reset starts a new business day; alerts after it get distinct ids."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.advance(at(15))
    first = hall.alerts_to_send()[0][1].id
    hall.receive(ev("hall.reset", at(20)))
    assert hall.waiting == {}
    issue(hall, "A001", 21)
    hall.advance(at(36))
    second = [a for c, a in hall.alerts_to_send() if str(c) == "raised"][0].id
    assert first != second


def test_late_event_does_not_move_the_clock_back():
    """An event older than the hall's time is applied without rewinding the clock."""
    hall = make_hall(windows=1)
    hall.advance(at(10))
    issue(hall, "A001", minute=2)
    assert hall.now == at(10)
    hall.advance(at(17))
    assert kinds(hall.alerts_to_send()) == [("raised", "care_15")]


# -- estimates -------------------------------------------------------------------------------

def test_every_waiting_ticket_has_an_estimate_even_with_no_window_open():
    """Expected wait is never missing for a waiting ticket."""
    hall = make_hall(windows=0)
    for n in range(3):
        issue(hall, f"A{n:03}")
    estimates = hall.estimates()
    assert set(estimates) == {"A000", "A001", "A002"}
    waits = [estimates[label][1].expected_s for label in ("A000", "A001", "A002")]
    assert waits == sorted(waits) and waits[-1] > 0
    assert hall.newcomer_estimate("quick", 3) is None  # the screen shows "no window" instead


def test_more_windows_shorten_the_estimate():
    """The same queue with twice the windows waits about half as long."""
    one, two = make_hall(windows=1), make_hall(windows=2)
    for hall in (one, two):
        for n in range(8):
            issue(hall, f"A{n:03}")
    last_one = one.estimates()["A007"][1]
    last_two = two.estimates()["A007"][1]
    assert last_two.expected_s < last_one.expected_s
    assert last_one.low_s <= last_one.expected_s <= last_one.high_s


def test_late_call_never_resolves_an_alert_before_it_was_raised():
    """A call dated before the care alert was due resolves it at the raise time, not before."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.advance(at(20))
    raised = hall.alerts_to_send()[0][1]
    hall.receive(ev("ticket.called", at(14), ticket="A001", window="1"))
    assert raised.resolved_at == raised.raised_at == at(15)


# -- rejected and late events -----------------------------------------------------------------

@pytest.mark.parametrize(("type_", "fields"), [("ticket.no_show", {}), ("ticket.cancelled", {}),
                                               ("ticket.transferred", {"service": "complex"})])
def test_an_unknown_ticket_on_a_new_day_is_rejected_before_the_day_turns(type_, fields):
    """A queue system cancelling yesterday's leftovers after midnight: rejected, the day stays."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.advance(at(20))
    hall.alerts_to_send()
    before = (hall.day, hall.version, hall.day_id, dict(hall.counts), len(hall.active_alerts()))
    with pytest.raises(InvalidEvent) as info:
        hall.receive(ev(type_, T0 + timedelta(days=1, minutes=5), ticket="A001", **fields))
    assert info.value.code == "unknown_ticket"
    assert (hall.day, hall.version, hall.day_id, dict(hall.counts), len(hall.active_alerts())) == before
    assert hall.alerts_to_send() == [] and list(hall.waiting) == ["A001"]


def test_a_late_window_close_raises_open_windows_at_the_halls_time_with_a_sane_wait():
    """A window.closed stamped before events already applied: the alert is raised now, waits >= 0."""
    hall = make_hall(windows=2)
    for n in range(5):
        issue(hall, f"A{n:03}", minute=10 + n)
    hall.advance(at(14, 30))
    assert hall.alerts_to_send() == []
    hall.receive(ev("window.closed", at(2), window="2"))  # stamped before every ticket above
    changes = hall.alerts_to_send()
    assert kinds(changes) == [("raised", "open_windows")]
    alert = changes[0][1]
    assert alert.raised_at == hall.now == at(14, 30)
    assert alert.waited_s == 4 * 60 + 30  # A000, issued at 10:00, has waited 4:30 by now
    assert not hall.windows["2"].open


def test_a_late_window_event_does_not_undo_a_later_one():
    """window.closed stamped before the window's latest opening leaves it open."""
    hall = make_hall(windows=1)
    hall.receive(ev("window.closed", at(30), window="1"))
    hall.receive(ev("window.opened", at(45), window="1"))
    hall.receive(ev("window.closed", at(30), window="1"))
    assert hall.windows["1"].open


def test_a_late_reset_never_resolves_an_alert_before_it_was_raised():
    """hall.reset stamped before alerts already raised resolves them at the hall's time."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.advance(at(31))
    raised = [alert for _, alert in hall.alerts_to_send()]
    hall.receive(ev("hall.reset", at(10)))
    resolved = [alert for change, alert in hall.alerts_to_send() if str(change) == "resolved"]
    assert {a.id for a in resolved} == {a.id for a in raised}
    for alert in resolved:
        assert alert.resolved_at >= alert.raised_at
    assert hall.waiting == {}
