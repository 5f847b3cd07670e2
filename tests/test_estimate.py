"""The wait estimator's parts: queueing formulas, learners, the window plan, capacity curves."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings, strategies as st

from server.estimate import CapacityCurve, estimate_wait, p_wait_exceeds
from server.learning import Learned, NoShows, ServiceTimes, WindowSpeeds
from server.queueing import erlang_c, erlang_c_tail, gamma_quantile, gamma_sf
from server.window_plan import BREAK_S, SLOT_S, WindowPlan, parse_hours

from tests.halltools import at, ev, make_hall


# -- queueing formulas ------------------------------------------------------------------------

def test_erlang_c_matches_the_reference_value():
    """pyworkforce's ErlangC(transactions=100, aht=3, interval=30) with 14 positions: P(wait) 0.1741."""
    assert erlang_c(14, 10.0) == pytest.approx(0.1741, abs=5e-5)
    assert erlang_c(1, 0.5) == pytest.approx(0.5)  # M/M/1: P(wait) = rho
    assert erlang_c(5, 5.0) == 1.0 and erlang_c(3, 0.0) == 0.0


def test_erlang_c_staffing_table_for_five_and_a_half_minute_services():
    """P(W > 15 min) <= 5% needs 7/10/12/15/18 windows at 60..180 arrivals an hour (research notes)."""
    needed = []
    for per_hour in (60, 90, 120, 150, 180):
        load = per_hour / 3600 * 330
        needed.append(next(s for s in range(1, 40) if erlang_c_tail(s, load, 330, 900) <= 0.05))
    assert needed == [7, 10, 12, 15, 18]


@given(st.integers(min_value=1, max_value=120), st.floats(min_value=0.01, max_value=300))
def test_gamma_tail_is_a_probability_and_grows_with_the_shape(shape, x):
    p = gamma_sf(shape, x)
    assert 0.0 <= p <= 1.0
    assert gamma_sf(shape + 1, x) >= p - 2e-3  # Wilson-Hilferty beyond shape 40: within its error


def test_gamma_tail_is_the_poisson_sum_and_the_quantile_inverts_it():
    assert gamma_sf(1, 2.0) == pytest.approx(math.exp(-2.0))
    assert gamma_sf(3, 2.0) == pytest.approx(math.exp(-2.0) * (1 + 2 + 2))
    for shape in (1, 3, 10, 60):
        for p in (0.1, 0.9):
            q = gamma_quantile(shape, p)
            assert 1 - gamma_sf(shape, q) == pytest.approx(p, abs=0.015)


# -- learners -------------------------------------------------------------------------------

def test_service_mean_moves_from_the_prior_and_shrugs_off_a_forgotten_button():
    times = ServiceTimes({"quick": 180.0}, default_s=330.0)
    for _ in range(200):
        times.observe("quick", 240.0)
    assert times.mean("quick") == pytest.approx(240.0, abs=3)
    times.observe("quick", 4 * 3600.0)  # nobody pressed 'done' for four hours
    assert times.mean("quick") < 260.0
    times.observe("quick", 3.0)  # a mis-click
    assert times.observations("quick") == 201


def test_service_mean_divides_out_the_window_speed():
    times = ServiceTimes({"quick": 180.0}, default_s=330.0)
    for _ in range(300):
        times.observe("quick", 300.0, speed_factor=1.5)
    assert times.mean("quick") == pytest.approx(200.0, abs=3)


def test_old_snapshots_with_sums_and_counts_still_restore():
    times = ServiceTimes({"quick": 180.0}, default_s=330.0)
    times.restore({"sum": {"quick": 2400.0}, "count": {"quick": 10}})
    assert times.mean("quick") == pytest.approx((180 * 5 + 2400) / 15)
    assert times.observations("quick") == 10


def test_no_show_share_and_cost_are_learned():
    no_shows = NoShows()
    rng = random.Random(1)
    for _ in range(2000):
        absent = rng.random() < 0.12
        no_shows.observe(came=not absent, window_time_s=45.0 if absent else None)
    assert no_shows.share == pytest.approx(0.12, abs=0.04)
    assert no_shows.cost_s == pytest.approx(45.0, abs=5)


