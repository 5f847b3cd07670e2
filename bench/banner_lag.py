"""Lag from a call to its banner on the lobby screens, before and after issue 12 (deterministic).

    .venv/bin/python bench/banner_lag.py                      # 5 month-end days, 1x and 60x
    .venv/bin/python bench/banner_lag.py --days 1 --json out.json
    .venv/bin/python bench/banner_lag.py --scenario burst12 --days 1   # 12 windows call within 2 s

Simulated days (server/simulator) go through the pure hall; after every event the screens get
the display.state the server would send (server/wire.py, parsed by signage/state.py). Between
two states a screen's hall clock runs from the state's ``at`` at real speed, so at ``speed``
times real time it covers only 1/speed of the hall time until the next state.

- after: signage/calls.py's rule. A call's banner rows are computed from each state's calls,
  so the first moment it is on a screen is exact (no sampling): the earliest instant of some
  state's span at which ``state_banner`` shows it.
- before (main up to 9b530f2): the per-screen BannerQueue: new calls queue oldest first, each
  held ``hold`` seconds of the screen's own (real) clock from when it reached the screen, none
  skipped. Modelled here in a few lines (the class is gone); it pops exactly when the banner
  before ends or a state arrives, as the screen's frame loop did.

Lag is in real seconds, from the moment the call's state reached the screen (the server sends
it at once) to the first frame with the call on the banner; "never" counts calls that never had
a banner. At 60x the server coalesces states 20 ms apart (1.2 hall-seconds): not modelled, it
could only drop intermediate call lists, which neither rule needs while calls stay in the
last 10. The opening burst is the calls of the first 30 minutes after the windows open.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import statistics
import sys
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from replay import hall_config, sim_hall_windows  # noqa: E402

from server.events import EventType, parse_event  # noqa: E402
from server.hall import Hall  # noqa: E402
from server.simulator import sample_hall, simulate_day  # noqa: E402
from server.simulator.scenarios import get_scenario  # noqa: E402
from server.wire import display_state  # noqa: E402
from signage.calls import HOLD_S, schedule  # noqa: E402
from signage.state import Call, DisplayState, parse_state  # noqa: E402

BURST_S = 30 * 60.0
START = dt.date(2026, 11, 30)


@dataclass
class Span:
    """One state as a screen shows it: hall time [at, at + length / speed), real time from ``real``."""

    state: DisplayState
    at: dt.datetime
    next_at: dt.datetime | None
    real: float


def burst_events(windows: int, spread_s: float) -> list[dict[str, Any]]:
    """The issue's opening: ``windows`` windows call the customers queued at the door within ``spread_s``."""
    t0 = dt.datetime.combine(START, dt.time(9, 0), tzinfo=dt.timezone(dt.timedelta(hours=8)))
    evs: list[dict[str, Any]] = []
    for i in range(windows):
        evs.append({"id": f"o{i}", "type": "window.opened", "at": (t0 - dt.timedelta(minutes=5)).isoformat(), "window": str(i + 1)})
    for i in range(windows):
        evs.append({"id": f"i{i}", "type": "ticket.issued", "at": (t0 - dt.timedelta(seconds=60 - i)).isoformat(),
                    "ticket": f"A{i + 1:03d}", "service": "quick"})
    for i in range(windows):
        at = t0 + dt.timedelta(seconds=spread_s * i / max(1, windows - 1))
        evs.append({"id": f"c{i}", "type": "ticket.called", "at": at.isoformat(), "ticket": f"A{i + 1:03d}", "window": str(i + 1)})
    evs.append({"id": "end", "type": "clock.tick", "at": (t0 + dt.timedelta(minutes=2)).isoformat()})
    return evs


def spans(scenario: str, seed: int, date: dt.date, speed: float) -> tuple[list[Span], dt.datetime]:
    """The states the screens get on one simulated day, and the time the first window opened.

    ``scenario`` "burst12" is :func:`burst_events` (12 windows within 2 s) instead of a day.
    """
    if scenario == "burst12":
        sim_hall = sample_hall(15)
        events = burst_events(12, 2.0)
    else:
        sim_hall = sample_hall(get_scenario(scenario).windows)
        events = simulate_day(scenario, seed, date, hall=sim_hall).events
    hall = Hall(hall_config(sim_hall_windows(sim_hall)))
    states: list[DisplayState] = []
    last_key: Any = None
    opened: dt.datetime | None = None
    for seq, obj in enumerate(events, 1):
        ev = parse_event(obj)
        hall.receive(ev)
        hall.alerts_to_send()
        if ev.type is EventType.WINDOW_OPENED and opened is None:
            opened = ev.at
        # A state after every event: each moves the hall's time, which resets the screens'
        # clocks (the server sends one when they are 2 s off). Only the calls and the open
        # windows matter to the banner: the full state is built when they changed.
        key = (tuple((c.ticket, c.window, c.called_at) for c in hall.calls), hall.open_window_count() > 0)
        if key != last_key or not states:
            states.append(parse_state(display_state(hall, seq, ev.at)))
            last_key = key
        else:
            states.append(dataclasses.replace(states[-1], seq=seq, at=ev.at))
    assert opened is not None
    t0 = states[0].at
    assert t0 is not None
    out = []
    for i, s in enumerate(states):
        assert s.at is not None
        nxt = states[i + 1].at if i + 1 < len(states) else None
        out.append(Span(s, s.at, nxt, (s.at - t0).total_seconds() / speed))
    return out, opened


