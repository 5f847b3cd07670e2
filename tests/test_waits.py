"""waits.py: every waiting ticket's expected wait, over the windows that serve it and the window plan."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.waits import WaitingView

from tests.halltools import T0, at, ev, issue, make_hall


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


def test_the_newcomer_estimate_counts_tickets_of_other_services_that_share_the_windows():
    """Complex tickets waiting for the only window lengthen a newcomer's estimate for the quick service."""
    hall = make_hall(windows=1)
    for n in range(5):
        issue(hall, f"C{n:03}", service="complex")
    alone = make_hall(windows=1).newcomer_estimate("quick")
    behind = hall.newcomer_estimate("quick")
    assert behind.expected_s > alone.expected_s + 4 * 600


def _day_with_lunch(hall, day):
    start = T0 + timedelta(days=day)
    for w in ("1", "2", "3", "4"):
        hall.receive(ev("window.opened", start, window=w))
    for w in ("3", "4"):
        hall.receive(ev("window.closed", start + timedelta(hours=3), window=w))
        hall.receive(ev("window.opened", start + timedelta(hours=4), window=w))
    for w in ("1", "2", "3", "4"):
        hall.receive(ev("window.closed", start + timedelta(hours=8), window=w))


def test_a_learned_lunch_closure_lengthens_estimates_made_before_lunch():
    """Estimates made at 11:50 count the lunch closure learned on earlier days: ten minutes and more longer."""
    hall = make_hall()
    for day in range(-3, 0):
        _day_with_lunch(hall, day)
    for w in ("1", "2", "3", "4"):
        hall.receive(ev("window.opened", at(0), window=w))
    before_lunch = at(170)  # 11:50
    for n in range(20):
        hall.receive(ev("ticket.issued", before_lunch, ticket=f"B{n:03}", service="standard"))
    with_plan = hall.estimates()["B019"][1].expected_s

    fresh = make_hall()
    for w in ("1", "2", "3", "4"):
        fresh.receive(ev("window.opened", at(0), window=w))
    for n in range(20):
        fresh.receive(ev("ticket.issued", before_lunch, ticket=f"B{n:03}", service="standard"))
    without_plan = fresh.estimates()["B019"][1].expected_s
    # 20 x 8 min over 4 windows is 40 min; with two of them at lunch from 12:00 it is much longer.
    assert with_plan > without_plan + 10 * 60


def _queue_with_an_old_head(hall_config: dict[str, object] | None = None):  # type: ignore[no-untyped-def]
    """Twelve quick tickets for one window; the first six issued 20 minutes before the rest."""
    hall = make_hall(windows=1, config=hall_config)
    for n in range(6):
        issue(hall, f"A{n:03}")
    hall.advance(T0 + timedelta(minutes=20))
    for n in range(6, 12):
        hall.receive(ev("ticket.issued", T0 + timedelta(minutes=20), ticket=f"A{n:03}", service="quick"))
    return hall


def test_a_hall_without_a_plan_leans_on_the_head_of_line_and_configured_hours_lean_less():
    """The same queue, the head waiting 20 minutes: the newest ticket's estimate moves toward the
    head's 20 minutes, by weight T / (T + 30 min) x 20 min / T with no plan, half that with
    configured hours."""
    from server.estimate import lean_on_today

    plain = _queue_with_an_old_head()
    hours = _queue_with_an_old_head({"windows": [{"id": "1", "hours": ["08:00-18:00"]}]})
    for hall, trust in ((plain, 0.0), (hours, 1.0)):
        views = [WaitingView(t.label, t.service, 0.0) for t in hall.queue()]  # no head-of-line evidence
        bare = hall._queue_model().queue_waits(views)["A011"].estimate
        leaned = hall.estimates()["A011"][1]
        assert leaned.expected_s == lean_on_today(bare, 20 * 60.0, trust)[0].expected_s
        assert 20 * 60 < leaned.expected_s < bare.expected_s
        share = (bare.expected_s - leaned.expected_s) / (bare.expected_s - 20 * 60)
        t = bare.expected_s
        assert share == pytest.approx((1 - trust / 2) * t / (t + 1800) * (20 * 60) / t, abs=0.005)


def test_steady_services_free_a_busy_window_sooner_than_exponential_ones():
    """Four windows busy, one ticket waiting: its wait is the first of four services to end.
    Exponential services (a new hall's assumption) end the first after a mean / 4; once the hall
    has seen services of a fixed length, after a mean / 5 (the first of four equally spread
    phases)."""
    hall = make_hall(windows=4)
    for n in range(5):
        issue(hall, f"A{n:03}")
    for n in range(4):
        hall.receive(ev("ticket.called", T0, ticket=f"A{n:03}", window=str(n + 1)))

    def expected() -> float:
        return hall._queue_model().queue_waits([WaitingView("A004", "quick")])["A004"].estimate.expected_s

    new_hall = expected()
    assert new_hall == pytest.approx(hall.learned.window_cost_s("quick") / 4, abs=1)
    for n in range(1000):
        hall.learned.served("quick", None, 180.0)
    hall._model = None  # what was learned changed outside an event
    assert hall.learned.service_times.variation2 == pytest.approx(0.0, abs=0.01)
    assert expected() == pytest.approx(hall.learned.window_cost_s("quick") / 5, abs=1)


def test_a_hall_that_loses_holders_in_long_waits_tells_a_long_queue_less():
    """Twelve waiting for one busy window (about half an hour): a hall where a third of those
    called after a long wait were gone (a minute each, not a service) tells the last less than one
    that saw the same services and nobody absent."""
    def queue():
        hall = make_hall(windows=1)
        for n in range(13):
            issue(hall, f"A{n:03}")
        hall.receive(ev("ticket.called", T0, ticket="A000", window="1"))
        return hall

    plain, wise = queue(), queue()
    for n in range(3000):
        waited = 40 * 60.0 if n % 2 else 60.0
        plain.learned.served("quick", None, 180.0, waited)
        if waited > 60.0 and n % 3 == 0:
            wise.learned.absent(60.0, waited)
        else:
            wise.learned.served("quick", None, 180.0, waited)
    plain._model = wise._model = None  # what was learned changed outside an event
    assert wise.learned.no_shows.share_after(40 * 60.0) > 0.25
    assert wise.estimates()["A012"][1].expected_s < 0.85 * plain.estimates()["A012"][1].expected_s