def test_window_speeds_find_the_slow_clerk_and_stay_in_bounds():
    speeds = WindowSpeeds()
    for _ in range(200):
        speeds.observe("1", 360.0, 240.0)
        speeds.observe("2", 240.0, 240.0)
        speeds.observe("3", 50 * 240.0, 240.0)
    assert speeds.factor("1") == pytest.approx(1.5, abs=0.05)
    assert speeds.factor("2") == pytest.approx(1.0, abs=0.05)
    assert speeds.factor("3") == WindowSpeeds.HIGH


def test_learned_round_trips_through_json():
    learned = Learned(ServiceTimes({"quick": 180.0}, 330.0), NoShows(), WindowSpeeds())
    for n in range(50):
        learned.served("quick", str(n % 3), 200.0 + n)
    learned.absent(50.0)
    copy = Learned(ServiceTimes({"quick": 180.0}, 330.0), NoShows(), WindowSpeeds())
    copy.restore(learned.export())
    assert copy.export() == learned.export()
    assert copy.window_cost_s("quick") == learned.window_cost_s("quick")


# -- the window plan -----------------------------------------------------------------------------

H = 3600


def _lunch_days(plan: WindowPlan, days: int) -> None:
    """Windows 1-4 open 9-17 with 3 and 4 closed for lunch 12-13."""
    for _ in range(days):
        for w in ("1", "2", "3", "4"):
            plan.opened(w, 9 * H)
        for w in ("3", "4"):
            plan.closed(w, 12 * H)
            plan.opened(w, 13 * H)
        for w in ("1", "2", "3", "4"):
            plan.closed(w, 17 * H)
        plan.end_day()


def test_plan_is_learned_by_time_of_day_after_two_days():
    plan = WindowPlan()
    _lunch_days(plan, 1)
    assert plan.expected_open("3", 12.5 * H) is None  # one day is not a habit yet
    _lunch_days(plan, 1)
    assert plan.expected_open("3", 12.5 * H) == 0.0
    assert plan.expected_open("3", 11.5 * H) == 1.0
    assert plan.expected_open("1", 12.5 * H) == 1.0
    assert plan.expected_open("1", 8 * H) == 0.0


def test_a_day_without_any_window_teaches_nothing():
    plan = WindowPlan()
    _lunch_days(plan, 2)
    plan.end_day()  # a holiday
    assert plan.learned_days == 2


def test_availability_keeps_today_and_adds_the_plans_changes():
    plan = WindowPlan()
    _lunch_days(plan, 3)
    now = 11.75 * H
    starts = plan.breakpoints(now, 4 * H)
    # Window 3 is open now and will close for lunch, then come back.
    avail = plan.availability("3", True, now, starts)
    at = dict(zip(starts, avail))
    assert at[0.0] == 1.0
    assert at[0.25 * H] == 0.0  # 12:00
    assert at[1.25 * H] == 1.0  # 13:00
    # Window 5 was opened today beyond the plan: it stays open.
    assert plan.availability("5", True, now, starts) == [1.0] * len(starts)


def test_a_window_closed_while_planned_open_is_expected_back_after_a_break():
    plan = WindowPlan()
    _lunch_days(plan, 3)
    plan.opened("1", 9 * H)
    plan.closed("1", 10 * H)
    now = 10 * H + 60
    starts = plan.breakpoints(now, 2 * H)
    back = 10 * H + BREAK_S - now
    assert back in starts
    avail = dict(zip(starts, plan.availability("1", False, now, starts)))
    assert avail[0.0] == 0.0 and avail[back] == 1.0


def test_windows_open_at_closing_serve_out_the_queue():
    plan = WindowPlan()
    _lunch_days(plan, 3)
    assert plan.closing_s() == 17 * H
    for now in (16.95 * H, 17.1 * H):  # a ticket just before closing, and one served late
        starts = plan.breakpoints(now, 3 * H)
        assert plan.availability("1", True, now, starts) == [1.0] * len(starts)
        assert plan.availability("2", False, now, starts) == [0.0] * len(starts)
    # Lunch still closes windows: the day's end is not any dip.
    starts = plan.breakpoints(11.75 * H, 2 * H)
    assert 0.0 in plan.availability("3", True, 11.75 * H, starts)


