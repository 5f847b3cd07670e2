"""signage/view.py: the texts of every zone at one instant (waits, clock, offline badge, ticker)."""

from __future__ import annotations

import pytest
from lobby_helpers import CONTENT, T0, state_msg

from signage.content_files import load_screen
from signage.state import parse_state
from signage.view import build_view, format_wait, ticker_items, wait_level


@pytest.mark.parametrize(
    ("waiting", "expected", "rng", "elapsed", "text"),
    [
        (12, 540, (420, 720), 0, ("约 7–12 分钟", "about 7–12 min")),
        (12, 540, (480, 720), 120, ("约 6–10 分钟", "about 6–10 min")),
        (3, 300, None, 0, ("约 5 分钟", "about 5 min")),
        (2, 60, (20, 170), 0, ("3 分钟内", "within 3 min")),
        (1, 30, (10, 50), 0, ("即将叫号", "any moment")),
        (0, 300, (200, 400), 0, ("无需等待", "no wait")),
        (0, None, None, 0, None),  # nobody waits because no window serves it: closed, not "no wait"
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


def test_offline_badge_reads_hall_time_like_the_header():
    """The feed notes the loss in the machine's zone; the badge shows it in the hall's zone, as the clock."""
    from datetime import timezone

    s = parse_state(state_msg())
    lost = T0.replace(minute=7).astimezone(timezone.utc)  # a screen machine set to UTC
    v = build_view(s, elapsed_s=0, mono_now=0, wall_now=T0, screen=load_screen(CONTENT), offline_since=lost)
    assert v.header.offline == "离线 / offline since 10:07" and v.header.time == "10:15"


def test_after_closing_no_service_reads_no_wait_and_no_call_reads_now_calling():
    """0 windows open, 0 waiting: every service "暂无窗口 / no window open"; the last call is not "now calling"."""
    msg = state_msg(waiting=(0, 0, 0))
    msg["open_windows"] = 0
    for s in msg["services"]:
        s.update(open_windows=0, expected_wait_s=None, expected_wait_range_s=None)
    v = build_view(parse_state(msg), elapsed_s=0, mono_now=0, wall_now=T0, screen=load_screen(CONTENT))
    assert {(r.wait, r.wait_en, r.level) for r in v.waiting.rows} == {("暂无窗口", "no window open", "none")}
    assert v.calls.current is None and v.calls.history == ()
    assert v.calls.placeholder == ("暂无窗口", "No window open")


@pytest.mark.parametrize(
    ("waiting", "expected", "rng", "elapsed", "care", "level"),
    [
        (3, 300, (200, 420), 0, 15, "short"),
        (20, 599, None, 0, 15, "short"),
        (20, 600, None, 0, 15, "long"),  # 2/3 of 15 min
        (20, 899, (700, 1100), 0, 15, "long"),
        (30, 2580, (1800, 3420), 0, 15, "over"),  # "约 30–57 分钟" is not green
        (30, 960, (800, 1100), 120, 15, "long"),  # counted down as the text is
        (30, None, (500, 1000), 0, 15, "long"),  # the range's middle when no expected value
        (8, 500, None, 0, 12, "long"),  # the hall's own threshold: 2/3 of 12 min is 8 min
        (8, 720, None, 0, 12, "over"),
        (0, 300, (200, 400), 0, 15, "short"),
        (4, None, None, 0, 15, "none"),
    ],
)
def test_wait_level_follows_the_length_of_the_wait(waiting, expected, rng, elapsed, care, level):
    """short / long (from 2/3 of the care threshold) / over (from the threshold) / none (no window)."""
    assert wait_level(waiting, expected, rng, elapsed, care) == level


def test_view_colours_waits_with_the_halls_threshold():
    """The level of each row comes from the state's care_first_min (default 15 when absent)."""
    msg = state_msg(waiting=(12, 16, 4))  # expected 540, 720, 180 s
    v = build_view(parse_state(msg), elapsed_s=0, mono_now=0, wall_now=T0, screen=load_screen(CONTENT))
    assert [r.level for r in v.waiting.rows] == ["short", "long", "short"]
    msg["care_first_min"] = 10
    v = build_view(parse_state(msg), elapsed_s=0, mono_now=0, wall_now=T0, screen=load_screen(CONTENT))
    assert [r.level for r in v.waiting.rows] == ["long", "over", "short"]


def test_the_ticker_tells_the_next_quiet_hours_when_the_state_has_them():
    """quiet_hours (issue 15) adds one ticker page: after the tips, or right after the busy notice."""
    screen = load_screen(CONTENT)
    page = ("明天 14:00–16:00 等候较少", "Shorter waits tomorrow 14:00–16:00")
    for busy in (False, True):
        msg = state_msg(busy=busy)
        assert parse_state(msg).quiet_hours is None
        msg["quiet_hours"] = {"zh": "明天 14:00–16:00", "en": "tomorrow 14:00–16:00"}
        state = parse_state(msg)
        items = ticker_items(screen, busy, state.quiet_hours)
        assert items == (ticker_items(screen, busy) + [page] if not busy
                         else ticker_items(screen, busy)[:1] + [page] + ticker_items(screen, busy)[1:])
        shown = {build_view(state, elapsed_s=0, mono_now=t * screen.ticker_page_seconds, wall_now=T0,
                            screen=screen).ticker.text for t in range(len(items))}
        assert page[0] in shown
    msg["quiet_hours"] = {"zh": 3}
    assert parse_state(msg).quiet_hours is None  # off-contract: the ticker goes without it
