"""``GET /api/report``: one business day per hall and in total, from each hall's own replayed day.

A day's figures come from the hall the day's records build (the same pure hall), so they are the
hall's own counts. A past day is replayed from the store: the snapshot before it, its records, up
to the snapshot that closed it (whose ``day`` names it).
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from dataclasses import dataclass, field
from typing import Any

from ..alerts import AlertKind
from ..hall import Hall


__all__ = ["Day", "COLUMNS", "OVER_S", "to_csv"]

OVER_S = 15 * 60
"""The share over 15 minutes, as /api/halls and the hall's own report count it."""
CARE = (AlertKind.CARE_15, AlertKind.CARE_30)

COLUMNS = ("hall_id", "name", "name_en", "date", "tickets", "served", "no_shows", "mean_wait_s", "p90_wait_s",
           "share_over_15", "care_alerts_raised", "care_alerts_acknowledged", "median_time_to_ack_s")


@dataclass
class Day:
    """What a day's figures are made of; days add up (waits pooled, not the halls' means averaged)."""

    waits: list[float] = field(default_factory=list)
    """Each called customer's first wait, s."""
    acks: list[float] = field(default_factory=list)
    """Each acknowledged care alert's time from raised to acknowledged, s."""
    counts: dict[str, int] = field(default_factory=dict)
    care_raised: int = 0

    @classmethod
    def of(cls, hall: Hall) -> Day:
        care = [a for a in hall.alerts.values() if a.kind in CARE]
        return cls([t.first_wait_s for t in hall.tickets.values() if t.first_wait_s is not None],
                   [(a.acknowledged_at - a.raised_at).total_seconds() for a in care if a.acknowledged_at is not None],
                   dict(hall.counts), len(care))

    def add(self, other: Day) -> None:
        self.waits += other.waits
        self.acks += other.acks
        self.care_raised += other.care_raised
        for key, value in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + value

    def figures(self) -> dict[str, Any]:
        waits = self.waits
        return {
            "tickets": self.counts.get("issued", 0), "served": self.counts.get("served", 0),
            "no_shows": self.counts.get("no_show", 0),
            "mean_wait_s": int(sum(waits) / len(waits)) if waits else None, "p90_wait_s": _p90(waits),
            "share_over_15": round(sum(1 for w in waits if w >= OVER_S) / len(waits), 4) if waits else None,
            "care_alerts_raised": self.care_raised, "care_alerts_acknowledged": len(self.acks),
            "median_time_to_ack_s": int(statistics.median(self.acks)) if self.acks else None,
        }


def _p90(values: list[float]) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return int(ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)])


def to_csv(halls: list[dict[str, Any]], total: dict[str, Any], date: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in [*halls, {"hall_id": "total", "date": date, **total}]:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in COLUMNS])
    return out.getvalue()
