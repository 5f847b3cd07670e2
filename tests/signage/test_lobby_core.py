"""Level 1: the lobby screen's pure core (no pygame)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from lobby_helpers import CONTENT, REPO, T0, TZ, call, state_msg

from signage.calls import BannerQueue
from signage.content_files import ContentWatcher, load_content, load_playlist, load_screen
from signage.errors import ContentError, InvalidState
from signage.feed import backoff_delays, normalize_url
from signage.playlist import Playlist, Slide
from signage.schedule import Schedule
from signage.state import parse_message, parse_state
from signage.view import build_view, format_wait, ticker_items


PURE = ["signage", "signage.state", "signage.calls", "signage.view", "signage.playlist", "signage.content", "signage.feed", "signage.errors", "signage.cli"]


def test_pure_modules_import_neither_pygame_nor_aiohttp():
    """Importing the pure core (and the CLI module) loads neither pygame nor aiohttp."""
    code = "import sys\n" + "".join(f"import {m}\n" for m in PURE) + "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pygame', 'aiohttp')))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_parse_state_reads_the_wire_example_and_ignores_extras():
    """The issue's example message parses; unknown fields are ignored and nulls kept."""
    msg = state_msg(17, busy=True)
    msg["future_field"] = {"x": 1}
    msg["services"][0]["colour"] = "red"
    s = parse_state(msg)
    assert s.seq == 17 and s.hall.name == "幸福路营业厅" and s.busy
    assert s.calls[0].ticket == "A023" and s.calls[2].recall
    complex_ = s.services[2]
    assert complex_.expected_wait_s is None and complex_.expected_wait_range_s is None


def test_unknown_message_types_are_ignored_and_bad_states_rejected():
    """Other message types give None; a display.state without seq raises InvalidState naming the field."""
    assert parse_message({"type": "staff.alert", "x": 1}) is None
    bad = state_msg()
    del bad["seq"]
    with pytest.raises(InvalidState, match="seq"):
        parse_message(bad)


def _state(calls, seq=1, at=T0):
    return parse_state(state_msg(seq, at, calls))


def test_three_calls_at_once_each_get_the_full_banner_time():
    """Three calls arriving in one state are shown one after another, each for the whole banner time."""
    q = BannerQueue(8)
    q.receive_state(_state([call("A003", "3", T0), call("A002", "2", T0), call("A001", "1", T0)]))
    shown = []
    t = 100.0
    while t < 140:
        b = q.current(t)
        if b is not None and (not shown or shown[-1][0] != b.call.ticket):
            shown.append((b.call.ticket, b.shown_at, b.until))
        t += 0.25
    assert [s[0] for s in shown] == ["A001", "A002", "A003"]  # oldest first
    assert all(until - start == 8 for _, start, until in shown)
    assert shown[1][1] >= shown[0][2] and shown[2][1] >= shown[1][2]


def test_banner_clock_starts_when_first_shown_not_when_received():
    """A banner queued long ago still gets its full time once it reaches the screen."""
    q = BannerQueue(5)
    q.receive_state(_state([call("A001", "1", T0)]))
    b = q.current(1000.0)
    assert b is not None and b.until == 1005.0
    assert q.current(1004.9) is b and q.current(1005.0) is None


def test_recall_is_a_new_banner_and_marked():
    """A recall of an already called ticket is announced again, marked as a recall."""
    q = BannerQueue(8)
    first = call("A001", "1", T0)
    q.receive_state(_state([first]))
    assert q.current(0).call.ticket == "A001"
    again = call("A001", "1", T0 + timedelta(minutes=2), recall=True)
    fresh = q.receive_state(_state([again, first], seq=2))
    assert [c.recall for c in fresh] == [True]
    assert q.current(9).call.recall


def test_resync_skips_old_calls_and_never_repeats_a_banner():
    """After a reconnect old calls get no banner, fresh ones do, and nothing is announced twice."""
    q = BannerQueue(8)
    old = call("A001", "1", T0 - timedelta(minutes=5))
    recent = call("A002", "2", T0 - timedelta(seconds=3))
    assert [c.ticket for c in q.receive_state(_state([recent, old]), resync=True)] == ["A002"]
    # Reconnect: the same calls again, plus one that came while offline.
    new = call("A003", "3", T0 + timedelta(seconds=20))
    fresh = q.receive_state(_state([new, recent, old], seq=9, at=T0 + timedelta(seconds=21)), resync=True)
    assert [c.ticket for c in fresh] == ["A003"]


