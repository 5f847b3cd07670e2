"""Promotion playlist: slides with durations, schedules and priorities; slide_at(now) (pure)."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from datetime import date, datetime, time, timedelta


__all__ = ["Schedule", "Slide", "SlideAt", "Playlist"]


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


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Slide:
    """One promotion: an image or a text card shown for ``duration_s`` seconds."""

    id: str
    kind: str  # "image" or "text"
    duration_s: float
    priority: int = 0
    schedule: Schedule = ALWAYS
    image: str | None = None
    title: str = ""
    title_en: str = ""
    body: str = ""
    body_en: str = ""
    accent: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class SlideAt:
    """The slide playing at some time, when it started and when the next one is due."""

    slide: Slide
    started: datetime
    ends: datetime
    next: Slide


class Playlist:
    """An ordered set of slides; the active ones of the highest priority rotate.

    Priority is a tier, not a weight: a priority-10 notice that is in schedule
    replaces the normal rotation until its schedule ends.
    """

    def __init__(self, slides: Sequence[Slide]) -> None:
        self.slides = tuple(slides)

    def active(self, now: datetime, exclude: Collection[str] = ()) -> list[Slide]:
        """Return the slides that rotate at ``now``, ``exclude`` (slide ids) left out."""
        live = [s for s in self.slides if s.id not in exclude and s.schedule.active(now)]
        if not live:
            return []
        top = max(s.priority for s in live)
        return [s for s in live if s.priority == top]

    def slide_at(self, now: datetime, exclude: Collection[str] = ()) -> SlideAt | None:
        """Return the slide playing at ``now`` or None when no slide is active.

        The rotation is anchored to the epoch, so every screen of a hall shows
        the same slide at the same time and a restart resumes in place.
        """
        live = self.active(now, exclude)
        if not live:
            return None
        cycle = sum(s.duration_s for s in live)
        pos = now.timestamp() % cycle
        for i, slide in enumerate(live):
            if pos < slide.duration_s:
                started = now - timedelta(seconds=pos)
                return SlideAt(slide, started, started + timedelta(seconds=slide.duration_s), live[(i + 1) % len(live)])
            pos -= slide.duration_s
        # Float rounding at the very end of the cycle: wrap to the first slide.
        return SlideAt(live[0], now, now + timedelta(seconds=live[0].duration_s), live[1 % len(live)])
