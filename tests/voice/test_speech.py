"""The voice queue: calls spoken in order, once, never over each other; stale calls dropped."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from signage.state import Call
from signage.voice.speech import VoiceQueue

T0 = datetime(2026, 3, 31, 10, 0, tzinfo=timezone(timedelta(hours=8)))


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def call(ticket: str, window: str, s: float, recall: bool = False) -> Call:
    return Call(ticket=ticket, window=window, called_at=at(s), recall=recall)


def queue(length: float = 6.0, **kw) -> VoiceQueue:
    return VoiceQueue(lambda c: length, **kw)


def run(q: VoiceQueue, until: float, step: float = 0.1) -> list[tuple[str, bool, float, float]]:
    """Ask the queue every ``step`` seconds, as the screen's loop does; what started, when."""
    out = []
    t = 0.0
    while t <= until:
        u = q.due(at(t))
        if u is not None:
            out.append((u.call.ticket, u.call.recall, (u.start - T0).total_seconds(), (u.end - T0).total_seconds()))
        t = round(t + step, 6)
    return out


def test_a_burst_is_spoken_in_the_order_called_after_the_chime_and_never_overlapping():
    q = queue(length=6.0, after_s=1.5)
    # As on the wire: newest first.
    q.add([call("A003", "3", 0.0), call("A002", "2", 0.0), call("A001", "1", 0.0)], at(0))
    spoken = run(q, 30)
    assert [s[0] for s in spoken] == ["A001", "A002", "A003"]
    assert spoken[0][2] >= 1.5  # after the chime
    for before, after in zip(spoken, spoken[1:]):
        assert after[2] >= before[3]  # never overlapping


def test_calls_are_ordered_by_call_time_whatever_order_they_arrive_in():
    q = queue(length=2.0, after_s=0)
    q.add([call("B010", "4", 1.0)], at(1))
    q.add([call("A009", "1", 0.5)], at(1))  # made earlier, arrived in the same instant
    assert [s[0] for s in run(q, 10)] == ["A009", "B010"]


def test_each_call_is_spoken_once_though_every_state_repeats_it():
    q = queue(length=2.0, after_s=0)
    calls = [call("A001", "1", 0.0)]
    spoken = []
    for t in range(10):
        q.add(calls, at(t))
        u = q.due(at(t))
        if u is not None:
            spoken.append(u.call.ticket)
    assert spoken == ["A001"]


def test_a_recall_is_spoken_again_as_a_call_of_its_own():
    q = queue(length=3.0, after_s=0)
    q.add([call("A001", "1", 0.0)], at(0))
    first = run(q, 5)
    q.add([call("A001", "1", 10.0, recall=True), call("A001", "1", 0.0)], at(10))
    again = [s for s in run(q, 20) if s[2] >= 10]
    assert [(s[0], s[1]) for s in first] == [("A001", False)]
    assert [(s[0], s[1]) for s in again] == [("A001", True)]


def test_a_call_that_waited_too_long_is_dropped_from_speech_and_the_rest_go_on():
    """Ten calls at once, 7 s each, max age 30 s: the first calls fit, the tail is dropped, in order."""
    q = queue(length=7.0, after_s=1.5, max_age_s=30)
    q.add([call(f"A{i:03d}", str(i), 0.0) for i in range(10, 0, -1)], at(0))
    spoken = run(q, 120)
    assert [s[0] for s in spoken] == ["A001", "A002", "A003", "A004", "A005"]
    assert all(s[2] <= 30 for s in spoken)
    assert [c.ticket for c in q.dropped] == ["A006", "A007", "A008", "A009", "A010"]
    assert q.waiting == 0


def test_the_max_age_is_configurable():
    q = queue(length=7.0, after_s=1.5, max_age_s=120)
    q.add([call(f"A{i:03d}", str(i), 0.0) for i in range(10, 0, -1)], at(0))
    assert len(run(q, 200)) == 10 and not q.dropped


def test_old_calls_a_screen_gets_when_it_connects_are_not_spoken():
    q = queue(length=2.0, after_s=0, max_age_s=30)
    q.add([call("A005", "1", 100.0), call("A004", "2", 20.0), call("A003", "3", 10.0)], at(100))
    u = q.due(at(100))
    assert u is not None and u.call.ticket == "A005"
    assert q.due(at(103)) is None and q.waiting == 0


def test_next_due_says_when_to_wake():
    q = queue(length=4.0, after_s=1.5)
    assert q.next_due(at(0)) is None
    q.add([call("A001", "1", 0.0), call("A000", "2", 0.0)], at(0))
    assert q.next_due(at(0)) == at(1.5)
    u = q.due(at(1.5))
    assert u is not None and q.next_due(at(2)) == at(5.5)
    assert q.due(at(5.4)) is None
    assert q.due(at(5.5)) is not None