def test_a_part_time_window_does_not_end_the_day():
    """Window 9 works mornings; the others have no hours and no history yet: the day has no known end."""
    plan = WindowPlan({"9": [parse_hours("08:00-12:00")]}, windows=["1", "2", "9"])
    starts = plan.breakpoints(11.5 * H, 2 * H)
    avail = dict(zip(starts, plan.availability("9", True, 11.5 * H, starts)))
    assert avail[0.0] == 1.0 and avail[0.5 * H] == 0.0


def test_a_thin_afternoon_still_closes_windows_for_good_at_noon():
    """Ten windows 9-12 and four 12-17: the day ends at 17:00, and six windows go at noon."""
    plan = WindowPlan()
    for _ in range(3):
        for i in range(10):
            plan.opened(str(i), 9 * H)
            plan.closed(str(i), 17 * H if i < 4 else 12 * H)
        plan.end_day()
    assert plan.closing_s() == 17 * H
    starts = plan.breakpoints(11.5 * H, 2 * H)
    assert plan.availability("7", True, 11.5 * H, starts)[-1] == 0.0
    starts = plan.breakpoints(16.5 * H, 2 * H)
    assert plan.availability("1", True, 16.5 * H, starts) == [1.0] * len(starts)


def test_the_day_ends_where_the_serving_out_fade_begins():
    """Windows leave between 17:00 and 17:45 as their queues empty: the day's end is 17:00."""
    plan = WindowPlan()
    for _ in range(3):
        for i in range(10):
            plan.opened(str(i), 9 * H)
            plan.closed(str(i), 17 * H + i * 300)  # 17:00, 17:05, ... 17:45
        plan.end_day()
    assert plan.closing_s() == 17 * H


def test_a_reset_replayed_from_a_snapshot_closes_the_same_windows():
    """The hub snapshots before a hall.reset; a restart replays the reset on the restored hall."""
    live = make_hall(windows=3)
    live.receive(ev("ticket.issued", at(5), ticket="A001", service="quick"))
    snapshot = live.export_snapshot()
    live.receive(ev("hall.reset", at(10)))
    restored = make_hall(windows=0)
    restored.restore_snapshot(snapshot)
    restored.receive(ev("hall.reset", at(10)))
    assert restored.plan.export() == live.plan.export()
    assert live.plan.export()["closed_at"]  # the reset did close the three windows


def test_configured_closing_is_the_last_configured_hour():
    plan = WindowPlan({"1": [parse_hours("08:55-12:00"), parse_hours("13:30-17:00")],
                       "2": [parse_hours("08:55-12:30")]})
    assert plan.closing_s() == 17 * H
    starts = plan.breakpoints(16.9 * H, 2 * H)
    assert plan.availability("1", True, 16.9 * H, starts) == [1.0] * len(starts)
    starts = plan.breakpoints(12.4 * H, 2 * H)
    assert plan.availability("2", True, 12.4 * H, starts)[-1] == 0.0  # window 2 still goes at 12:30


def test_availability_follows_a_window_closed_at_the_same_moment():
    """Answers are reused within one moment, never across a change of the plan."""
    plan = WindowPlan()
    _lunch_days(plan, 3)
    plan.opened("1", 9 * H)
    now = 10 * H
    starts = plan.breakpoints(now, 2 * H)
    before = plan.availability("1", False, now, starts)
    assert before == [0.0] * len(starts)  # closed with no record of when: not expected back
    plan.closed("1", now)
    starts = plan.breakpoints(now, 2 * H)
    assert BREAK_S in starts
    after = dict(zip(starts, plan.availability("1", False, now, starts)))
    assert after[BREAK_S] == 1.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(8 * H, 18 * H), st.sampled_from(["1", "3", "9"]), st.booleans()),
                min_size=1, max_size=12))
