"""Expected waits, first version: work ahead divided by the windows that serve it.

Kept apart from the hall so that a better estimator can replace it without
touching the state machine (see the wait-estimation issue).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


__all__ = ["Estimate", "ServiceTimes", "estimate_wait"]

PRIOR_WEIGHT = 5.0
"""The configured prior counts as this many observed services."""

OUTLIER_FACTOR = 4.0
"""A service longer than this many means is clipped: a clerk who forgot to press 'done'."""

MIN_SERVICE_S = 10.0
"""Shorter 'services' are mis-clicks and teach nothing."""

Z80 = 1.2816
"""Standard normal quantile for a two-sided 80% range."""


@dataclass(frozen=True, slots=True)
class Estimate:
    """An expected wait in seconds with a range meant to hold about 80% of outcomes."""

    expected_s: int
    low_s: int
    high_s: int


class ServiceTimes:
    """Mean service duration per service, learned online from called -> served.

    Starts from configured priors; each service's mean is a running mean in which
    the prior weighs as :data:`PRIOR_WEIGHT` observations.
    """

    def __init__(self, priors: Mapping[str, float], default_s: float) -> None:
        self._priors = dict(priors)
        self._default_s = default_s
        self._sum: dict[str, float] = {}
        self._count: dict[str, int] = {}

    def mean(self, service: str) -> float:
        """Return the current mean service time of ``service`` in seconds."""
        prior = self._priors.get(service, self._default_s)
        count = self._count.get(service, 0)
        return (prior * PRIOR_WEIGHT + self._sum.get(service, 0.0)) / (PRIOR_WEIGHT + count)

    def observe(self, service: str, duration_s: float) -> None:
        """Learn from one completed service."""
        if duration_s < MIN_SERVICE_S:
            return
        duration_s = min(duration_s, OUTLIER_FACTOR * self.mean(service))
        self._sum[service] = self._sum.get(service, 0.0) + duration_s
        self._count[service] = self._count.get(service, 0) + 1

    def observations(self, service: str) -> int:
        return self._count.get(service, 0)

    def export(self) -> dict[str, Any]:
        """Return what was learned, as JSON, for snapshots across days and restarts."""
        return {"sum": dict(self._sum), "count": dict(self._count)}

    def restore(self, data: Mapping[str, Any]) -> None:
        """Load what :meth:`export` returned."""
        self._sum = {str(k): float(v) for k, v in data.get("sum", {}).items()}
        self._count = {str(k): int(v) for k, v in data.get("count", {}).items()}


def estimate_wait(ahead_s: float, ahead_count: int, own_mean_s: float, windows: int, free_windows: int) -> Estimate:
    """Estimate the wait of a ticket with ``ahead_count`` tickets before it.

    Args:
        ahead_s: sum of the mean service times of the tickets ahead.
        ahead_count: how many tickets are ahead.
        own_mean_s: mean service time of the ticket's own service; stands in for the
            time until a busy window frees up.
        windows: open windows serving the ticket's service. With none open the
            estimate assumes one will open: a waiting ticket always gets a number.
        free_windows: open windows that serve nobody right now.
    """
    windows = max(windows, 1)
    if free_windows > ahead_count:
        return Estimate(0, 0, int(round(own_mean_s / windows)))
    # The first free_windows tickets ahead start at once; the rest wait for departures.
    queued = ahead_count - free_windows
    queued_work = ahead_s * queued / ahead_count if ahead_count else 0.0
    expected = (queued_work + own_mean_s) / windows
    # The wait is a sum of queued+1 departures: close to Erlang(queued+1), whose relative
    # spread is 1/sqrt(k); the normal approximation gives the 10th and 90th percentiles.
    spread = Z80 / math.sqrt(queued + 1)
    low = max(0.0, expected * (1.0 - spread))
    high = expected * (1.0 + spread)
    return Estimate(int(round(expected)), int(round(low)), int(round(high)))