@pytest.mark.parametrize(
    ("waiting", "expected", "rng", "elapsed", "text"),
    [
        (12, 540, (420, 720), 0, ("约 7–12 分钟", "about 7–12 min")),
        (12, 540, (480, 720), 120, ("约 6–10 分钟", "about 6–10 min")),
        (3, 300, None, 0, ("约 5 分钟", "about 5 min")),
        (2, 60, (20, 170), 0, ("3 分钟内", "within 3 min")),
        (1, 30, (10, 50), 0, ("即将叫号", "any moment")),
        (0, None, None, 0, ("无需等待", "no wait")),
        (40, 9000, (8000, 10000), 0, ("超过 2 小时", "over 2 hours")),
        (5, None, None, 0, None),
    ],
)
def test_format_wait(waiting, expected, rng, elapsed, text):
    """Waits are ranges of whole minutes, counted down locally; unknown stays unknown."""
    assert format_wait(waiting, expected, rng, elapsed) == text


def test_view_shows_no_window_open_never_a_number_for_null_estimates():
    """A service nobody serves reads "暂无窗口 / no window open" and is flagged unknown."""
    s = parse_state(state_msg(busy=True))
    v = build_view(s, elapsed_s=0, mono_now=0, wall_now=T0, screen=load_screen(CONTENT))
    row = v.waiting.rows[2]
    assert (row.wait, row.wait_en, row.unknown) == ("暂无窗口", "no window open", True)
    assert v.calls.current.window_zh == "3号窗口" and v.calls.current.window_en == "Window 3"


def test_view_counts_waits_and_clock_down_from_the_last_state():
    """Between states the hall clock advances from `at` and waits shrink by the elapsed time."""
    s = parse_state(state_msg())
    screen = load_screen(CONTENT)
    v0 = build_view(s, elapsed_s=0, mono_now=0, wall_now=T0, screen=screen)
    v1 = build_view(s, elapsed_s=180, mono_now=180, wall_now=T0, screen=screen)
    assert (v0.header.time, v1.header.time) == ("10:15", "10:18")
    assert v0.waiting.rows[0].wait != v1.waiting.rows[0].wait


def test_offline_badge_and_busy_ticker():
    """Offline shows the badge with the time; the busy alert turns the ticker to suggestions."""
    screen = load_screen(CONTENT)
    s = parse_state(state_msg(busy=True))
    v = build_view(s, elapsed_s=0, mono_now=0, wall_now=T0, screen=screen, offline_since=T0.replace(minute=7))
    assert v.header.offline == "离线 / offline since 10:07"
    items = ticker_items(screen, busy=True)
    assert any("建设路218号" in zh for zh, _ in items) and v.ticker.busy
    assert not any("建设路" in zh for zh, _ in ticker_items(screen, busy=False))


def _sched(**kw):
    return Schedule(**kw)


def test_schedule_overnight_window_belongs_to_the_day_it_starts():
    """A Friday 22:00–02:00 window plays Friday night and early Saturday, not early Friday."""
    s = _sched(weekdays=frozenset({4}), hours=((time(22), time(2)),))
    fri = datetime(2026, 11, 27, tzinfo=TZ)  # a Friday
    assert s.active(fri.replace(hour=23))
    assert s.active(fri.replace(hour=1) + timedelta(days=1))
    assert not s.active(fri.replace(hour=1))
    assert not s.active(fri.replace(hour=12))


def test_schedule_date_range_is_inclusive():
    """from/until dates include both ends."""
    s = _sched(start=date(2027, 2, 5), end=date(2027, 2, 12))
    assert s.active(datetime(2027, 2, 5, 0, 0, tzinfo=TZ)) and s.active(datetime(2027, 2, 12, 23, 59, tzinfo=TZ))
    assert not s.active(datetime(2027, 2, 13, 0, 0, tzinfo=TZ))


def test_playlist_rotates_by_duration_and_priority_takes_over():
    """Slides rotate by their durations; an active higher-priority slide replaces the rotation."""
    a = Slide(id="a", kind="text", duration_s=10, title="A")
    b = Slide(id="b", kind="text", duration_s=5, title="B")
    urgent = Slide(id="u", kind="text", duration_s=7, title="U", priority=5, schedule=_sched(hours=((time(12), time(13)),)))
    p = Playlist([a, b, urgent])
    base = datetime.fromtimestamp(15 * 100_000, TZ).replace(hour=9)
    base = base - timedelta(seconds=base.timestamp() % 15)
    seq = [p.slide_at(base + timedelta(seconds=t)).slide.id for t in (0, 9, 10, 14, 15)]
    assert seq == ["a", "a", "b", "b", "a"]
    assert p.slide_at(base.replace(hour=12, minute=30)).slide.id == "u"
    assert p.slide_at(base, exclude={"a"}).slide.id == "b"
    assert Playlist([urgent]).slide_at(base) is None


def test_sample_content_loads():
    """The shipped content directory is valid."""
    c = load_content(CONTENT)
    assert len(c.playlist.slides) >= 4 and c.screen.qr and c.screen.nearby


