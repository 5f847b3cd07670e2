"""The frame loop sleeps until the next foreseen change: nothing is due earlier, and it is due then."""

from __future__ import annotations

from datetime import timedelta

from lobby_helpers import CONTENT, T0, call, state_msg

from signage.content_files import load_content
from signage.display.app import DEADLINE_SLACK_S, Screen
from signage.state import parse_state


def quiet_screen(pg) -> Screen:
    """A screen whose waits cannot change (nobody waits): only time-driven changes remain."""
    s = Screen(pg.Surface((960, 540)), load_content(CONTENT), font_dir=CONTENT / "fonts")
    s.receive_state(parse_state(state_msg(1, waiting=(0, 0, 0))), True, 0.0)
    s.frame(0.0, T0)
    return s


def test_each_deadline_is_a_real_change_and_nothing_comes_before_it(pg):
    """Over five hall minutes: ticker pages, slide cuts and the clock minute land on the deadlines."""
    s = quiet_screen(pg)
    t, wakes = 0.0, 0
    while t < 300:
        due = s.next_change_in(t, T0)
        assert 0 < due <= 60
        assert s.frame(t + due - 0.01, T0) == [], f"something changed before the deadline at t={t:.2f}"
        t += due + DEADLINE_SLACK_S
        assert s.frame(t, T0) != [], f"nothing changed at the deadline t={t:.2f}"
        wakes += 1
    # Pages every 8 s and slides every 10-12 s: about 70 wakes, not the 1,200 of a 250 ms tick.
    assert 40 < wakes < 100


def test_a_banner_end_is_a_deadline(pg):
    s = quiet_screen(pg)
    fresh = [call("A024", "5", T0 + timedelta(seconds=1))]
    s.receive_state(parse_state(state_msg(2, T0 + timedelta(seconds=1), fresh, waiting=(0, 0, 0))), False, 1.0)
    s.frame(1.0, T0)
    assert s.view is not None and s.view.banner is not None
    banner_s = s.content.screen.banner_seconds
    due = s.next_change_in(1.0, T0)
    assert due <= banner_s
    # Follow the deadlines: the banner is gone exactly when its time is up, not a tick later.
    t = 1.0
    while s.view.banner is not None:
        t += s.next_change_in(t, T0) + DEADLINE_SLACK_S
        s.frame(t, T0)
    assert 1.0 + banner_s <= t <= 1.0 + banner_s + 2 * DEADLINE_SLACK_S
