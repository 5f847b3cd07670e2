"""bench/hall_digest.py: the same day gives the same digest, and a different decision a different one."""

from __future__ import annotations

from bench.hall_digest import scenario_digest


def test_the_digest_is_the_same_for_the_same_day_and_differs_for_another():
    one = scenario_digest("normal", days=1, seed=5)
    assert scenario_digest("normal", days=1, seed=5) == one
    assert scenario_digest("normal", days=1, seed=6) != one
