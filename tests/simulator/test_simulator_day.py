"""The simulated hall day: determinism, well-formed events, hall rules, realistic volumes."""

from __future__ import annotations

import datetime as dt
import json
import statistics
from collections import Counter
from functools import lru_cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.simulator import (
    SCENARIOS,
    sample_hall,
    scenario_for_date,
    simulate_day,
    simulate_days,
    summarize,
)
from server.simulator.day import Day
from server.simulator.scenarios import hall_for
from tests.simulator.sim_checks import check_consistent, check_well_formed, parse_at

PREFIXES = {"quick": "A", "standard": "B", "complex": "C", "business": "D"}
SEEDS = range(10)


@lru_cache(maxsize=None)
def day(scenario: str, seed: int) -> Day:
    return simulate_day(scenario, seed)


@lru_cache(maxsize=None)
def stats(scenario: str) -> list[dict]:
    return [summarize(day(scenario, s)) for s in SEEDS]


def dump(d: Day) -> str:
    return json.dumps([d.events, d.truth()], ensure_ascii=False)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_same_seed_gives_identical_output(scenario):
    """Two runs with the same scenario and seed give byte-identical events and truth."""
    assert dump(simulate_day(scenario, 42)) == dump(simulate_day(scenario, 42))


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_different_seed_gives_different_output(scenario):
    """Another seed gives another day."""
    a, b = simulate_day(scenario, 1), simulate_day(scenario, 2)
    assert [e for e in a.events if e["type"] != "clock.tick"][1:50] != \
        [e for e in b.events if e["type"] != "clock.tick"][1:50]


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_events_are_well_formed(scenario, seed):
    """Every event has exactly the protocol's fields, `at` is ISO with offset and never goes back, ids are unique."""
    check_well_formed(day(scenario, seed).events)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_events_obey_hall_rules(scenario, seed):
    """Replayed, the stream respects ticket lifecycles, one visit per window, services served, priority then FIFO."""
    check_consistent(day(scenario, seed).events, PREFIXES)


@settings(max_examples=12, deadline=None, derandomize=True)
@given(seed=st.integers(min_value=0, max_value=2**40),
       scenario=st.sampled_from(sorted(SCENARIOS)),
       windows=st.integers(min_value=2, max_value=16))
def test_any_seed_and_hall_size_obeys_hall_rules(seed, scenario, windows):
    """Whatever the seed and number of windows, the stream is well-formed and consistent."""
    hall = hall_for(scenario, windows)
    d = simulate_day(scenario, seed, hall=hall, plan_scale=windows / SCENARIOS[scenario].windows)
    check_well_formed(d.events)
    check_consistent(d.events, PREFIXES)


def test_day_starts_with_reset_and_opens_windows_before_the_doors():
    """The day starts with hall.reset and the windows open at 08:55, before the first ticket at 09:00 or later."""
    d = day("normal", 0)
    assert d.events[0]["type"] == "hall.reset"
    assert d.events[0]["at"] == "2026-11-18T08:55:00.000+08:00"
    first_ticket = next(e for e in d.events if e["type"] == "ticket.issued")
    assert first_ticket["at"] >= "2026-11-18T09:00:00.000+08:00"
    opened = [e for e in d.events if e["type"] == "window.opened" and e["at"] < first_ticket["at"]]
    assert len(opened) == SCENARIOS["normal"].plan[0][1]
    assert all(e["at"].endswith("+08:00") for e in d.events)


def test_clock_ticks_every_30_seconds_while_open():
    """clock.tick events are 30 s apart from the windows' opening up to the last event."""
    d = day("month_end", 0)
    ticks = [parse_at(e) for e in d.events if e["type"] == "clock.tick"]
    assert ticks[0] == parse_at(d.events[0])
    assert all((b - a).total_seconds() == 30.0 for a, b in zip(ticks, ticks[1:]))
    assert 0 <= (parse_at(d.events[-1]) - ticks[-1]).total_seconds() < 30.0


