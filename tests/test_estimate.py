"""estimate.py: capacity curves, and the expected wait with its range."""

from __future__ import annotations

import random

import pytest

from server.estimate import CapacityCurve, estimate_wait, p_wait_exceeds


def test_curve_integrates_and_inverts_over_segments():
    """A piecewise capacity curve integrates to the work done by a time and inverts back to that time."""
    curve = CapacityCurve([0.0, 600.0, 1200.0], [4.0, 2.0, 4.0])
    assert curve.work_until(600) == 2400
    assert curve.work_until(900) == 3000
    assert curve.time_for(3000) == pytest.approx(900)
    assert curve.time_for(3600 + 400) == pytest.approx(1300)


def test_a_curve_with_nobody_open_assumes_one_window():
    """With no window ever open the curve assumes one; with windows opening later, nothing is done before."""
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


def test_the_estimate_leans_on_head_of_line_evidence_by_horizon_and_trust():
    """Model 30 min, head of the line waited 10 min: the full weight 1800 / (1800 + 1800) = 1/2 with
    nothing of the plan believed, shrunk by 10/30 (the head's wait is still going on): 1/6 of the way,
    to 26.7 min; with all of it believed, 1/12, to 28.3 min."""
    from server.estimate import Estimate, lean_on_today

    model = Estimate(1800, 1200, 2400)
    none, scale = lean_on_today(model, 600.0, trust=0.0)
    assert none == Estimate(1600, 1067, 2133) and scale == pytest.approx(1600 / 1800)
    full, _ = lean_on_today(model, 600.0, trust=1.0)
    assert full.expected_s == 1700
    # A head older than the model's wait pulls up with the full weight: 3 min against 10, 180 / 1980.
    short, _ = lean_on_today(Estimate(180, 60, 300), 600.0, trust=0.0)
    assert short.expected_s == round(180 + 180 / 1980 * 420)
    # A queue that formed two minutes ago says little: 30 min moves by 1/2 * 2/30 toward 2 min.
    young, _ = lean_on_today(model, 120.0, trust=0.0)
    assert young.expected_s == round(1800 - 0.5 * 120 / 1800 * 1680)
    # Nobody ahead has waited: nothing to lean on.
    assert lean_on_today(model, 0.0, trust=0.0) == (model, 1.0)


def test_p_late_uses_the_ranges_spread():
    """A narrower calibrated spread makes a wait expected at 10 min less likely to pass 15 (and one
    expected at 20 more likely): the chance agrees with the range told."""
    curve = CapacityCurve([0.0], [1.0])
    erlang = p_wait_exceeds(600.0, 4, curve, 900.0)
    narrow = p_wait_exceeds(600.0, 4, curve, 900.0, spread=0.5)
    assert narrow < erlang
    # Work share 900/600 = 1.5 -> 1 + 0.5 / 0.5 = 2.0: Erlang(4) beyond twice its mean.
    assert narrow == pytest.approx(p_wait_exceeds(600.0, 4, curve, 1200.0))
    assert p_wait_exceeds(1200.0, 4, curve, 900.0, spread=0.5) > p_wait_exceeds(1200.0, 4, curve, 900.0)
