"""The benchmark's accuracy measures, against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from bench.metrics import bias, coverage, precision_recall, rase, rmse, share_within, summary

EST = [60.0, 120.0, 300.0]
REAL = [120.0, 120.0, 180.0]  # errors -60, 0, +120: MSE 6000, mean realised 140


def test_rase_is_mse_over_squared_mean_realised_wait():
    """RASE = 6000 / 140^2."""
    assert rase(EST, REAL) == pytest.approx(6000 / 140**2)
    assert rase(REAL, REAL) == 0.0


def test_rmse_and_bias():
    """RMSE = sqrt(6000) s; bias = mean(estimate - realised) = +20 s."""
    assert rmse(EST, REAL) == pytest.approx(math.sqrt(6000))
    assert bias(EST, REAL) == pytest.approx(20.0)
    assert bias([0.0], [60.0]) == -60.0


def test_share_within_includes_the_edge():
    """|error| <= tolerance counts: 2 of 3 within 60 s, 3 of 3 within 120 s."""
    assert share_within(EST, REAL, 60.0) == pytest.approx(2 / 3)
    assert share_within(EST, REAL, 120.0) == 1.0
    assert share_within(EST, REAL, 59.9) == pytest.approx(1 / 3)


def test_coverage_counts_waits_inside_the_range_ends_included():
    """Realised 100 in [0, 100] yes; 151 in [100, 150] no; 199 in [200, 250] no."""
    assert coverage([0, 100, 200], [100, 150, 250], [100, 151, 199]) == pytest.approx(1 / 3)
    assert coverage([0], [10], [0]) == 1.0


def test_precision_and_recall_of_a_flag():
    """Flagged {1,2,3,4}, true {2,3,5}: precision 2/4, recall 2/3."""
    p, r = precision_recall({1, 2, 3, 4}, {2, 3, 5})
    assert p == 0.5 and r == pytest.approx(2 / 3)
    assert precision_recall(set(), {1}) == (None, 0.0)
    assert precision_recall({1}, set()) == (0.0, None)


def test_nothing_to_score_gives_none_not_zero():
    """Empty inputs and all-zero waits give None; mismatched lengths are an error."""
    assert rase([], []) is None and rmse([], []) is None and coverage([], [], []) is None
    assert rase([5.0], [0.0]) is None
    with pytest.raises(ValueError, match="one estimate per realised wait"):
        rase([1.0, 2.0], [1.0])


def test_summary_row_in_minutes():
    """The table row: minutes for RMSE and bias, shares as fractions, RASE over waits > 0 too."""
    row = summary([60.0, 600.0], [0.0, 300.0], lows=[0.0, 200.0], highs=[120.0, 250.0])
    assert row["n"] == 2
    assert row["mean_wait_min"] == 2.5
    assert row["bias_min"] == pytest.approx((60 + 300) / 2 / 60, abs=1e-3)
    assert row["within_5min"] == 1.0  # errors 60 s and 300 s: the second is exactly 5 min
    assert row["coverage"] == 0.5  # 0 in [0, 120]; 300 outside [200, 250]
    assert row["coverage_waited"] == 0.0  # only the 300 s wait counts
    assert row["rase"] == pytest.approx(round((60**2 + 300**2) / 2 / 150**2, 4))
    assert row["rase_waited"] == pytest.approx(1.0)  # only (600, 300): 300^2 / 300^2
    assert row["worst_error_min"] == 5.0


def test_range_coverage_of_those_told_a_range_leaves_out_called_at_once():
    """Told [0, 0] and called at once: inside, but no range was given; [60, 120] missed by 200."""
    row = summary([0.0, 90.0], [0.0, 200.0], lows=[0.0, 60.0], highs=[0.0, 120.0])
    assert row["coverage"] == 0.5
    assert row["coverage_ranged"] == 0.0
