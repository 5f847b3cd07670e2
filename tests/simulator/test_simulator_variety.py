"""The issue-13 scenarios do what they claim: absent clerks, other lunches, a long tail, priority shares."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from functools import lru_cache

import pytest

from server.simulator import simulate_day, simulate_days
from server.simulator.day import Day, service_time
from server.simulator.scenarios import FOUR_SERVICES, get_scenario, hall_for
from tests.simulator.sim_checks import parse_at

SEEDS = range(6)


@lru_cache(maxsize=None)
def day(scenario: str, seed: int) -> Day:
    return simulate_day(scenario, seed)


def at(d: Day, hhmm: str) -> dt.datetime:
    h, m = map(int, hhmm.split(":"))
    return d.t0.replace(hour=h, minute=m)


def open_at(d: Day, hhmm: str) -> set[str]:
    """The windows open at a local time, replayed from the events."""
    t, open_w = at(d, hhmm), set()
    for e in d.events:
        if parse_at(e) > t:
            break
        if e["type"] == "window.opened":
            open_w.add(e["window"])
        elif e["type"] == "window.closed":
            open_w.discard(e["window"])
    return open_w


def calls(d: Day, window: str) -> list[dt.datetime]:
    return [parse_at(e) for e in d.events if e["type"] == "ticket.called" and e["window"] == window]


def test_existing_scenarios_draw_exactly_as_before_the_variety():
    """Seeded month_end / normal / quiet days and a calendar run are byte-identical to before issue 13."""
    h = hashlib.sha256()
    for sc in ("month_end", "normal", "quiet"):
        for seed in (0, 1, 7):
            d = simulate_day(sc, seed)
            h.update(json.dumps([d.events, d.truth()]).encode())
    for d in simulate_days("2026-11-01", 4, seed=3):
        h.update(json.dumps([d.events, d.truth()]).encode())
    assert h.hexdigest() == "49fcf0225fe6f39f56b7137b8db160fadfe0bc7a6d65a137f4045111873c8e0d"


@pytest.mark.parametrize("seed", SEEDS)
def test_absent_clerks_windows_stay_closed_while_they_are_away(seed):
    """normal_absent: window 2 never opens; 5 opens and calls only from 11:00; 7 calls nothing from 15:00."""
    d = day("normal_absent", seed)
    opened = {e["window"] for e in d.events if e["type"] == "window.opened"}
    assert "2" not in opened and not calls(d, "2")
    assert calls(d, "5") and min(calls(d, "5")) >= at(d, "11:00")
    assert all(e["window"] != "5" or parse_at(e) >= at(d, "11:00")
               for e in d.events if e["type"] == "window.opened")
    assert calls(d, "7") and max(calls(d, "7")) < at(d, "15:00")
    # The usual day opens all three at 08:55 (window 7 at 10:00) and keeps 7 after 15:00.
    usual = day("normal", seed)
    assert {"2", "5"} <= open_at(usual, "09:05") and max(calls(usual, "7")) > at(usual, "15:30")


def test_a_visit_in_progress_when_the_clerk_leaves_is_finished():
    """At 15:00 window 7's customer is served to the end, then the window closes and stays closed."""
    cut = 0
    for seed in SEEDS:
        d = day("normal_absent", seed)
        three = (at(d, "15:00") - d.t0).total_seconds()
        assert all(e["window"] != "7" or parse_at(e) < at(d, "15:00")
                   for e in d.events if e["type"] == "window.opened"), seed
        for t in d.tickets.values():
            if t.get("window") == "7" and t["called"] < three < t["ended"]:
                cut += 1
                assert t["status"] in ("served", "no_show")
                closed = [parse_at(e) for e in d.events if e["type"] == "window.closed" and e["window"] == "7"
                          and parse_at(e) >= at(d, "15:00")]
                assert closed and (closed[0] - d.t0).total_seconds() >= t["ended"] - 1e-3
    assert cut  # some seed had a visit running at 15:00


@pytest.mark.parametrize("seed", SEEDS)
def test_lunch_at_other_hours(seed):
    """Early lunch cuts to 6 windows (plus breaks) at 11:00-12:30; late lunch cuts month end to 8 at 13:00-14:30."""
    early, usual = day("normal_early_lunch", seed), day("normal", seed)
    assert len(open_at(early, "11:45")) <= 6 < len(open_at(usual, "11:45"))
    assert len(open_at(early, "12:45")) >= 8 > 6 >= len(open_at(usual, "12:45"))
    late, month_end = day("month_end_late_lunch", seed), day("month_end", seed)
    assert len(open_at(late, "12:30")) >= 12 > 8 >= len(open_at(month_end, "12:30"))
    assert len(open_at(late, "14:15")) <= 8 < len(open_at(month_end, "14:15"))