def test_restricted_window_announces_its_services():
    """Window 8 opens with services [complex, standard] and never calls a ticket waiting for quick."""
    d = day("month_end", 1)
    opened8 = [e for e in d.events if e["type"] == "window.opened" and e["window"] == "8"]
    assert opened8 and all(sorted(e["services"]) == ["complex", "standard"] for e in opened8)
    service: dict[str, str] = {}
    called8 = []
    for e in d.events:
        if e["type"] in ("ticket.issued", "ticket.transferred"):
            service[e["ticket"]] = e["service"]
        elif e["type"] == "ticket.called" and e["window"] == "8":
            called8.append(service[e["ticket"]])
    assert called8 and "quick" not in called8


def test_truth_agrees_with_events():
    """The truth's issued/called/ended times, windows and statuses match the event stream."""
    d = day("month_end", 2)
    t0 = d.t0
    first: dict[str, dict] = {}
    final: dict[str, str] = {}
    for e in d.events:
        if "ticket" not in e:
            continue
        s = (parse_at(e) - t0).total_seconds()
        rec = first.setdefault(e["ticket"], {})
        if e["type"] == "ticket.issued":
            rec["issued"] = s
        elif e["type"] == "ticket.called" and "called" not in rec:
            rec["called"], rec["window"] = s, e["window"]
        if e["type"] in ("ticket.served", "ticket.no_show", "ticket.cancelled"):
            final[e["ticket"]] = e["type"].split(".")[1]
            rec["end"] = s
    assert set(d.tickets) == set(first)
    for label, truth in d.tickets.items():
        rec = first[label]
        assert truth["issued"] == pytest.approx(rec["issued"], abs=1e-6)
        assert truth["status"] == final[label]
        if truth["status"] == "cancelled":
            assert truth["cancelled"] == pytest.approx(rec["end"], abs=1e-6)
            assert "called" not in truth
        else:
            assert truth["called"] == pytest.approx(rec["called"], abs=1e-6)
            assert truth["window"] == rec["window"]
            assert truth["ended"] == pytest.approx(rec["end"], abs=1e-6)
            assert truth["issued"] <= truth["called"] <= truth["ended"]


@pytest.mark.parametrize("scenario,lo,hi", [("month_end", 880, 1080), ("normal", 520, 690),
                                            ("quiet", 240, 370)])
def test_ticket_volumes_per_scenario(scenario, lo, hi):
    """Tickets per day stay in the scenario's range and average near its target volume."""
    counts = [s["tickets"] for s in stats(scenario)]
    assert all(lo <= c <= hi for c in counts), counts
    target = {"month_end": (950, 1000), "normal": (550, 650), "quiet": (250, 350)}[scenario]
    assert target[0] <= statistics.mean(counts) <= target[1], counts


def test_month_end_is_busy_enough():
    """Month-end days see waits past 15 and 30 minutes and sometimes 5 waiting per open window."""
    rows = stats("month_end")
    assert statistics.mean(r["share_wait_over_15"] for r in rows) > 0.03
    assert any(r["share_wait_over_30"] > 0 for r in rows)
    assert sum(r["max_waiting_per_open_window"] >= 5 for r in rows) >= 3


def test_busyness_orders_month_end_normal_quiet():
    """Mean waits and queue pressure rank month_end > normal > quiet; quiet rarely reaches 5 per window."""
    mean = {sc: statistics.mean(r["mean_wait_min"] for r in stats(sc)) for sc in SCENARIOS}
    assert mean["month_end"] > mean["normal"] > mean["quiet"]
    assert sum(r["max_waiting_per_open_window"] >= 5 for r in stats("quiet")) <= 1
    assert all(r["share_wait_over_30"] == 0 for r in stats("quiet"))


def test_service_mix_and_priority_share():
    """Over ten month-end days the mix is about 60/30/10 and about 3% of tickets are priority."""
    mix: Counter[str] = Counter()
    prio = total = 0
    for s in SEEDS:
        for t in day("month_end", s).tickets.values():
            mix[t["service"]] += 1
            prio += t["priority"]
            total += 1
    assert mix["quick"] / total == pytest.approx(0.6, abs=0.03)
    assert mix["standard"] / total == pytest.approx(0.3, abs=0.03)
    assert mix["complex"] / total == pytest.approx(0.1, abs=0.02)
    assert 0.015 < prio / total < 0.045


