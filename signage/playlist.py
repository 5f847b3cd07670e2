"""Promotion playlist: slides with durations, schedules and priorities, read and checked; slide_at(now) (pure)."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from signage.fields import FieldReader
from signage.schedule import ALWAYS, Schedule, parse_schedule


__all__ = ["Slide", "SlideAt", "Playlist", "parse_playlist", "PLAYLIST_FILE"]

PLAYLIST_FILE = "signage/playlist.yaml"
"""Where the playlist is, relative to the content directory; errors name the file so."""




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


def _slide(r: FieldReader, item: Any, field: str, sid: str, default_s: float) -> Slide:
    d = r.mapping(item, field)
    image = r.text(d, "image", field) or None
    title = r.text(d, "title", field)
    if image is None and not title:
        raise r.error(field, "a slide needs an image or a title")
    priority = r.integer(d, "priority", field, 0)
    return Slide(
        id=sid,
        kind="image" if image else "text",
        duration_s=r.number(d, "duration_s", field, default_s, minimum=1),
        priority=priority,
        schedule=parse_schedule(r, d.get("schedule"), f"{field}.schedule"),
        image=image,
        title=title,
        title_en=r.text(d, "title_en", field),
        body=r.text(d, "body", field),
        body_en=r.text(d, "body_en", field),
        accent=r.text(d, "accent", field) or None,
    )


def parse_playlist(data: Any, file: str = PLAYLIST_FILE) -> Playlist:
    """Return the playlist in decoded playlist.yaml ``data`` (None, an empty file: no slides).

    Image paths stay relative to the content directory; whether a picture exists is the
    screen's business when it loads it, so a missing file skips one slide.

    Raises:
        ContentError: a field is invalid; the message names ``file`` and the field.
    """
    r = FieldReader(file)
    d = r.mapping(data, "(top level)")
    default_s = r.number(d, "default_duration_s", "", 10.0, minimum=1)
    slides = []
    ids: set[str] = set()
    for i, item in enumerate(r.seq(d.get("slides"), "slides")):
        field = f"slides[{i}]"
        sid = r.text(r.mapping(item, field), "id", field) or f"slide-{i + 1}"
        if sid in ids:
            raise r.error(f"{field}.id", f"duplicate slide id {sid!r}")
        ids.add(sid)
        slides.append(_slide(r, item, field, sid, default_s))
    return Playlist(slides)
