"""signage/calls.py: the banner is a pure function of the call times and the hall's time."""

from __future__ import annotations

import random
from datetime import timedelta

from lobby_helpers import T0, call, state_msg

from signage.calls import HOLD_S, MAX_LAG_S, MAX_ROWS, banner_at, next_change, schedule, state_banner
from signage.state import parse_state


def _calls(*entries):
    """Wire calls (ticket, window, seconds after T0[, recall]) given oldest first -> parsed, newest first."""
    wire = [call(t, w, T0 + timedelta(seconds=s), *rest) for t, w, s, *rest in entries]
    return parse_state(state_msg(1, T0, list(reversed(wire)))).calls


def _at(s):
    return T0 + timedelta(seconds=s)


def _shown(calls, s, hold_s=HOLD_S):
    b = banner_at(calls, _at(s), hold_s)
    return None if b is None else [c.ticket for c in b.calls]


def test_one_call_is_held_for_the_banner_time_from_its_call_time():
    """A lone call is on the banner from the moment it was made for exactly the hold time."""
    calls = _calls(("A001", "1", 0))
    assert _shown(calls, -0.1) is None
    assert _shown(calls, 0) == ["A001"] and _shown(calls, HOLD_S - 0.001) == ["A001"]
    assert _shown(calls, HOLD_S) is None


def test_calls_made_together_are_shown_together_up_to_four():
    """Twelve windows calling at once: three banners of four rows, each row with its window, none late by over 20 s."""
    calls = _calls(*[(f"A{i:03d}", str(i), 0) for i in range(1, 11)])  # the wire holds the last 10
    assert _shown(calls, 0) == ["A001", "A002", "A003", "A004"]
    b = banner_at(calls, _at(0))
    assert [c.window for c in b.calls] == ["1", "2", "3", "4"] and b.pending == 4
    assert _shown(calls, HOLD_S) == ["A005", "A006", "A007", "A008"]
    # The third group would start 16 s after its call and end at 24 s: past MAX_LAG_S, never bannered.
    assert _shown(calls, 2 * HOLD_S) is None
    assert banner_at(calls, _at(HOLD_S)).pending == 0


def test_a_call_joins_a_banner_with_a_free_row_at_once():
    """A call made while the banner has room appears immediately beside the calls already there."""
    calls = _calls(("A001", "1", 0), ("B001", "2", 3))
    assert _shown(calls, 2) == ["A001"]
    assert _shown(calls, 3) == ["A001", "B001"]
    assert _shown(calls, HOLD_S) == ["B001"]
    assert _shown(calls, 3 + HOLD_S) is None


def test_no_call_is_on_the_banner_more_than_twenty_seconds_after_it_was_made():
    """Whatever the calls, every row starts at or after its call and ends at most MAX_LAG_S after it; at most four at once."""
    rng = random.Random(12)
    for _ in range(300):
        t, entries = 0.0, []
        for i in range(rng.randint(1, 10)):
            t += rng.choice([0, 0, 0, 0.5, 1, 3, 7, 12, 30])
            entries.append((f"A{i:03d}", str(rng.randint(1, 15)), t))
        calls = _calls(*entries)
        hold = rng.choice([1.0, 5.0, HOLD_S, 15.0])
        rows = schedule(calls, hold)
        for r in rows:
            assert r.call.called_at <= r.start and r.end - r.call.called_at <= timedelta(seconds=MAX_LAG_S)
            assert r.end - r.start == timedelta(seconds=hold)
        for r in rows:
            assert sum(1 for o in rows if o.start <= r.start < o.end) <= MAX_ROWS
        # A call gets no row only when all rows were taken for as long as it could wait.
        ids = {r.call.key for r in rows}
        for c in calls:
            if c.key not in ids:
                busy_until = c.called_at + timedelta(seconds=MAX_LAG_S - hold)
                assert sum(1 for r in rows if r.start <= busy_until < r.end) == MAX_ROWS


def test_the_banner_depends_on_time_only_so_every_screen_agrees():
    """Two screens that got the state at different moments, or reconnected, show the same banner at the same hall time."""
    calls = _calls(("A001", "1", 0), ("A002", "2", 0.5), ("B001", "3", 9))
    for s in (0, 0.4, 5, 8.2, 9, 12, 30):
        assert banner_at(calls, _at(s)) == banner_at(tuple(calls), _at(s))
    # Old calls have no banner, whether the screen just connected or was on all day.
    assert _shown(calls, 60) is None


def test_recall_is_a_new_row_and_marked():
    """A recall of a ticket is announced again, marked as a recall."""
    calls = _calls(("A001", "1", 0), ("A001", "1", 120, True))
    b = banner_at(calls, _at(121))
    assert [(c.ticket, c.recall) for c in b.calls] == [("A001", True)]


def test_next_change_is_the_next_start_or_end():
    """The screen can sleep until the banner's next change: a row ending or a queued row starting."""
    calls = _calls(*[(f"A{i:03d}", str(i), 0) for i in range(1, 6)])
    assert next_change(calls, _at(0)) == _at(HOLD_S)
    assert next_change(calls, _at(HOLD_S)) == _at(2 * HOLD_S)
    assert next_change(calls, _at(2 * HOLD_S)) is None


def test_no_banner_while_no_window_is_open():
    """The hall closed right after a call: the banner clears, the call stays in the state's list."""
    msg = state_msg(1, _at(2), [call("B242", "2", T0)])
    assert [c.ticket for c in state_banner(parse_state(msg), _at(2)).calls] == ["B242"]
    msg["open_windows"] = 0
    closed = parse_state(msg)
    assert state_banner(closed, _at(2)) is None and closed.calls[0].ticket == "B242"
    assert state_banner(None, _at(2)) is None
