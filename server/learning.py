"""What the hall learns from its own history: service means, no-shows, clerk speeds.

Each learner starts from a prior, averages while it has little data, then drifts
slowly (a small exponential weight) so a month of experience is not undone by one
odd afternoon. Everything here is JSON-exportable so it survives restarts and days.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
import math
from dataclasses import dataclass, field
from typing import Any


__all__ = ["CareSoonCalibration", "Learned", "NoShows", "RangeCalibration", "ServiceTimes", "WindowSpeeds"]


class _Mean:
    """A mean that starts as a running mean over ``prior_weight + n`` and ends as an EWMA.

    The prior counts as ``prior_weight`` observations; once ``1 / drift`` samples are in,
    each new one moves the mean by ``drift`` of its error.
    """

    __slots__ = ("value", "count")

    def __init__(self, value: float, count: int = 0) -> None:
        self.value = value
        self.count = count

    def add(self, x: float, prior_weight: float, drift: float) -> None:
        self.count += 1
        weight = max(1.0 / (prior_weight + self.count), drift)
        self.value += weight * (x - self.value)


def _export(means: Mapping[str, _Mean]) -> dict[str, list[float]]:
    return {key: [m.value, m.count] for key, m in means.items()}


def _restore(data: Any) -> dict[str, _Mean]:
    if not isinstance(data, Mapping):
        return {}
    return {str(k): _Mean(float(v[0]), int(v[1])) for k, v in data.items()}


class ServiceTimes:
    """Mean window time per service, learned from called -> served.

    Durations are divided by the serving window's speed factor first, so a slow clerk
    does not make the service look long. One observation is clipped to
    :attr:`OUTLIER_FACTOR` means: a clerk who forgot to press 'done' teaches little.
    """

    PRIOR_WEIGHT = 5.0
    DRIFT = 0.02
    """About the last 50 services carry the mean: slow drift within a day, per the research notes."""
    OUTLIER_FACTOR = 3.0
    MIN_SERVICE_S = 10.0
    """Shorter 'services' are mis-clicks."""
    SPREAD_PRIOR = 2.0
    """The prior mean of (duration / mean)^2: exponential services (squared variation 1), the
    queue model's assumption before the hall has shown otherwise."""
    SPREAD_PRIOR_WEIGHT = 20.0
    SPREAD_DRIFT = 0.01

    def __init__(self, priors: Mapping[str, float], default_s: float) -> None:
        self._priors = dict(priors)
        self._default_s = default_s
        self._means: dict[str, _Mean] = {}
        self._square = _Mean(self.SPREAD_PRIOR)

    @property
    def variation2(self) -> float:
        """Squared coefficient of variation of a service (all services pooled), within 0..1.

        Above 1 (a long tail) the queue model keeps the exponential's 1: the residual rule in
        waits.py is only measured for services less variable than that."""
        return min(1.0, max(0.0, self._square.value - 1.0))

    def mean(self, service: str) -> float:
        """Return the current mean service time of ``service`` in seconds."""
        learned = self._means.get(service)
        return learned.value if learned else self._priors.get(service, self._default_s)

    def observations(self, service: str) -> int:
        learned = self._means.get(service)
        return learned.count if learned else 0

    def observe(self, service: str, duration_s: float, speed_factor: float = 1.0) -> None:
        """Learn from one completed service at a window of the given speed factor."""
        if duration_s < self.MIN_SERVICE_S:
            return
        current = self.mean(service)
        x = min(duration_s / speed_factor, self.OUTLIER_FACTOR * current)
        learned = self._means.setdefault(service, _Mean(current))
        learned.add(x, self.PRIOR_WEIGHT, self.DRIFT)
        self._square.add((x / current) ** 2, self.SPREAD_PRIOR_WEIGHT, self.SPREAD_DRIFT)

    def export(self) -> dict[str, Any]:
        return {"means": _export(self._means), "spread2": [self._square.value, self._square.count]}

    def restore(self, data: Mapping[str, Any]) -> None:
        spread = data.get("spread2")
        self._square = (_Mean(float(spread[0]), int(spread[1])) if isinstance(spread, list) and len(spread) == 2
                        else _Mean(self.SPREAD_PRIOR))
        if "means" in data:
            self._means = _restore(data["means"])
            return
        # Snapshots written before the robust means kept a prior-weighted sum and count.
        sums, counts = data.get("sum", {}), data.get("count", {})
        self._means = {}
        for service, count in counts.items():
            prior = self._priors.get(service, self._default_s)
            value = (prior * self.PRIOR_WEIGHT + float(sums.get(service, 0.0))) / (self.PRIOR_WEIGHT + int(count))
            self._means[str(service)] = _Mean(value, int(count))


