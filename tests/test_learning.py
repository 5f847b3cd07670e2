"""learning.py: service means, no-shows and clerk speeds learned from the hall's history."""

from __future__ import annotations

import math
import random

import pytest

from server.learning import Learned, NoShows, ServiceTimes, WindowSpeeds


def test_service_mean_moves_from_the_prior_and_shrugs_off_a_forgotten_button():
    """The mean moves from the prior to what is seen; a 4-hour outlier barely moves it; a mis-click is not counted."""
    times = ServiceTimes({"quick": 180.0}, default_s=330.0)
    for _ in range(200):
        times.observe("quick", 240.0)
    assert times.mean("quick") == pytest.approx(240.0, abs=3)
    times.observe("quick", 4 * 3600.0)  # nobody pressed 'done' for four hours
    assert times.mean("quick") < 260.0
    times.observe("quick", 3.0)  # a mis-click
    assert times.observations("quick") == 201


def test_service_mean_divides_out_the_window_speed():
    """A service timed at a clerk 1.5 times slower teaches the mean of a clerk at normal speed."""
    times = ServiceTimes({"quick": 180.0}, default_s=330.0)
    for _ in range(300):
        times.observe("quick", 300.0, speed_factor=1.5)
    assert times.mean("quick") == pytest.approx(200.0, abs=3)


def test_service_variation_starts_exponential_and_learns_steadier_services():
    """Before any service the variation is the exponential's (1); lognormal services with a
    coefficient of variation of 0.4 teach 0.16 (within the drift's noise); a snapshot keeps it."""
    times = ServiceTimes({"quick": 180.0, "standard": 480.0}, default_s=330.0)
    assert times.variation2 == 1.0
    rng = random.Random(3)
    sigma = math.sqrt(math.log(1 + 0.4 ** 2))  # a lognormal of mean 1 and coefficient of variation 0.4
    for n in range(3000):
        service, mean = ("quick", 180.0) if n % 3 else ("standard", 480.0)
        times.observe(service, mean * rng.lognormvariate(-sigma * sigma / 2, sigma))
    assert times.variation2 == pytest.approx(0.16, abs=0.06)
    copy = ServiceTimes({"quick": 180.0, "standard": 480.0}, default_s=330.0)
    copy.restore(times.export())
    assert copy.variation2 == times.variation2
    copy.restore({"means": {}})  # a snapshot from before the variation was learned
    assert copy.variation2 == 1.0


def test_old_snapshots_with_sums_and_counts_still_restore():
    """A snapshot in the old sum-and-count form restores as its observations blended with the prior."""
    times = ServiceTimes({"quick": 180.0}, default_s=330.0)
    times.restore({"sum": {"quick": 2400.0}, "count": {"quick": 10}})
    assert times.mean("quick") == pytest.approx((180 * 5 + 2400) / 15)
    assert times.observations("quick") == 10


def test_no_show_share_and_cost_are_learned():
    """From 2000 calls, 12% of them absent, the no-show share and the window time a no-show costs are learned."""
    no_shows = NoShows()
    rng = random.Random(1)
    for _ in range(2000):
        absent = rng.random() < 0.12
        no_shows.observe(came=not absent, window_time_s=45.0 if absent else None)
    assert no_shows.share == pytest.approx(0.12, abs=0.04)
    assert no_shows.cost_s == pytest.approx(45.0, abs=5)


def test_window_speeds_find_the_slow_clerk_and_stay_in_bounds():
    """A clerk taking 1.5 times the expected time is learned as 1.5; an absurdly slow one is capped at HIGH."""
    speeds = WindowSpeeds()
    for _ in range(200):
        speeds.observe("1", 360.0, 240.0)
        speeds.observe("2", 240.0, 240.0)
        speeds.observe("3", 50 * 240.0, 240.0)
    assert speeds.factor("1") == pytest.approx(1.5, abs=0.05)
    assert speeds.factor("2") == pytest.approx(1.0, abs=0.05)
    assert speeds.factor("3") == WindowSpeeds.HIGH


def test_learned_round_trips_through_json():
    """What the hall learned exports and restores to the same state and the same window cost."""
    learned = Learned(ServiceTimes({"quick": 180.0}, 330.0), NoShows(), WindowSpeeds())
    for n in range(50):
        learned.served("quick", str(n % 3), 200.0 + n)
    learned.absent(50.0)
    copy = Learned(ServiceTimes({"quick": 180.0}, 330.0), NoShows(), WindowSpeeds())
    copy.restore(learned.export())
    assert copy.export() == learned.export()
    assert copy.window_cost_s("quick") == learned.window_cost_s("quick")


def test_care_soon_level_starts_shifted_and_balances_false_alarms_against_misses():
    """From 1/2 the level starts at 1 / (1 + e^-2) = 0.881; a false alarm raises it by 1/5 in log-odds,
    a miss lowers it by 1/6 (steps shrink to 0.02); a wait told right changes nothing."""
    import math

    from server.learning import CareSoonCalibration

    cal = CareSoonCalibration()
    assert cal.level(0.5) == pytest.approx(1 / (1 + math.exp(-2.0)))
    assert cal.level(0.0) == 0.0  # off stays off
    cal.observe(flagged=True, late=True)
    cal.observe(flagged=False, late=False)
    assert cal.shift == 2.0 and cal.checked == 0
    cal.observe(flagged=True, late=False)
    assert cal.shift == pytest.approx(2.2)
    cal.observe(flagged=False, late=True)
    assert cal.shift == pytest.approx(2.2 - 1 / 6)
    # As many false alarms as misses: the level comes back near where it was.
    rng = random.Random(3)
    for _ in range(4000):
        cal.observe(flagged=rng.random() < 0.5, late=rng.random() < 0.5)
    assert abs(cal.shift - 2.0) < 1.0


def test_no_shows_are_learned_per_band_of_wait_and_shorten_the_work_of_long_queues():
    """Holders absent for 2% of calls under 5 min of wait and 30% after 25 min: both shares are
    learned, and a ticket ahead that will have waited 25 min costs less window time than the
    hall-wide share says; one called at once, a little more. Before any evidence, nothing changes."""
    learned = Learned(ServiceTimes({"quick": 300.0}, 330.0), NoShows(), WindowSpeeds())
    cost = learned.window_cost_s("quick")
    assert learned.absent_ratio(cost, 25 * 60.0) == pytest.approx(1.0)
    rng = random.Random(2)
    for n in range(4000):
        waited, share = (60.0, 0.02) if n % 2 else (25 * 60.0, 0.30)
        if rng.random() < share:
            learned.absent(60.0, waited)
        else:
            learned.served("quick", None, 300.0, waited)
    assert learned.no_shows.share_after(60.0) == pytest.approx(0.02, abs=0.02)
    assert learned.no_shows.share_after(25 * 60.0) == pytest.approx(0.30, abs=0.07)
    cost = learned.window_cost_s("quick")
    p = learned.no_shows.share
    q = learned.no_shows.share_after(25 * 60.0)
    assert learned.absent_ratio(cost, 25 * 60.0) == pytest.approx(((1 - q) * 300 + q * 60) / cost, rel=0.01)
    assert learned.absent_ratio(cost, 25 * 60.0) < 0.9 < 1.0 < learned.absent_ratio(cost, 60.0)
    copy = Learned(ServiceTimes({"quick": 300.0}, 330.0), NoShows(), WindowSpeeds())
    copy.restore(learned.export())
    assert copy.no_shows.share_after(25 * 60.0) == q
    assert p > 0.1