def test_remembered_availability_equals_a_fresh_answer(moments):
    """Reused answers (per moment, per slot shape) match a plan that has never answered before."""
    plan = WindowPlan()
    _lunch_days(plan, 3)
    plan.opened("1", 8 * H)
    plan.closed("1", 10 * H)
    for now, window, is_open in sorted(moments):
        starts = plan.breakpoints(now, 4 * H)
        fresh = WindowPlan()
        fresh.restore(plan.export())
        assert fresh.breakpoints(now, 4 * H) == starts
        assert plan.availability(window, is_open, now, starts) == fresh.availability(window, is_open, now, starts)


def test_a_restored_plan_forgets_what_it_answered_before():
    plan = WindowPlan()
    _lunch_days(plan, 3)
    starts = plan.breakpoints(11.75 * H, 2 * H)
    assert 0.0 in plan.availability("3", True, 11.75 * H, starts)  # lunch ahead
    flat = WindowPlan()
    for _ in range(3):
        flat.opened("3", 9 * H)
        flat.closed("3", 17 * H)
        flat.end_day()
    plan.restore(flat.export())
    assert plan.availability("3", True, 11.75 * H, starts) == [1.0] * len(starts)


def test_configured_hours_win_over_learning():
    plan = WindowPlan({"1": [parse_hours("08:55-12:00"), parse_hours("13:30-17:00")]})
    assert plan.expected_open("1", 12.5 * H) == 0.0
    assert plan.expected_open("1", 13.5 * H) == 1.0
    starts = plan.breakpoints(11.9 * H, 3 * H)
    assert 0.1 * H == pytest.approx(min(s for s in starts if s > 0))  # the 12:00 edge


def test_plan_export_restores_mid_day_and_folds_the_same_day():
    live = WindowPlan()
    _lunch_days(live, 2)
    live.opened("1", 9 * H)
    live.closed("1", 10 * H)
    live.opened("2", 9 * H)
    restored = WindowPlan()
    restored.restore(live.export())
    live.end_day()
    restored.end_day()
    assert restored.export() == live.export()


@pytest.mark.parametrize("spec", ["9-17", "12:00-11:00", "25:00-26:00", "08:60-09:00"])
def test_bad_hours_are_refused(spec):
    with pytest.raises(ValueError):
        parse_hours(spec)


# -- capacity curves and the estimate --------------------------------------------------------

def test_curve_integrates_and_inverts_over_segments():
    curve = CapacityCurve([0.0, 600.0, 1200.0], [4.0, 2.0, 4.0])
    assert curve.work_until(600) == 2400
    assert curve.work_until(900) == 3000
    assert curve.time_for(3000) == pytest.approx(900)
    assert curve.time_for(3600 + 400) == pytest.approx(1300)


def test_a_curve_with_nobody_open_assumes_one_window():
    assert CapacityCurve([0.0, 900.0], [0.0, 0.0]).time_for(300) == pytest.approx(300)
    later = CapacityCurve([0.0, 900.0], [0.0, 2.0])
    assert later.time_for(300) == pytest.approx(1050)  # nothing until the windows open at 900 s


def test_estimate_is_the_ql_mean_with_an_erlang_range():
    """Ten ahead at four windows of 240 s: (10 + 1) x 240 / 4 = 660 s; the range brackets it."""
    curve = CapacityCurve([0.0], [4.0])
    estimate = estimate_wait(11 * 240.0, 11, curve)
    assert estimate.expected_s == 660
    assert estimate.low_s < 660 < estimate.high_s
    assert p_wait_exceeds(11 * 240.0, 11, curve, 660) == pytest.approx(0.5, abs=0.1)
    assert p_wait_exceeds(11 * 240.0, 11, curve, 0) == 1.0


def test_range_holds_about_eighty_percent_of_erlang_waits():
    """Simulate the model itself: the range must cover ~80% of its own Erlang outcomes."""
    rng = random.Random(3)
    curve = CapacityCurve([0.0], [5.0])
    for k in (1, 4, 20):
        work = k * 300.0
        estimate = estimate_wait(work, k, curve)
        rate = 5.0 / (work / k)  # departures per second
        hits = 0
        for _ in range(4000):
            wait = sum(rng.expovariate(rate) for _ in range(k))
            hits += estimate.low_s <= wait <= estimate.high_s
        assert 0.76 <= hits / 4000 <= 0.84, (k, hits / 4000)
