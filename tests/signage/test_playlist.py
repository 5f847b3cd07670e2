"""signage/playlist.py: slides rotate by duration, the highest active priority takes over."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from lobby_helpers import CONTENT, TZ

from signage.content_files import load_playlist
from signage.errors import ContentError
from signage.playlist import Playlist, Slide, parse_playlist
from signage.schedule import Schedule


def test_playlist_rotates_by_duration_and_priority_takes_over():
    """Slides rotate by their durations; an active higher-priority slide replaces the rotation."""
    a = Slide(id="a", kind="text", duration_s=10, title="A")
    b = Slide(id="b", kind="text", duration_s=5, title="B")
    urgent = Slide(id="u", kind="text", duration_s=7, title="U", priority=5, schedule=Schedule(hours=((time(12), time(13)),)))
    p = Playlist([a, b, urgent])
    base = datetime.fromtimestamp(15 * 100_000, TZ).replace(hour=9)
    base = base - timedelta(seconds=base.timestamp() % 15)
    seq = [p.slide_at(base + timedelta(seconds=t)).slide.id for t in (0, 9, 10, 14, 15)]
    assert seq == ["a", "a", "b", "b", "a"]
    assert p.slide_at(base.replace(hour=12, minute=30)).slide.id == "u"
    assert p.slide_at(base, exclude={"a"}).slide.id == "b"
    assert Playlist([urgent]).slide_at(base) is None


def test_sample_playlist_images_exist():
    """Every image of the sample playlist is a file in content/."""
    for s in load_playlist(CONTENT).slides:
        if s.image:
            assert (CONTENT / s.image).is_file(), s.image
    json.dumps([s.id for s in load_playlist(CONTENT).slides])
    assert Path(CONTENT / "fonts" / "OFL.txt").is_file()


def test_playlist_yaml_read_into_slides():
    """Ids default to their position, durations to default_duration_s; a picture makes an image slide."""
    playlist = parse_playlist({"default_duration_s": 12, "slides": [
        {"image": "images/a.png"},
        {"id": "card", "title": "全家共享", "duration_s": 5, "priority": 2, "accent": "#ffba1e",
         "schedule": {"weekdays": ["mon"]}},
    ]})
    a, card = playlist.slides
    assert (a.id, a.kind, a.duration_s, a.image, a.priority) == ("slide-1", "image", 12.0, "images/a.png", 0)
    assert (card.id, card.kind, card.duration_s, card.priority, card.accent) == ("card", "text", 5.0, 2, "#ffba1e")
    assert card.schedule == Schedule(weekdays=frozenset({0}))
    assert parse_playlist(None).slides == ()


@pytest.mark.parametrize(
    ("slides", "field", "message"),
    [
        ([{"id": "a"}], "slides[0]", "a slide needs an image or a title"),
        ([{"title": "a", "priority": "high"}], "slides[0].priority", "expected an integer, got 'high'"),
        ([{"title": "a", "duration_s": 0}], "slides[0].duration_s", "must be at least 1, got 0"),
        ([{"id": "a", "title": "a"}, {"id": "a"}], "slides[1].id", "duplicate slide id 'a'"),
        ([{"title": "a", "schedule": {"hours": "soon"}}], "slides[0].schedule.hours[0]", "expected HH:MM-HH:MM"),
    ],
)
def test_playlist_errors_name_the_field(slides, field, message):
    """A slide that cannot be shown names its field in playlist.yaml."""
    with pytest.raises(ContentError) as info:
        parse_playlist({"slides": slides})
    assert (info.value.file, info.value.field) == ("signage/playlist.yaml", field)
    assert message in info.value.message