@pytest.mark.parametrize("seed", SEEDS)
def test_quiet_day_lunch_halves_four_windows(seed):
    d = day("quiet_half_lunch", seed)
    assert d.windows == ("1", "2", "3", "4")
    assert len(open_at(d, "09:30")) >= 3  # four, one of them maybe on a break
    assert len(open_at(d, "12:45")) <= 2
    assert len(open_at(d, "14:00")) >= 3


@pytest.mark.parametrize("seed", SEEDS)
def test_shifted_rota_opens_windows_at_other_hours_than_the_usual_plan(seed):
    d, usual = day("normal_shifted", seed), day("normal", seed)
    assert len(open_at(d, "09:30")) <= 6 < 8 <= len(open_at(usual, "09:30")) + 1  # + a break
    assert len(open_at(d, "12:00")) <= 5 < len(open_at(usual, "11:45"))
    assert len(open_at(d, "13:45")) <= 8 and len(open_at(d, "15:45")) >= 8


@pytest.mark.parametrize("scenario,share", [("four_services", 0.08), ("four_services_month_end", 0.05),
                                            ("quiet_half_lunch", 0.0), ("normal", 0.03)])
def test_priority_share_is_the_scenarios(scenario, share):
    """The scenario parameter sets the share of priority tickets (0-8%)."""
    assert get_scenario(scenario).priority_share == share
    tickets = [t for s in SEEDS for t in day(scenario, s).tickets.values()]
    got = sum(t["priority"] for t in tickets) / len(tickets)
    assert got == pytest.approx(share, abs=0.015) if share else got == 0.0


def test_the_long_tail_service_draws_a_fifth_of_visits_at_30_to_45_minutes():
    """business: mean 15 min overall, 20% of visits in a 30-45 min tail; plain services keep one lognormal."""
    business = next(s for s in FOUR_SERVICES if s.id == "business")
    rng = random.Random(1)
    draws = [service_time(rng, business) for _ in range(20000)]
    assert sum(draws) / len(draws) == pytest.approx(900.0, rel=0.03)
    tail = [x for x in draws if x > 25 * 60]
    assert len(tail) / len(draws) == pytest.approx(0.2, abs=0.02)
    assert sum(1800 <= x <= 2700 for x in tail) / len(tail) > 0.85  # measured 0.89
    quick = next(s for s in FOUR_SERVICES if s.id == "quick")
    assert max(service_time(rng, quick) for _ in range(5000)) < 15 * 60


def test_the_four_service_hall_serves_business_at_its_desk_and_elsewhere():
    """Four services with prefixes A-D; window 2 announces business and complex and calls only those."""
    hall = hall_for("four_services")
    assert [(s.id, s.prefix) for s in hall.services] == [("quick", "A"), ("standard", "B"), ("complex", "C"),
                                                          ("business", "D")]
    d = day("four_services", 0)
    service: dict[str, str] = {}
    at_desk, business_windows = [], set()
    for e in d.events:
        if e["type"] in ("ticket.issued", "ticket.transferred"):
            service[e["ticket"]] = e["service"]
        elif e["type"] == "window.opened" and e["window"] == "2":
            assert sorted(e["services"]) == ["business", "complex"]
        elif e["type"] == "ticket.called":
            if e["window"] == "2":
                at_desk.append(service[e["ticket"]])
            if service[e["ticket"]] == "business":
                business_windows.add(e["window"])
    assert at_desk and set(at_desk) <= {"business", "complex"}
    assert len(business_windows) > 1
    served = [t["ended"] - t["called"] for t in d.tickets.values()
              if t["service"] == "business" and t["status"] == "served" and "transfer" not in t]
    assert served and max(served) > 30 * 60


def test_a_clerk_back_before_the_visit_ends_leaves_the_window_as_the_plan_wants():
    """Plan closes window 2 at 10:00 mid-visit; its clerk is away 10:10-10:20: it still closes after the visit."""
    from dataclasses import replace

    from server.simulator.scenarios import Hall, Scenario, Service, Window

    hall = Hall(id="slow-hall", services=(Service("slow", "S", 7200.0, 0.05),), windows=(Window("1"), Window("2")))
    sc = Scenario(name="slow", expected_tickets=40.0, hourly_profile=(0.125,) * 8, mix={"slow": 1.0}, windows=2,
                  plan=((-300.0, 2), (3600.0, 1)), opening_burst=3.0, patience_mean_s=1e9, impatient_share=0.0,
                  slow_share=0.0, transfer_share=0.0, absent=((2, 4200.0, 4800.0),))
    for seed in range(3):
        d = simulate_day(sc, seed, hall=hall)
        called_2 = calls(d, "2")
        assert len(called_2) == 1, seed  # the 09:00 visit only; nobody after the plan let it go
        closed = [parse_at(e) for e in d.events if e["type"] == "window.closed" and e["window"] == "2"]
        assert closed and closed[0] > at(d, "10:20")
    # The same day without the absence does the same: the absence changed nothing the plan decides.
    assert len(calls(simulate_day(replace(sc, absent=()), 0, hall=hall), "2")) == 1