@pytest.mark.parametrize(
    ("file", "text", "field"),
    [
        ("playlist.yaml", "slides:\n  - id: x\n    title: t\n    duration_s: fast\n", "slides[0].duration_s"),
        ("playlist.yaml", "slides:\n  - id: x\n    title: t\n    schedule: {hours: ['25:00-26:00']}\n", "slides[0].schedule.hours[0]"),
        ("playlist.yaml", "slides:\n  - id: x\n    title: t\n    schedule: {weekdays: [funday]}\n", "slides[0].schedule.weekdays[0]"),
        ("playlist.yaml", "slides:\n  - id: x\n", "slides[0]"),
        ("screen.yaml", "qr:\n  - url: not a url\n    caption: c\n", "qr[0].url"),
        ("screen.yaml", "banner_seconds: 0\n", "banner_seconds"),
        ("screen.yaml", "busy:\n  nearby:\n    - address: x\n", "busy.nearby[0].name"),
        ("screen.yaml", "qr: [\n", "line 2"),
        ("screen.yaml", "banner_seconds: .nan\n", "banner_seconds"),
        ("screen.yaml", "history: .inf\n", "history"),
        ("playlist.yaml", "slides:\n  - {title: t, duration_s: .inf}\n", "slides[0].duration_s"),
        ("playlist.yaml", "slides:\n  - {title: t, schedule: {from: 2027-02-05 10:00:00}}\n", "slides[0].schedule.from"),
    ],
)
def test_content_errors_name_file_and_field(tmp_path, file, text, field):
    """Invalid content raises ContentError whose message names the file and the field."""
    (tmp_path / "signage").mkdir()
    (tmp_path / "signage" / file).write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as info:
        load_content(tmp_path)
    assert info.value.file.endswith(f"signage/{file}") and info.value.field == field
    assert file in str(info.value) and field in str(info.value)


def test_content_watcher_reloads_on_change_and_keeps_last_good(tmp_path):
    """An edit is picked up on poll; a broken edit keeps the previous content."""
    (tmp_path / "signage").mkdir()
    f = tmp_path / "signage" / "screen.yaml"
    f.write_text("banner_seconds: 6\n", encoding="utf-8")
    w = ContentWatcher(tmp_path)
    assert w.content.screen.banner_seconds == 6 and not w.poll()
    f.write_text("banner_seconds: 9\n", encoding="utf-8")
    import os

    os.utime(f, ns=(1, 10**18))
    assert w.poll() and w.content.screen.banner_seconds == 9
    f.write_text("banner_seconds: [\n", encoding="utf-8")
    os.utime(f, ns=(1, 2 * 10**18))
    assert not w.poll() and w.content.screen.banner_seconds == 9 and w.last_error is not None


def test_content_watcher_keeps_last_good_on_a_file_that_is_not_utf8(tmp_path):
    """A screen.yaml saved in another encoding is a ContentError naming the file; the screen keeps its content."""
    (tmp_path / "signage").mkdir()
    f = tmp_path / "signage" / "screen.yaml"
    f.write_text("banner_seconds: 6\n", encoding="utf-8")
    w = ContentWatcher(tmp_path)
    f.write_bytes("tips: [欢迎]\n".encode("gb2312"))
    import os

    os.utime(f, ns=(1, 10**18))
    assert not w.poll() and w.content.screen.banner_seconds == 6
    assert w.last_error is not None and w.last_error.file.endswith("signage/screen.yaml")
    assert "cannot read" in str(w.last_error)


def test_feed_url_and_backoff():
    """ws://HOST:PORT gets /ws/display; reconnect delays grow with jitter up to the cap."""
    assert normalize_url("ws://h:8080") == "ws://h:8080/ws/display"
    assert normalize_url("ws://h:8080/x", token="t") == "ws://h:8080/x?token=t"
    d = backoff_delays(0.5, 2, 8, random.Random(3))
    delays = [next(d) for _ in range(8)]
    assert 0.25 <= delays[0] <= 0.5 and all(4 <= x <= 8 for x in delays[5:])
    assert len(set(delays)) == len(delays)


def test_sample_playlist_images_exist():
    """Every image of the sample playlist is a file in content/."""
    for s in load_playlist(CONTENT).slides:
        if s.image:
            assert (CONTENT / s.image).is_file(), s.image
    json.dumps([s.id for s in load_playlist(CONTENT).slides])
    assert Path(CONTENT / "fonts" / "OFL.txt").is_file()


def test_state_without_hall_time_is_shown_and_announces_nothing_on_resync():
    """A state with at=null (event clock, no event yet) parses; the view uses the wall clock; no banner on resync."""
    msg = state_msg(1, calls=[call("A001", "1", T0)])
    msg["at"] = None
    msg["hall"]["date"] = None
    s = parse_state(msg)
    assert s.at is None
    q = BannerQueue(8)
    assert q.receive_state(s, resync=True) == []
    v = build_view(s, elapsed_s=5, mono_now=0, wall_now=T0, screen=load_screen(CONTENT))
    assert v.header.time == "10:15"
