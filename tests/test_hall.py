"""hall.py: the coordinator: the clock, the business day, and late or rejected events across its parts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.errors import InvalidEvent
from server.events import parse_event
from server.simulator.day import simulate_day

from tests.halltools import T0, at, ev, issue, kinds, make_hall


# -- the clock and the reviews -----------------------------------------------------------------

def test_an_event_advances_the_clock_first_so_due_rules_fire_before_it():
    """An event at 16 min raises care_15 (due at 15) before the event itself is applied."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.receive(ev("ticket.called", at(16), ticket="A001", window="1"))
    assert kinds(hall.alerts_to_send()) == [("raised", "care_15"), ("resolved", "care_15")]


def test_late_event_does_not_move_the_clock_back():
    """An event older than the hall's time is applied without rewinding the clock."""
    hall = make_hall(windows=1)
    hall.advance(at(10))
    issue(hall, "A001", minute=2)
    assert hall.now == at(10)
    hall.advance(at(17))
    assert kinds(hall.alerts_to_send()) == [("raised", "care_15")]


def test_reviews_do_not_depend_on_how_often_the_clock_ticked():
    """A live hall ticked every second and a replay fed only the events agree on every alert."""
    day = simulate_day("month_end", seed=3, plan_scale=0.6)
    events = [parse_event(e) for e in day.events[:1500]]
    replay, live = make_hall(advice=True), make_hall(advice=True)
    for event in events:
        replay.receive(event)
    for event in events:
        if live.now is not None:
            t = live.now
            while t + timedelta(seconds=1) < event.at:
                t += timedelta(seconds=1)
                live.advance(t)
        live.receive(event)

    def summary(hall):
        return [(str(c), a.id, a.raised_at, a.resolved_at, a.recommended_windows) for c, a in hall.alerts_to_send()]

    expected = summary(replay)
    assert {k for _, k, *_ in expected} and any(":care_soon:" in k for _, k, *_ in expected)
    assert any(":staffing:" in k for _, k, *_ in expected)
    assert summary(live) == expected
    assert live.estimates() == replay.estimates()


def test_a_jump_of_hours_reviews_only_the_last_minutes(monkeypatch):
    """A same-day clock jump of 14 hours reviews the last 15 minutes' moments, not 1,680 of them
    (each reviews everyone waiting: a jump used to stall the server for seconds)."""
    hall = make_hall(windows=1, advice=True)
    for n in range(20):
        issue(hall, f"A{n:03}", minute=n / 10)
    reviewed = []
    review = hall._review
    monkeypatch.setattr(hall, "_review", lambda at: (reviewed.append(at), review(at)))
    hall.advance(T0.replace(hour=23))
    assert len(reviewed) == 30
    assert reviewed[0] == T0.replace(hour=22, minute=45, second=30) and reviewed[-1] == T0.replace(hour=23)
    assert {str(a.kind) for a in hall.active_alerts()} >= {"care_15", "care_30"}  # due alerts all came


# -- days --------------------------------------------------------------------------------------

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


# -- late events across the parts --------------------------------------------------------------

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
