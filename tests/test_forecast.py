"""When to come: the (weekday, hour) forecast, its quiet hours, and how it ranks simulated weeks."""

from __future__ import annotations

import datetime as dt
import statistics

from server.forecast import MIN_DAYS, WaitHistory, forecast_json, quiet_phrase, quiet_runs
from server.simulator.day import simulate_day
from server.simulator.scenarios import scenario_for_date

TUESDAY = dt.date(2026, 12, 1)


def hours(waits_by_hour: dict[int, float], per_hour: int = 4) -> list[tuple[float, float]]:
    """``per_hour`` tickets taken in each hour, all waiting the given seconds."""
    return [(hour * 3600 + 60 * i, wait) for hour, wait in waits_by_hour.items() for i in range(per_hour)]


def busy_but_for_the_afternoon() -> dict[int, float]:
    return {9: 1200, 10: 1500, 11: 1800, 12: 2400, 13: 900, 14: 120, 15: 180, 16: 1500}


def test_a_day_teaches_each_hour_its_median_wait_and_share_over_15_min():
    history = WaitHistory()
    history.add_day(TUESDAY, [(9 * 3600, 60), (9 * 3600 + 10, 1000), (9 * 3600 + 20, 2000), (10 * 3600, 30)])
    cell = history.cells[(1, 9)]
    assert (cell.wait_s, round(cell.over_share, 3), cell.tickets, cell.days) == (1000, 0.667, 3, 1)
    history.add_day(TUESDAY, [(9 * 3600, 5000)])  # the same day again teaches nothing
    history.add_day(TUESDAY + dt.timedelta(days=1), [])  # a closed day neither
    assert history.days == 1 and history.cells[(1, 9)].wait_s == 1000
    history.add_day(TUESDAY + dt.timedelta(days=7), [(9 * 3600, 0)])
    assert history.cells[(1, 9)].wait_s == 500 and history.cells[(1, 9)].days == 2


def test_quiet_hours_are_the_lowest_third_and_read_like_the_ticker():
    history = WaitHistory()
    for week in range(MIN_DAYS):
        history.add_day(TUESDAY + dt.timedelta(days=7 * week), hours(busy_but_for_the_afternoon()))
    monday_evening = dt.datetime(2026, 12, 14, 18, 0)
    runs = quiet_runs(history, monday_evening)
    assert [(r.day, r.from_hour, r.to_hour) for r in runs] == [(dt.date(2026, 12, 15), 13, 16)]
    assert quiet_phrase(runs[0], monday_evening.date()) == {"zh": "明天 13:00–16:00", "en": "tomorrow 13:00–16:00"}
    # At 14:40 on the Tuesday, 14:00 is mostly gone: the rest of today first, then next week.
    runs = quiet_runs(history, dt.datetime(2026, 12, 15, 14, 40))
    assert [(r.day, r.from_hour, r.to_hour) for r in runs][:2] == [(dt.date(2026, 12, 15), 15, 16),
                                                                     (dt.date(2026, 12, 22), 13, 16)]
    assert quiet_phrase(runs[1], dt.date(2026, 12, 15))["en"] == "on Tuesday 13:00–16:00"


def test_one_day_is_not_enough_to_call_an_hour_quiet():
    history = WaitHistory()
    history.add_day(TUESDAY, hours(busy_but_for_the_afternoon()))
    assert history.quiet_cells() == set() and quiet_runs(history, dt.datetime(2026, 12, 7, 9)) == []


def test_the_history_survives_export_and_restore():
    history = WaitHistory()
    history.add_day(TUESDAY, hours(busy_but_for_the_afternoon()))
    history.add_day(TUESDAY + dt.timedelta(days=7), hours(busy_but_for_the_afternoon()))
    copy = WaitHistory.restore(history.export())
    now = dt.datetime(2026, 12, 20, 9)
    assert forecast_json(copy, now) == forecast_json(history, now)
    copy.add_day(TUESDAY, hours({9: 0}))
    assert copy.days == 2  # it remembers the last day it learned


def _week(start: dt.date, seed: int) -> dict[dt.date, list[tuple[float, float]]]:
    out = {}
    for d in range(7):
        day = start + dt.timedelta(days=d)
        sim = simulate_day(scenario_for_date(day), seed=seed + d, date=day)
        open_s = sim.t0.hour * 3600 + sim.t0.minute * 60
        out[day] = [(open_s + t["issued"], t["called"] - t["issued"]) for t in sim.tickets.values() if "called" in t]
    return out


def test_on_simulated_weeks_the_quiet_hours_are_quieter_next_week():
    """Learned on three simulated weeks, the forecast's quiet hours wait less the fourth week than the rest."""
    start = dt.date(2026, 11, 2)  # a Monday
    weeks = [_week(start + dt.timedelta(days=7 * w), seed=100 * w) for w in range(4)]
    history = WaitHistory()
    for week in weeks[:3]:
        for day, waits in sorted(week.items()):
            history.add_day(day, waits)
    realised: dict[tuple[int, int], list[float]] = {}
    for day, waits in weeks[3].items():
        for at_s, wait in waits:
            realised.setdefault((day.weekday(), int(at_s // 3600)), []).append(wait)
    quiet = history.quiet_cells()
    quiet_waits = [statistics.median(w) for k, w in realised.items() if k in quiet]
    other_waits = [statistics.median(w) for k, w in realised.items() if k not in quiet]
    assert len(quiet_waits) >= 10 and other_waits
    assert statistics.fmean(quiet_waits) < 0.7 * statistics.fmean(other_waits)  # measured: 49 s against 110 s
