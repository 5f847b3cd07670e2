"""The simulator's controlled mode: a controller staffs the day every 30 s within the clerk limits."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest

from server.simulator import sample_hall, simulate_day, simulate_days
from server.simulator.scenarios import ClerkLimits, clerk_limits
from tests.simulator.sim_checks import check_consistent, check_well_formed, parse_at

PREFIXES = {"quick": "A", "standard": "B", "complex": "C"}


def digest(day) -> str:
    text = json.dumps([day.events, day.truth()], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def test_open_loop_days_are_unchanged_by_the_controlled_mode():
    """Without a controller, days are byte-identical to those made before the controlled mode existed."""
    assert digest(simulate_day("month_end", 7)) == "9a415dad9bf511fa"
    assert digest(simulate_day("normal", 7)) == "e74c0ffdbedc9c80"
    assert digest(simulate_day("quiet", 7)) == "76aa42d70dc9ab56"
    assert [digest(d) for d in simulate_days("2026-11-28", 3, seed=5)] == \
        ["e79e5854a65eb623", "a162867372905a57", "2e959ea892aeb29c"]
    assert digest(simulate_day("normal", 3, hall=sample_hall(12), plan_scale=1.2)) == "c283f7029b2833f3"


class Recorder:
    """Asks for a fixed number of windows (or a schedule) and remembers what it was shown."""

    def __init__(self, want=lambda now: 10):
        self.want = want
        self.calls: list[tuple[float, int, int]] = []  # (now, events seen, staffed)
        self.events = None

    def __call__(self, now, events, staffed):
        self.events = events
        self.calls.append((now, len(events), staffed))
        return self.want(now)


def open_counts(day) -> list[tuple[float, int, str]]:
    """(seconds after opening, windows open, event type) after every window event."""
    open_w: set[str] = set()
    out = []
    for e in day.events:
        if e["type"] == "window.opened":
            open_w.add(e["window"])
        elif e["type"] == "window.closed":
            open_w.discard(e["window"])
        else:
            continue
        out.append(((parse_at(e) - day.t0).total_seconds(), len(open_w), e["type"]))
    return out


def open_at(day, t: float) -> int:
    n = 0
    for s, k, _ in open_counts(day):
        if s <= t:
            n = k
    return n


def test_controller_sees_a_growing_prefix_of_the_day_every_30_seconds():
    """Calls come 30 s apart from 08:55; in business hours each sees exactly the day's events up to then, ticks included."""
    rec = Recorder()
    d = simulate_day("normal", 3, controller=rec)
    times = [c[0] for c in rec.calls]
    assert times[0] == -300.0
    assert all(b - a == 30.0 for a, b in zip(times, times[1:]))
    assert times[-1] >= 8 * 3600  # still steering at closing time
    seen = [c[1] for c in rec.calls]
    assert seen == sorted(seen) and seen[-1] <= len(d.events)
    assert rec.events is d.events  # the very list the day returns, grown in place
    assert any(e["type"] == "clock.tick" and parse_at(e) == d.t0 + dt.timedelta(seconds=3600)
               for e in d.events[:next(n for now, n, _ in rec.calls if now == 3600)])
    for now, n, _ in [c for c in rec.calls if c[0] < 7 * 3600][::37]:
        prefix = d.events[:n]
        assert all((parse_at(e) - d.t0).total_seconds() <= now + 1e-3 for e in prefix)
        later = d.events[n:]
        assert all((parse_at(e) - d.t0).total_seconds() >= now - 1e-3 for e in later)


def test_controlled_day_is_well_formed_consistent_and_deterministic():
    """A controlled day obeys the hall rules, serves everyone, and repeats exactly for the same controller."""
    want = lambda now: 4 if now < 7200 else 12  # noqa: E731
    a = simulate_day("month_end", 2, controller=Recorder(want))
    b = simulate_day("month_end", 2, controller=Recorder(want))
    check_well_formed(a.events)
    check_consistent(a.events, PREFIXES)
    assert digest(a) == digest(b)
    assert a.control["opens"] >= 8 and a.control["closes"] >= 8


