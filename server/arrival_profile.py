"""How many customers come at each time of day: learned from earlier days, for staffing ahead.

The last 15 minutes' arrival rate sees a surge only once the queue has started to build, and
at opening it sees nobody at all. Most halls' days have the same shape (the morning rush, the
lunch peak), so per 15-minute slot of the local day the profile keeps the mean number of
tickets issued, over past days, like the window plan. Today's volume may differ (month end,
a holiday eve): the forecast is scaled by today's arrivals so far over the profile's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


__all__ = ["ArrivalProfile"]

SLOT_S = 900
SLOTS = 24 * 3600 // SLOT_S

MIN_DAYS = 2
"""The profile is trusted after this many days with arrivals."""
DAY_WEIGHT = 0.3
"""After the first days, each new day moves the profile by this much."""
SCALE_PRIOR = 30.0
"""Today's scale starts at 1 and moves as if this many arrivals had been expected already,
so one busy quarter-hour after opening does not double the forecast."""
SCALE_RANGE = (0.5, 2.0)


class ArrivalProfile:
    """Mean tickets issued per 15-minute slot of the local day, over past days."""

    def __init__(self) -> None:
        self._learned = [0.0] * SLOTS
        self._days = 0
        self._today = [0] * SLOTS
        self._mix: dict[str, float] = {}
        """Share of tickets per service over past days (folded like the slots)."""
        self._mix_today: dict[str, int] = {}
        self._before: list[float] | None = None
        """Arrivals the profile expects before each slot, from midnight: today's scale asks at every review."""

    @property
    def learned_days(self) -> int:
        return self._days

    def issued(self, at_s: float, service: str | None = None) -> None:
        """Count one ticket issued at local second ``at_s`` of today (of ``service``, for the mix)."""
        self._today[_slot(at_s)] += 1
        if service is not None:
            self._mix_today[service] = self._mix_today.get(service, 0) + 1

    def end_day(self) -> None:
        """Fold today into the profile; a day nobody came teaches nothing."""
        if any(self._today):
            self._days += 1
            weight = max(1.0 / self._days, DAY_WEIGHT)
            for i, count in enumerate(self._today):
                self._learned[i] += weight * (count - self._learned[i])
            self._before = None
            total = sum(self._mix_today.values())
            if total:
                mix_weight = 1.0 if not self._mix else weight
                for service in set(self._mix) | set(self._mix_today):
                    old = self._mix.get(service, 0.0)
                    self._mix[service] = old + mix_weight * (self._mix_today.get(service, 0) / total - old)
        self._today = [0] * SLOTS
        self._mix_today = {}

    @property
    def mix(self) -> dict[str, float]:
        """Past days' share of tickets per service (empty before a day with services is learned)."""
        return dict(self._mix)

    def expected_per_s(self, now_s: float, from_s: float, to_s: float) -> float | None:
        """The arrival rate expected over ``[from_s, to_s)`` (from_s >= now_s), scaled to today's volume.

        Unlike :meth:`forecast_per_s` this is given from the first learned day (callers weigh it
        by :attr:`learned_days`), and it knows what the current slot has already brought: its
        expected count less today's arrivals in it, spread over the rest of the slot. A crowd at
        the door at opening is then not expected a second time over the next quarter-hour.
        None before any day is learned.
        """
        if self._days < 1 or to_s <= from_s:
            return None
        scale = self._scale(now_s)
        slot = _slot(now_s)
        slot_end = float((slot + 1) * SLOT_S)
        total = 0.0
        if from_s < slot_end:
            left = max(0.0, self._learned[slot] * scale - self._today[slot])
            rest = slot_end - now_s
            if rest > 0:
                total += left * (min(to_s, slot_end) - from_s) / rest
        total += self._expected(max(from_s, slot_end), to_s) * scale
        return total / (to_s - from_s)

    def forecast_per_s(self, now_s: float, ahead_s: float) -> float | None:
        """The expected arrival rate over ``[now_s, now_s + ahead_s)``; None before it is trusted."""
        if self._days < MIN_DAYS or ahead_s <= 0:
            return None
        return self._expected(now_s, now_s + ahead_s) / ahead_s * self._scale(now_s)

    def _scale(self, now_s: float) -> float:
        """Today's volume against the profile's, so far today."""
        expected = self._expected_since_midnight(now_s)
        seen = sum(self._today[:_slot(now_s) + 1])
        ratio = (seen + SCALE_PRIOR) / (expected + SCALE_PRIOR)
        return min(SCALE_RANGE[1], max(SCALE_RANGE[0], ratio))

    def _expected(self, from_s: float, to_s: float) -> float:
        """Arrivals the profile expects between two local seconds (uniform within a slot)."""
        total = 0.0
        t = max(0.0, from_s)
        end = min(float(SLOTS * SLOT_S), to_s)
        while t < end:
            i = int(t // SLOT_S)
            slot_end = (i + 1) * SLOT_S
            total += self._learned[i] * (min(end, slot_end) - t) / SLOT_S
            t = slot_end
        return total

    def _expected_since_midnight(self, to_s: float) -> float:
        """``_expected(0.0, to_s)``, summed in the same order, from the slots' running totals."""
        before = self._before
        if before is None:
            before = self._before = [0.0]
            for expected in self._learned:
                before.append(before[-1] + expected * SLOT_S / SLOT_S)
        to_s = min(float(SLOTS * SLOT_S), to_s)
        if to_s <= 0.0:
            return 0.0
        i = int(to_s // SLOT_S)
        total = before[i]
        if to_s > i * SLOT_S:
            total += self._learned[i] * (to_s - i * SLOT_S) / SLOT_S
        return total

    def export(self) -> dict[str, Any]:
        """The profile plus today's record, so a restart mid-day folds the same day."""
        return {"days": self._days, "learned": list(self._learned), "today": list(self._today),
                "mix": dict(self._mix), "mix_today": dict(self._mix_today)}

    def restore(self, data: Mapping[str, Any]) -> None:
        learned = [float(x) for x in data.get("learned", [])]
        today = [int(x) for x in data.get("today", [])]
        self._days = int(data.get("days", 0))
        self._learned = learned if len(learned) == SLOTS else [0.0] * SLOTS
        self._today = today if len(today) == SLOTS else [0] * SLOTS
        self._mix = {str(k): float(v) for k, v in dict(data.get("mix", {})).items()}
        self._mix_today = {str(k): int(v) for k, v in dict(data.get("mix_today", {})).items()}
        self._before = None


def _slot(at_s: float) -> int:
    return min(SLOTS - 1, max(0, int(at_s // SLOT_S)))