def lag_after(states: list[Span], speed: float, hold_s: float) -> dict[tuple[str, str, str], float | None]:
    """Real seconds from each call's state to its first banner (signage/calls.py), None: never."""
    first: dict[tuple[str, str, str], float | None] = {}
    seen_real: dict[tuple[str, str, str], float] = {}
    for span in states:
        for c in span.state.calls:
            seen_real.setdefault(c.key, span.real)
            first.setdefault(c.key, None)
        if span.state.open_windows <= 0:
            continue
        # The hall time this state is on screen: until the next state arrives, at real speed.
        end = None if span.next_at is None else span.at + (span.next_at - span.at) / speed
        for row in schedule(span.state.calls, hold_s):
            key = row.call.key
            if first[key] is not None:
                continue
            t = max(row.start, span.at)
            if t < row.end and (end is None or t < end):
                first[key] = span.real + (t - span.at).total_seconds() - seen_real[key]
    return first


def lag_before(states: list[Span], hold_s: float) -> dict[tuple[str, str, str], float | None]:
    """Real seconds from each call's state to its banner with the old per-screen queue."""
    first: dict[tuple[str, str, str], float | None] = {}
    arrived: dict[tuple[str, str, str], float] = {}
    pending: deque[Call] = deque()
    shown_until = -1e18
    for i, span in enumerate(states):
        # Banners that ran before this state arrived: each starts when the one before ended.
        while pending and shown_until <= span.real:
            c = pending.popleft()
            start = max(shown_until, arrived[c.key])
            first[c.key] = start - arrived[c.key]
            shown_until = start + hold_s
        for c in reversed(span.state.calls):  # oldest first; the first state is a resync
            if c.key in first or c.key in arrived:
                continue
            arrived[c.key] = span.real
            if i == 0 and c.called_at < span.at - dt.timedelta(seconds=hold_s):
                first[c.key] = None
                continue
            pending.append(c)
    while pending:  # the screen stays on after the last event and drains its queue
        c = pending.popleft()
        start = max(shown_until, arrived[c.key])
        first[c.key] = start - arrived[c.key]
        shown_until = start + hold_s
    for key in arrived:
        first.setdefault(key, None)
    return first


def summary(lags: list[float | None]) -> dict[str, Any]:
    shown = sorted(x for x in lags if x is not None)
    out: dict[str, Any] = {"calls": len(lags), "never_bannered": round((len(lags) - len(shown)) / len(lags), 4) if lags else 0.0}
    if shown:
        q = statistics.quantiles(shown, n=100, method="inclusive") if len(shown) > 1 else [shown[0]] * 99
        out.update(p50_s=round(statistics.median(shown), 2), p95_s=round(q[94], 2), max_s=round(shown[-1], 2))
    return out


def measure(scenario: str, seeds: list[int], speeds: list[float], hold_s: float) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for speed in speeds:
        rows: dict[str, dict[str, list[float | None]]] = {r: {"day": [], "opening": []} for r in ("before", "after")}
        for seed in seeds:
            states, opened = spans(scenario, seed, START, speed)
            called = {c.key: c.called_at for s in states for c in s.state.calls}
            for rule, lags in (("before", lag_before(states, hold_s)), ("after", lag_after(states, speed, hold_s))):
                for key, lag in lags.items():
                    rows[rule]["day"].append(lag)
                    if (called[key] - opened).total_seconds() < BURST_S:
                        rows[rule]["opening"].append(lag)
        results[f"{speed:g}x"] = {rule: {part: summary(v) for part, v in parts.items()} for rule, parts in rows.items()}
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenario", default="month_end")
    p.add_argument("--days", type=int, default=5, help="simulated days (seeds 0..N-1)")
    p.add_argument("--speeds", default="1,60")
    p.add_argument("--hold", type=float, default=HOLD_S, help="banner_seconds (content default 8)")
    p.add_argument("--json", type=Path)
    a = p.parse_args(argv)
    speeds = [float(x) for x in a.speeds.split(",")]
    res = {"scenario": a.scenario, "days": a.days, "date": START.isoformat(), "hold_s": a.hold,
           "results": measure(a.scenario, list(range(a.days)), speeds, a.hold)}
    print("| speed | rule | part | calls | never bannered | p50 | p95 | max |")
    print("|---|---|---|---|---|---|---|---|")
    for speed, rules in res["results"].items():
        for rule, parts in rules.items():
            for part, s in parts.items():
                print(f"| {speed} | {rule} | {part} | {s['calls']} | {s['never_bannered']:.1%} | "
                      f"{s.get('p50_s', '–')} s | {s.get('p95_s', '–')} s | {s.get('max_s', '–')} s |")
    if a.json:
        a.json.write_text(json.dumps(res, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
