"""Expected waits: the queue-length (QL) estimator, per service type, over the window plan.

A waiting ticket is called once the windows that can serve it have worked off the
tickets ahead of it, plus the rest of a service already under way. So:

- *work ahead* is the sum, over the tickets ahead, of each one's expected window time
  (its service's learned mean, or the cost of a no-show), in seconds at a speed-1.0 window;
- *capacity* is the windows that can take that work, each weighted by its clerk's learned
  speed and by how likely it is to be open at each moment ahead (see window_plan.py);
- the wait is the time at which capacity integrated from now reaches the work ahead.

The spread is that of an Erlang(k) wait, k being the departures the ticket needs:
Ibrahim & Whitt (2009) show the conditional wait in M/M/s is exactly Erlang(n+1, s*mu),
which gives the ~80% range and the chance of passing the care threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from itertools import accumulate
from typing import NamedTuple

from .queueing import gamma_quantile, gamma_sf


__all__ = ["CapacityCurve", "Estimate", "estimate_wait", "lean_on_today", "p_wait_exceeds", "LOW_P", "HIGH_P",
           "TODAY_HORIZON_S"]

LOW_P, HIGH_P = 0.1, 0.9
"""The range holds the middle 80% of outcomes."""

FALLBACK_RATE = 1.0
"""With no window expected to open at all, assume one will: a waiting ticket always gets a number."""


TODAY_HORIZON_S = 1800.0
"""A wait this long is as likely to outlast the capacity the model foresees as not: half the
head-of-line weight goes to it (a few minutes ahead, today's windows are what they are)."""


class Estimate(NamedTuple):
    """An expected wait in seconds with a range meant to hold about 80% of outcomes."""

    expected_s: int
    low_s: int
    high_s: int


class CapacityCurve:
    """Expected serving capacity from now on, piecewise constant.

    ``rates[i]`` speed-1.0 windows work from ``starts[i]`` seconds after now until the
    next start; the last rate lasts for ever.
    """

    __slots__ = ("starts", "rates", "_cum")

    def __init__(self, starts: Sequence[float], rates: Sequence[float]) -> None:
        if not starts or starts[0] != 0.0 or len(starts) != len(rates):
            raise ValueError("a capacity curve starts at 0 with one rate per segment")
        # Shared, not copied: a queue model builds one curve per waiting ticket on the same starts.
        self.starts = starts
        self.rates = [r if r > 0.0 else 0.0 for r in rates]
        if not any(self.rates):
            self.rates = [FALLBACK_RATE] * len(self.rates)
        elif self.rates[-1] <= 0.0:
            # Nobody is expected at the end of the horizon: one window comes back.
            self.rates[-1] = FALLBACK_RATE
        self._cum = list(accumulate((r * (b - a) for r, a, b in zip(self.rates, starts, starts[1:])),
                                    initial=0.0))

    @property
    def now_rate(self) -> float:
        return self.rates[0]

    def work_until(self, t: float) -> float:
        """Work done between now and ``t`` seconds from now."""
        if t <= 0.0:
            return 0.0
        i = len(self.starts) - 1
        while self.starts[i] > t:
            i -= 1
        return self._cum[i] + self.rates[i] * (t - self.starts[i])

    def time_for(self, work: float) -> float:
        """Seconds from now until ``work`` is done."""
        if work <= 0.0:
            return 0.0
        last = len(self.starts) - 1
        for i in range(len(self.starts)):
            if i == last or self._cum[i + 1] - self._cum[i] >= work - self._cum[i]:
                rate = self.rates[i]
                if rate <= 0.0:
                    continue
                return self.starts[i] + (work - self._cum[i]) / rate
        raise AssertionError("the last rate of a curve is positive")


def estimate_wait(work_s: float, departures: int, curve: CapacityCurve, spread: float = 1.0) -> Estimate:
    """The wait until ``work_s`` seconds of window time are done, and its 80% range.

    ``departures`` is the number of services that must end before the call (the
    tickets queued ahead plus one): the Erlang shape of the wait. ``spread`` scales the
    range around the mean, as calibrated on the hall's own outcomes.
    """
    if work_s <= 0.0:
        return Estimate(0, 0, 0)
    k = max(1, departures)
    expected = curve.time_for(work_s)
    low_q, high_q = _erlang_range(k)
    low_share = max(0.0, 1.0 - spread * (1.0 - low_q))
    high_share = 1.0 + spread * (high_q - 1.0)
    low = curve.time_for(work_s * low_share)
    high = curve.time_for(work_s * high_share)
    return Estimate(int(round(expected)), int(round(low)), int(round(high)))


def lean_on_today(estimate: Estimate, head_of_line_s: float, trust: float) -> tuple[Estimate, float]:
    """Move the queue model's estimate toward today's head-of-line evidence; return it and the scale.

    The queue model is exact only while the windows it foresees open are open and the people
    ahead stay. The longer the wait, the likelier either is wrong (a lunch closure the plan has
    not learned, holders who give up in a long queue); the head of the line's wait so far has
    lived through both. So the estimate moves toward it by ``weight * T / (T + TODAY_HORIZON_S)``,
    ``T`` the model's wait, with ``weight`` 1 while nothing of the plan is believed (``trust`` 0)
    and 1/2 when all of it is (configured hours): abandonment is not in the plan. A head that has
    waited less than ``T`` pulls down only by the share ``H / T`` of its weight: its wait is
    still going on. Nothing moves without anybody ahead having waited. The range scales with
    the estimate.
    """
    expected = estimate.expected_s
    if expected <= 0 or head_of_line_s <= 0.0:
        return estimate, 1.0
    weight = (1.0 - 0.5 * min(1.0, max(0.0, trust))) * expected / (expected + TODAY_HORIZON_S)
    if head_of_line_s < expected:
        # The head's wait is only a lower bound of its own: a queue that formed minutes ago (the
        # doors just opened) has a young head and says little yet about a long line behind it.
        weight *= head_of_line_s / expected
    scale = (expected + weight * (head_of_line_s - expected)) / expected
    return Estimate(int(round(expected * scale)), int(round(estimate.low_s * scale)),
                    int(round(estimate.high_s * scale))), scale


@lru_cache(maxsize=2048)
def _erlang_range(k: int) -> tuple[float, float]:
    """The 10% and 90% quantiles of an Erlang(k) wait, as shares of its mean."""
    return gamma_quantile(k, LOW_P) / k, gamma_quantile(k, HIGH_P) / k


def p_wait_exceeds(work_s: float, departures: int, curve: CapacityCurve, within_s: float,
                   spread: float = 1.0) -> float:
    """The chance the call comes later than ``within_s`` seconds from now.

    ``spread`` is the range's calibration (see :func:`estimate_wait`): the Erlang wait's
    deviation from its mean scaled by it, so the chance agrees with the range told.
    """
    if within_s <= 0.0:
        return 1.0
    if work_s <= 0.0:
        return 0.0
    k = max(1, departures)
    share = curve.work_until(within_s) / work_s
    if spread > 0.0 and spread != 1.0:
        share = 1.0 + (share - 1.0) / spread
        if share <= 0.0:
            return 1.0
    return gamma_sf(k, share * k)