def test_policies_see_the_same_customers_and_service_times():
    """Two controllers staff the same customers: same issue times and services; same visit length when served at the same window."""
    lean = simulate_day("normal", 4, controller=Recorder(lambda now: 4))
    rich = simulate_day("normal", 4, controller=Recorder(lambda now: 10))
    assert {k: (t["issued"], t["service"]) for k, t in lean.tickets.items()} == \
        {k: (t["issued"], t["service"]) for k, t in rich.tickets.items()}
    same = [k for k, t in lean.tickets.items()
            if t["status"] == "served" and "transfer" not in t and rich.tickets[k]["status"] == "served"
            and "transfer" not in rich.tickets[k] and t["window"] == rich.tickets[k]["window"]]
    assert len(same) > 20
    for k in same:
        d1 = lean.tickets[k]["ended"] - lean.tickets[k]["called"]
        d2 = rich.tickets[k]["ended"] - rich.tickets[k]["called"]
        assert d1 == pytest.approx(d2, abs=0.01), k
    assert sum(t["called"] - t["issued"] for t in lean.tickets.values() if "called" in t) > \
        sum(t["called"] - t["issued"] for t in rich.tickets.values() if "called" in t)


def test_a_window_opens_two_minutes_after_the_controller_asks():
    """Asking for one more window at 10:00 opens it at 10:02, not before."""
    want = lambda now: 6 if now < 3600 else 7  # noqa: E731
    d = simulate_day("normal", 5, controller=Recorder(want), limits=ClerkLimits(clerks=10, lunch_clerks=10))
    opened7 = [(parse_at(e) - d.t0).total_seconds() for e in d.events
               if e["type"] == "window.opened" and e["window"] == "7" and parse_at(e) > d.t0]
    assert opened7 and opened7[0] == pytest.approx(3600 + 120, abs=0.01)


def test_clerk_cap_and_lunch_rota_hold_whatever_the_controller_asks():
    """Asking for 99 windows: at most 15 open on a month-end day, at most 10 once lunch has started."""
    d = simulate_day("month_end", 1, controller=Recorder(lambda now: 99))
    counts = open_counts(d)
    assert max(k for _, k, _ in counts) == 15
    # Windows over the lunch cap close when their current visit ends, so allow 30 min to drain;
    # no window opens past the cap meanwhile.
    assert all(k <= 10 for s, k, _ in counts if 9000 + 1800 <= s < 18000)
    assert all(k <= 10 for s, k, kind in counts if 9000 <= s < 18000 and kind == "window.opened")
    assert open_at(d, 18000 + 300) == 15  # back to all 15 after 14:00 (+ the walk)


def test_minimum_holds_when_the_controller_asks_for_none():
    """Asking for 0 leaves the configured minimum staffed and still serves every customer."""
    d = simulate_day("quiet", 2, controller=Recorder(lambda now: 0),
                     limits=ClerkLimits(clerks=8, lunch_clerks=5, minimum=3))
    check_consistent(d.events, PREFIXES)
    counts = [k for s, k, _ in open_counts(d) if 600 <= s < 8 * 3600]
    assert counts and max(counts) <= 3


def test_clerk_limits_clamp():
    """The clamp: the cap by time of day, the floor, and a floor never above the cap."""
    lim = ClerkLimits(clerks=15, lunch_clerks=10, minimum=2)
    assert lim.clamp(99, 3600) == 15
    assert lim.clamp(99, 9000) == 10 and lim.clamp(99, 17999) == 10 and lim.clamp(99, 18000) == 15
    assert lim.clamp(0, 3600) == 2 and lim.clamp(7, 3600) == 7
    assert ClerkLimits(clerks=1, lunch_clerks=1, minimum=2).clamp(0, 0) == 1
    assert clerk_limits("month_end") == ClerkLimits(clerks=15, lunch_clerks=10)
    assert clerk_limits("normal").lunch_clerks == 7


def test_controlled_days_differ_by_date():
    """Dates still seed the day in controlled mode."""
    a = simulate_day("quiet", 1, dt.date(2026, 3, 2), controller=Recorder())
    b = simulate_day("quiet", 1, dt.date(2026, 3, 3), controller=Recorder())
    assert [t["issued"] for t in a.tickets.values()][:20] != [t["issued"] for t in b.tickets.values()][:20]


def test_customers_left_at_closing_are_served_when_the_controller_cuts_every_window():
    """Asking for no window at 17:00 with a queue: clerks still come back until nobody waits."""

    def want(now):
        if now > 14 * 3600:
            raise AssertionError("the day never ends")
        return 4 if now < 8 * 3600 else 0

    d = simulate_day("month_end", 3, controller=Recorder(want), limits=ClerkLimits(clerks=15, lunch_clerks=10,
                                                                                   minimum=0))
    check_consistent(d.events, PREFIXES)
    assert sum(1 for t in d.tickets.values() if "called" in t and t["called"] > 8 * 3600) > 20
