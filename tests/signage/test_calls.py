"""signage/calls.py: the banner queue, each call its whole banner time, none cut or skipped."""

from __future__ import annotations

from datetime import timedelta

from lobby_helpers import T0, call, state_msg

from signage.calls import BannerQueue
from signage.state import parse_state


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