class NoShows:
    """The share of called tickets nobody comes for, and the window time each one costs."""

    PRIOR_SHARE = 0.05
    PRIOR_COST_S = 60.0
    """The field's figure: an absent holder costs the window about a minute (call, wait, recall)."""
    PRIOR_WEIGHT = 20.0
    DRIFT = 0.01
    MAX_COST_S = 600.0

    WAIT_BANDS_S = (300.0, 600.0, 1200.0, 1800.0)
    """Holders give up the longer they wait: the share is also learned per band of the wait at the
    call (under 5, 10, 20, 30 min, and longer). On the project's simulator's month-end days it
    rose from 1.4% under 5 min to 28% at 25-30 min."""

    def __init__(self) -> None:
        self._share = _Mean(self.PRIOR_SHARE)
        self._cost = _Mean(self.PRIOR_COST_S)
        self._by_wait = [_Mean(self.PRIOR_SHARE) for _ in range(len(self.WAIT_BANDS_S) + 1)]

    @property
    def share(self) -> float:
        return self._share.value

    def share_after(self, waited_s: float) -> float:
        """The share of holders absent at a call after waiting ``waited_s``."""
        return self._by_wait[bisect_right(self.WAIT_BANDS_S, waited_s)].value

    @property
    def cost_s(self) -> float:
        return self._cost.value

    def observe(self, *, came: bool, window_time_s: float | None = None, waited_s: float | None = None) -> None:
        """Learn from one call's outcome; ``window_time_s`` is called -> no_show for absentees,
        ``waited_s`` the wait before the call, where known."""
        self._share.add(0.0 if came else 1.0, self.PRIOR_WEIGHT, self.DRIFT)
        if waited_s is not None:
            self._by_wait[bisect_right(self.WAIT_BANDS_S, waited_s)].add(0.0 if came else 1.0, self.PRIOR_WEIGHT,
                                                                       self.DRIFT)
        if not came and window_time_s is not None and window_time_s >= 0:
            self._cost.add(min(window_time_s, self.MAX_COST_S), self.PRIOR_WEIGHT, self.DRIFT)

    def export(self) -> dict[str, Any]:
        return {"share": [self._share.value, self._share.count], "cost": [self._cost.value, self._cost.count],
                "by_wait": [[m.value, m.count] for m in self._by_wait]}

    def restore(self, data: Mapping[str, Any]) -> None:
        if "share" in data:
            self._share = _Mean(float(data["share"][0]), int(data["share"][1]))
        if "cost" in data:
            self._cost = _Mean(float(data["cost"][0]), int(data["cost"][1]))
        bands = data.get("by_wait")
        self._by_wait = ([_Mean(float(v), int(n)) for v, n in bands]
                         if isinstance(bands, list) and len(bands) == len(self.WAIT_BANDS_S) + 1
                         else [_Mean(self.PRIOR_SHARE) for _ in range(len(self.WAIT_BANDS_S) + 1)])


class WindowSpeeds:
    """Per window, how long its services take against the service means (>1 is slower).

    Clamped to [0.5, 2]: a factor outside that is more likely a stuck button than a clerk.
    """

    PRIOR_WEIGHT = 10.0
    DRIFT = 0.05
    LOW, HIGH = 0.5, 2.0

    def __init__(self) -> None:
        self._factors: dict[str, _Mean] = {}

    def factor(self, window: str) -> float:
        learned = self._factors.get(window)
        return learned.value if learned else 1.0

    def speed(self, window: str) -> float:
        """Services per unit of mean service time: the window's share of capacity."""
        return 1.0 / self.factor(window)

    def observe(self, window: str, duration_s: float, service_mean_s: float) -> None:
        if duration_s < ServiceTimes.MIN_SERVICE_S or service_mean_s <= 0:
            return
        ratio = min(max(duration_s / service_mean_s, 0.25), 4.0)
        learned = self._factors.setdefault(window, _Mean(1.0))
        learned.add(ratio, self.PRIOR_WEIGHT, self.DRIFT)
        learned.value = min(max(learned.value, self.LOW), self.HIGH)

    def export(self) -> dict[str, Any]:
        return _export(self._factors)

    def restore(self, data: Mapping[str, Any]) -> None:
        self._factors = _restore(data)


class RangeCalibration:
    """Widens or narrows the Erlang range until it holds the intended share of real waits.

    The Erlang range assumes exponential services; real ones vary less (or more, with an
    odd mix), so the range a hall needs is learned from its own outcomes: each ticket's
    range at issue is checked at its call, and the spread factor moves a little toward the
    80% target (a stochastic-approximation step on the miss rate).
    """

    TARGET_MISS = 0.2
    STEP = 0.01
    LOW, HIGH = 0.4, 2.5

    def __init__(self) -> None:
        self.factor = 1.0
        self.checked = 0

    def observe(self, hit: bool) -> None:
        miss = 0.0 if hit else 1.0
        self.factor *= math.exp(self.STEP * (miss - self.TARGET_MISS))
        self.factor = min(max(self.factor, self.LOW), self.HIGH)
        self.checked += 1

    def export(self) -> list[float]:
        return [self.factor, self.checked]

    def restore(self, data: Any) -> None:
        if isinstance(data, list) and len(data) == 2:
            self.factor, self.checked = float(data[0]), int(data[1])


