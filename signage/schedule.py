"""When a promotion may play: weekdays, hours (overnight too) and dates, read and checked (pure)."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime, time, timedelta
from typing import Any

from signage.fields import FieldReader


__all__ = ["Schedule", "ALWAYS", "parse_schedule", "WEEKDAYS"]

WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
"""Weekday names as written in playlist.yaml (first three letters, any case) -> 0 = Monday."""

HOURS_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
FIELDS = ("weekdays", "hours", "from", "until")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    """When a slide may play, in the hall's local time; every part is optional.

    Attributes:
        weekdays: allowed days, 0 = Monday … 6 = Sunday; None for every day.
        hours: (start, end) windows; end <= start means the window runs past
            midnight, and its after-midnight part belongs to the day it started
            (a Friday 22:00–02:00 slide plays early Saturday, not early Friday).
        start: first date (inclusive); end: last date (inclusive).
    """

    weekdays: frozenset[int] | None = None
    hours: tuple[tuple[time, time], ...] = ()
    start: date | None = None
    end: date | None = None

    def _day_ok(self, day: date) -> bool:
        if self.weekdays is not None and day.weekday() not in self.weekdays:
            return False
        if self.start is not None and day < self.start:
            return False
        if self.end is not None and day > self.end:
            return False
        return True

    def active(self, now: datetime) -> bool:
        """Return whether the schedule allows playing at local time ``now``."""
        today, t = now.date(), now.time().replace(tzinfo=None)
        if not self.hours:
            return self._day_ok(today)
        for start, end in self.hours:
            if start < end:
                if start <= t < end and self._day_ok(today):
                    return True
            else:  # overnight window
                if t >= start and self._day_ok(today):
                    return True
                if t < end and self._day_ok(today - timedelta(days=1)):
                    return True
        return False


ALWAYS = Schedule()


def _date(r: FieldReader, value: object, field: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):  # YAML reads 2027-02-05 10:00 as a timestamp: a day compares to no time
        raise r.error(field, f"expected a date YYYY-MM-DD without a time, got {value.isoformat(' ')}")
    if isinstance(value, date):  # YAML reads an unquoted 2027-02-05 as a date already
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise r.error(field, f"expected a date YYYY-MM-DD, got {value!r}") from None


def _hours(r: FieldReader, value: object, field: str) -> tuple[tuple[time, time], ...]:
    hours = []
    for i, h in enumerate([value] if isinstance(value, str) else r.seq(value, field)):
        m = HOURS_RE.match(str(h))
        if not m or int(m[1]) > 24 or int(m[3]) > 24 or int(m[2]) > 59 or int(m[4]) > 59:
            raise r.error(f"{field}[{i}]", f"expected HH:MM-HH:MM, got {h!r}")
        # "00:00-24:00" gives start == end: an overnight window that covers the whole day.
        hours.append((time(int(m[1]) % 24, int(m[2])), time(int(m[3]) % 24, int(m[4]))))
    return tuple(hours)


def parse_schedule(r: FieldReader, value: Any, field: str) -> Schedule:
    """Return the schedule written at ``field`` (None: always).

    Raises:
        ContentError: an unknown key, a weekday, an hours range or a date that cannot be read.
    """
    d = r.mapping(value, field)
    unknown = set(d) - set(FIELDS)
    if unknown:
        raise r.error(f"{field}.{sorted(unknown)[0]}", "unknown schedule field (use weekdays, hours, from, until)")
    weekdays = None
    if d.get("weekdays") is not None:
        days = set()
        for i, w in enumerate(r.seq(d["weekdays"], f"{field}.weekdays")):
            key = str(w).strip().lower()[:3]
            if key not in WEEKDAYS:
                raise r.error(f"{field}.weekdays[{i}]", f"not a weekday: {w!r} (use mon … sun)")
            days.add(WEEKDAYS[key])
        weekdays = frozenset(days)
    hours = _hours(r, d.get("hours"), f"{field}.hours")
    start = _date(r, d.get("from"), f"{field}.from")
    end = _date(r, d.get("until"), f"{field}.until")
    if start and end and end < start:
        raise r.error(f"{field}.until", f"{end} is before from: {start}")
    return Schedule(weekdays=weekdays, hours=hours, start=start, end=end)