def test_every_kind_of_event_happens_on_a_month_end_day():
    """A month-end day has recalls, no-shows, cancellations, transfers, priority tickets and closures."""
    kinds = Counter(e["type"] for e in day("month_end", 0).events)
    for k in ("ticket.recalled", "ticket.no_show", "ticket.cancelled", "ticket.transferred",
              "window.closed", "window.opened", "ticket.served", "clock.tick"):
        assert kinds[k] > 0, k
    assert any(e.get("priority") for e in day("month_end", 0).events)


def test_lunch_has_fewer_windows_open():
    """Fewer windows are open at 12:45 than at 11:00 and at 15:00 (lunch closures)."""
    d = day("normal", 3)

    def open_at(hhmm: str) -> int:
        limit = f"{d.date.isoformat()}T{hhmm}:00.000+08:00"
        open_w: set[str] = set()
        for e in d.events:
            if e["at"] > limit:
                break
            if e["type"] == "window.opened":
                open_w.add(e["window"])
            elif e["type"] == "window.closed":
                open_w.discard(e["window"])
        return len(open_w)

    assert open_at("12:45") < open_at("11:00")
    assert open_at("12:45") < open_at("15:00")


def test_breaks_close_and_reopen_windows_during_the_day():
    """Clerks' breaks show as window.closed then window.opened about 15 minutes later outside lunch."""
    d = day("month_end", 4)
    closed: dict[str, dt.datetime] = {}
    gaps = []
    for e in d.events:
        if e["type"] == "window.closed":
            closed[e["window"]] = parse_at(e)
        elif e["type"] == "window.opened" and e["window"] in closed:
            gaps.append((parse_at(e) - closed.pop(e["window"])).total_seconds() / 60)
    breaks = [g for g in gaps if 12 <= g <= 20]
    assert len(breaks) >= 5, gaps


def test_transferred_ticket_waits_again_in_its_new_service():
    """A transferred ticket is called again and ends served; its truth records the second leg."""
    d = day("month_end", 0)
    moved = {e["ticket"]: e["service"] for e in d.events if e["type"] == "ticket.transferred"}
    assert moved
    for label, service in moved.items():
        truth = d.tickets[label]
        assert truth["transfer"]["service"] == service
        assert truth["transfer"]["at"] <= truth["transfer"]["called"] <= truth["ended"]
        assert truth["status"] == "served"
        assert truth["service"] != service


def test_consecutive_days_share_the_hall_and_have_unique_ids():
    """simulate_days gives consecutive dates, each a fresh day, same windows, ids unique across days."""
    days = simulate_days("2026-11-27", 5, seed=7)
    assert [d.date for d in days] == [dt.date(2026, 11, 27) + dt.timedelta(days=i) for i in range(5)]
    assert [d.scenario for d in days] == ["normal", "quiet", "month_end", "month_end", "month_end"]
    assert len({d.windows for d in days}) == 1
    ids = [e["id"] for d in days for e in d.events]
    assert len(ids) == len(set(ids))
    events = [e for d in days for e in d.events]
    check_well_formed(events)
    check_consistent(events, PREFIXES)
    assert sum(e["type"] == "hall.reset" for e in events) == 5


def test_calendar_kinds_of_day():
    """Month end/start days are month_end, weekends quiet, other days normal."""
    assert scenario_for_date(dt.date(2026, 11, 30)) == "month_end"
    assert scenario_for_date(dt.date(2026, 12, 1)) == "month_end"
    assert scenario_for_date(dt.date(2026, 11, 22)) == "quiet"
    assert scenario_for_date(dt.date(2026, 11, 18)) == "normal"


def test_window_speed_factors_are_stable_across_days():
    """The same window's clerk is as fast on every day: mean service ratios correlate across days."""
    from server.simulator.day import window_speed

    hall = sample_hall(15)
    speeds = [window_speed(hall, w.id) for w in hall.windows]
    assert speeds == [window_speed(hall, w.id) for w in hall.windows]
    assert 0.05 < statistics.pstdev(speeds) / statistics.mean(speeds) < 0.3