class CareSoonCalibration:
    """Moves the care_soon level until its false alarms are as many as its misses.

    P(wait > 15 min) is asked at issue and at every review, so a wait is flagged if the
    chance passed the level *once*: with a fixed level of 1/2 the flags are right about 7 times
    in 10 and catch every long wait (the estimate is re-read 30 times in 15 minutes; one
    unlucky reading is enough). Each wait that ends teaches: a flag on a wait that did not
    pass the threshold raises the level, a long wait never flagged lowers it, by equal steps
    in log-odds, so the hall settles where precision equals recall. The configured level,
    shifted by :attr:`PRIOR_SHIFT`, is the start.
    """

    STEP = 0.02
    PRIOR_ERRORS = 5
    LOW, HIGH = -2.0, 5.0
    """The learned shift in log-odds: the level stays within about [0.12, 0.99] of a 1/2 start."""

    PRIOR_SHIFT = 2.0
    """Where the calibration starts: a configured 1/2 starts at 0.88. Measured: on month-end days
    of the project's simulator the shift settles at 1.9 after the first day and 2.6-2.8 after
    three to four (a new hall's first flags otherwise come at 1/2, before any wait has ended)."""

    def __init__(self) -> None:
        self.shift = self.PRIOR_SHIFT
        self.checked = 0
        """False alarms and misses seen."""
        self._level_for: tuple[float, float] | None = None
        self._level = 0.0

    def level(self, configured: float) -> float:
        """The level to raise care_soon at, from the configured one (0 keeps care_soon off)."""
        if configured <= 0.0 or self.shift == 0.0:
            return configured
        if configured >= 1.0:
            return 1.0
        # Asked for every waiting ticket at every review; it changes only as waits end.
        if self._level_for != (configured, self.shift):
            odds = math.log(configured / (1.0 - configured)) + self.shift
            self._level_for, self._level = (configured, self.shift), 1.0 / (1.0 + math.exp(-odds))
        return self._level

    def observe(self, *, flagged: bool, late: bool) -> None:
        if flagged == late:
            return
        # Large steps while little is known (a new hall learns within its first busy morning),
        # then STEP: the average of the first ~45 errors, then a slow drift.
        step = max(self.STEP, 1.0 / (self.PRIOR_ERRORS + self.checked))
        self.shift = min(self.HIGH, max(self.LOW, self.shift + (step if flagged else -step)))
        self.checked += 1

    def export(self) -> list[float]:
        return [self.shift, self.checked]

    def restore(self, data: Any) -> None:
        if isinstance(data, list) and len(data) == 2:
            self.shift, self.checked = float(data[0]), int(data[1])


@dataclass(slots=True)
class Learned:
    """Everything learned from served tickets, in one place for snapshots."""

    service_times: ServiceTimes
    no_shows: NoShows
    window_speeds: WindowSpeeds
    ranges: RangeCalibration = field(default_factory=RangeCalibration)
    care_soon: CareSoonCalibration = field(default_factory=CareSoonCalibration)

    def served(self, service: str, window: str | None, duration_s: float, waited_s: float | None = None) -> None:
        """Learn from one called -> served (or called -> transferred) duration, after ``waited_s`` of wait."""
        factor = self.window_speeds.factor(window) if window is not None else 1.0
        if window is not None:
            self.window_speeds.observe(window, duration_s, self.service_times.mean(service))
        self.service_times.observe(service, duration_s, factor)
        self.no_shows.observe(came=True, waited_s=waited_s)

    def absent(self, window_time_s: float | None, waited_s: float | None = None) -> None:
        self.no_shows.observe(came=False, window_time_s=window_time_s, waited_s=waited_s)

    def absent_ratio(self, cost_s: float, waited_s: float) -> float:
        """How the window time ``cost_s`` of a ticket (as :meth:`window_cost_s` counts it, at the hall's
        overall no-show share) changes for one that will have waited ``waited_s`` at its call: below 1
        where long waits lose holders."""
        no_shows = self.no_shows
        p, q, absent = no_shows.share, no_shows.share_after(waited_s), no_shows.cost_s
        if cost_s <= 0.0 or p >= 1.0:
            return 1.0
        service = (cost_s - p * absent) / (1.0 - p)
        return max(0.0, (1.0 - q) * service + q * absent) / cost_s

    def window_cost_s(self, service: str) -> float:
        """Expected window time of one waiting ticket: its service, or the cost of a no-show."""
        p = self.no_shows.share
        return (1.0 - p) * self.service_times.mean(service) + p * self.no_shows.cost_s

    def export(self) -> dict[str, Any]:
        return {**self.service_times.export(), "no_shows": self.no_shows.export(),
                "window_speeds": self.window_speeds.export(), "ranges": self.ranges.export(),
                "care_soon": self.care_soon.export()}

    def restore(self, data: Mapping[str, Any]) -> None:
        self.service_times.restore(data)
        self.no_shows.restore(data.get("no_shows", {}))
        self.window_speeds.restore(data.get("window_speeds", {}))
        self.ranges.restore(data.get("ranges"))
        self.care_soon.restore(data.get("care_soon"))
