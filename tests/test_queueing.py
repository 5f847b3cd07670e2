"""queueing.py: the Erlang C and Erlang (gamma) wait formulas."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, strategies as st

from server.queueing import erlang_c, erlang_c_tail, gamma_quantile, gamma_sf


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
    """The Erlang tail is a probability and does not shrink when one more service must end first."""
    p = gamma_sf(shape, x)
    assert 0.0 <= p <= 1.0
    assert gamma_sf(shape + 1, x) >= p - 2e-3  # Wilson-Hilferty beyond shape 40: within its error


def test_gamma_tail_is_the_poisson_sum_and_the_quantile_inverts_it():
    """For whole shapes the tail is the Poisson sum, and gamma_quantile inverts it to within 1.5 points."""
    assert gamma_sf(1, 2.0) == pytest.approx(math.exp(-2.0))
    assert gamma_sf(3, 2.0) == pytest.approx(math.exp(-2.0) * (1 + 2 + 2))
    for shape in (1, 3, 10, 60):
        for p in (0.1, 0.9):
            q = gamma_quantile(shape, p)
            assert 1 - gamma_sf(shape, q) == pytest.approx(p, abs=0.015)
