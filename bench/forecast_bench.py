"""Forecast benchmark: does "when to come" rank the week's hours the way the next week realises them?

Simulated weeks of the sample hall, each date's kind of day by the calendar (weekends quiet,
the month's last two days and first day month end, else normal: ``scenario_for_date``), seeds
differing per date. For each week after the first ``--train`` ones, the forecast learned from
every earlier day (``server/forecast.py``, fed as the server feeds it: the hour a ticket was
taken and its wait to the first call) is compared with what that week realised, per (weekday,
hour) cell that both have: Spearman's rank correlation of the typical (median) wait, and of the
share over 15 min; and how often the forecast's quiet hours were in that week's lowest third.

    .venv/bin/python bench/forecast_bench.py [--weeks 8] [--train 2] [--start 2026-10-05]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.forecast import LONG_S, WaitHistory  # noqa: E402
from server.simulator.day import simulate_day  # noqa: E402
from server.simulator.scenarios import scenario_for_date  # noqa: E402


Waits = list[tuple[float, float]]


def day_waits(day: dt.date, seed: int) -> Waits:
    """(local second taken, wait to the first call) of every called ticket of one simulated day."""
    sim = simulate_day(scenario_for_date(day), seed=seed, date=day)
    open_s = sim.t0.hour * 3600 + sim.t0.minute * 60
    return [(open_s + t["issued"], t["called"] - t["issued"]) for t in sim.tickets.values() if "called" in t]


def ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=values.__getitem__)
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2.0
        i = j + 1
    return out


def spearman(xs: list[float], ys: list[float]) -> float:
    rx, ry = ranks(xs), ranks(ys)
    mx, my = statistics.fmean(rx), statistics.fmean(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    var = (sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry)) ** 0.5
    return cov / var if var else float("nan")  # one side all equal (no wait over 15 min): undefined


def realised(week: dict[dt.date, Waits]) -> dict[tuple[int, int], tuple[float, float]]:
    """Per (weekday, hour): the median wait and the share over 15 min that the week realised."""
    cells: dict[tuple[int, int], list[float]] = {}
    for day, waits in week.items():
        for at_s, wait_s in waits:
            cells.setdefault((day.weekday(), int(at_s // 3600)), []).append(wait_s)
    return {key: (statistics.median(w), sum(1 for x in w if x > LONG_S) / len(w)) for key, w in cells.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--train", type=int, default=2, help="weeks learned before the first scored week")
    parser.add_argument("--start", default="2026-10-05", help="a Monday")
    args = parser.parse_args()
    start = dt.date.fromisoformat(args.start)
    weeks = [{start + dt.timedelta(days=7 * w + d): day_waits(start + dt.timedelta(days=7 * w + d), seed=7 * w + d)
              for d in range(7)} for w in range(args.weeks)]
    history = WaitHistory()
    rows = []
    for w, week in enumerate(weeks):
        if w >= args.train:
            truth = realised(week)
            trusted = history.trusted()
            keys = sorted(set(trusted) & set(truth))
            rho_wait = spearman([trusted[k].wait_s for k in keys], [truth[k][0] for k in keys])
            rho_share = spearman([trusted[k].over_share for k in keys], [truth[k][1] for k in keys])
            waits = sorted(truth[k][0] for k in keys)
            bar = waits[(len(waits) - 1) // 3]
            quiet = [k for k in history.quiet_cells() if k in truth]
            hit = sum(1 for k in quiet if truth[k][0] <= bar) / len(quiet) if quiet else float("nan")
            kinds = ",".join(sorted({scenario_for_date(d) for d in week}))
            last = realised(weeks[w - 1])
            both = [k for k in keys if k in last]
            rho_last = spearman([last[k][0] for k in both], [truth[k][0] for k in both])
            rows.append((rho_wait, rho_share, hit, rho_last))
            print(f"week of {min(week)} ({kinds}): {len(keys)} cells, Spearman wait {rho_wait:.3f} "
                  f"(last week's alone {rho_last:.3f}), "
                  f"share>15 {rho_share:.3f}, quiet hours in its lowest third {hit:.0%} ({len(quiet)} hours)")
        for day, waits in sorted(week.items()):
            history.add_day(day, waits)
    if rows:
        def mean(i: int) -> float:
            return statistics.fmean(r[i] for r in rows if r[i] == r[i])  # NaN != NaN: undefined weeks left out

        print(f"mean over {len(rows)} weeks: Spearman wait {mean(0):.3f} (min {min(r[0] for r in rows):.3f}; "
              f"last week's alone {mean(3):.3f}), share>15 {mean(1):.3f}, quiet hits {mean(2):.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
