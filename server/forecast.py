"""When to come: the typical wait per weekday and hour, learned from the hall's past days.

Each finished day teaches, per hour of its local day (by the hour a ticket was taken), the
median wait to the first call, the share of waits over 15 minutes and the number of tickets.
Each (weekday, hour) cell folds its days like the arrival profile does: the first days equally,
then each new day by DAY_WEIGHT, so a hall that changed its staffing is followed within weeks.

The quiet hours are the cells whose typical wait is in the lowest third of the week's learned
cells (and at most QUIET_MAX_S): relative, so a busy hall still learns when it is least busy.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any


__all__ = ["Cell", "QuietRun", "WaitHistory", "DAY_WEIGHT", "LONG_S", "MIN_DAYS", "QUIET_MAX_S",
           "forecast_json", "quiet_phrase", "quiet_runs"]

DAY_WEIGHT = 0.3
MIN_DAYS = 2
"""A cell is shown and used for advice once this many days taught it."""

LONG_S = 15 * 60
"""The wait the share counts (the hall's first care threshold by default)."""

QUIET_MAX_S = 15 * 60
"""An hour whose typical wait is longer than this is never called quiet, whatever its rank."""

LOOKAHEAD_DAYS = 7
WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(slots=True)
class Cell:
    """One weekday's hour, over the days that taught it."""

    wait_s: float = 0.0
    """The typical (median) wait to the first call of a ticket taken in this hour."""
    over_share: float = 0.0
    tickets: float = 0.0
    days: int = 0

    def fold(self, wait_s: float, over_share: float, tickets: int) -> None:
        self.days += 1
        weight = max(1.0 / self.days, DAY_WEIGHT)
        self.wait_s += weight * (wait_s - self.wait_s)
        self.over_share += weight * (over_share - self.over_share)
        self.tickets += weight * (tickets - self.tickets)


class WaitHistory:
    """The learned cells of one hall, keyed by (weekday 0 = Monday, hour of the local day)."""

    def __init__(self, long_s: float = LONG_S) -> None:
        self.long_s = long_s
        self.cells: dict[tuple[int, int], Cell] = {}
        self.days = 0
        self.last_day: date | None = None

    def add_day(self, day: date, waits: Iterable[tuple[float, float]]) -> None:
        """Teach one finished day: ``(local second the ticket was taken, its wait to the first call)``.

        A day is taught once; a day with no waits (closed) teaches nothing.
        """
        if self.last_day is not None and day <= self.last_day:
            return
        by_hour: dict[int, list[float]] = {}
        for at_s, wait_s in waits:
            by_hour.setdefault(min(23, max(0, int(at_s // 3600))), []).append(max(0.0, wait_s))
        if not by_hour:
            return
        self.days += 1
        self.last_day = day
        for hour, hour_waits in by_hour.items():
            over = sum(1 for w in hour_waits if w > self.long_s) / len(hour_waits)
            self.cells.setdefault((day.weekday(), hour), Cell()).fold(statistics.median(hour_waits), over,
                                                                      len(hour_waits))

    def trusted(self) -> dict[tuple[int, int], Cell]:
        return {key: cell for key, cell in self.cells.items() if cell.days >= MIN_DAYS}

    def quiet_cells(self) -> set[tuple[int, int]]:
        """The trusted cells in the lowest third by typical wait (and no longer than QUIET_MAX_S)."""
        trusted = self.trusted()
        if not trusted:
            return set()
        waits = sorted(cell.wait_s for cell in trusted.values())
        bar = min(QUIET_MAX_S, waits[(len(waits) - 1) // 3])
        return {key for key, cell in trusted.items() if cell.wait_s <= bar}

    def export(self) -> dict[str, Any]:
        return {"days": self.days, "last_day": self.last_day.isoformat() if self.last_day else None,
                "long_s": self.long_s,
                "cells": [[wd, hour, c.wait_s, c.over_share, c.tickets, c.days]
                          for (wd, hour), c in sorted(self.cells.items())]}

    @classmethod
    def restore(cls, data: Mapping[str, Any]) -> WaitHistory:
        history = cls(float(data.get("long_s", LONG_S)))
        history.days = int(data.get("days", 0))
        last = data.get("last_day")
        history.last_day = date.fromisoformat(last) if last else None
        for wd, hour, wait_s, over, tickets, days in data.get("cells", []):
            history.cells[(int(wd), int(hour))] = Cell(float(wait_s), float(over), float(tickets), int(days))
        return history


@dataclass(frozen=True, slots=True)
class QuietRun:
    """Consecutive quiet hours of one coming day, ``from_hour`` to ``to_hour`` (exclusive)."""

    day: date
    from_hour: int
    to_hour: int
    wait_s: float
    """The longest typical wait among its hours."""


def quiet_runs(history: WaitHistory, now: datetime, *, limit: int = 3) -> list[QuietRun]:
    """The next quiet stretches from ``now`` (hall-local) over the coming week, soonest first.

    The hour under way counts only in its first half: by the time one comes, it is gone.
    """
    quiet = history.quiet_cells()
    cells = history.cells
    runs: list[QuietRun] = []
    for offset in range(LOOKAHEAD_DAYS + 1):
        day = now.date() + timedelta(days=offset)
        first = 0
        if offset == 0:
            first = now.hour + (1 if now.minute >= 30 else 0)
        start: int | None = None
        for hour in range(first, 25):
            is_quiet = hour < 24 and (day.weekday(), hour) in quiet
            if is_quiet and start is None:
                start = hour
            elif not is_quiet and start is not None:
                runs.append(QuietRun(day, start, hour, max(cells[(day.weekday(), h)].wait_s for h in range(start, hour))))
                start = None
                if len(runs) == limit:
                    return runs
    return runs


def quiet_phrase(run: QuietRun, today: date) -> dict[str, str]:
    """"明天 14:00–16:00" / "tomorrow 14:00–16:00": the same words on the phone and the lobby ticker."""
    delta = (run.day - today).days
    if delta == 0:
        zh, en = "今天", "today"
    elif delta == 1:
        zh, en = "明天", "tomorrow"
    else:
        zh, en = WEEKDAYS_ZH[run.day.weekday()], f"on {WEEKDAYS_EN[run.day.weekday()]}"
    hours = f"{run.from_hour:02d}:00–{run.to_hour:02d}:00"
    return {"zh": f"{zh} {hours}", "en": f"{en} {hours}"}


def forecast_json(history: WaitHistory, now: datetime) -> dict[str, Any]:
    """``GET /api/forecast``: every learned cell, and the next quiet hours from ``now`` (hall-local)."""
    quiet = history.quiet_cells()
    return {
        "at": now.isoformat(timespec="seconds"),
        "days": history.days,
        "min_days": MIN_DAYS,
        "long_s": int(history.long_s),
        "cells": [{"weekday": wd, "hour": hour, "typical_wait_s": int(round(c.wait_s)),
                   "over_long_share": round(c.over_share, 3), "tickets": round(c.tickets, 1), "days": c.days,
                   "quiet": (wd, hour) in quiet}
                  for (wd, hour), c in sorted(history.cells.items())],
        "quiet": [{"date": r.day.isoformat(), "weekday": r.day.weekday(), "from": f"{r.from_hour:02d}:00",
                   "to": f"{r.to_hour:02d}:00", "typical_wait_s": int(round(r.wait_s)),
                   "text": quiet_phrase(r, now.date())}
                  for r in quiet_runs(history, now)],
    }
