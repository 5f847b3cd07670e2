"""Staffing benchmark: closed-loop simulated days under each "open another window" policy.

Every policy staffs the same simulated days (same customers, same service times: common random
numbers), through the simulator's controlled mode: it is asked every 30 s of hall time how many
windows it wants, an opening takes 2 min, and the clerks cap it (month end: 15, only 10 over
lunch 11:30-14:00) and floor it (2). Policies:

- fixed: the scenario's counter plan, as written (no clerk cap: it is what the hall does today);
- count-k: open one more when waiting >= k x staffed windows; close one after nobody has waited
  and two windows have stood idle for --close-after-min minutes;
- ours: a Hall fed the events, asked ``hall.staffing_advice()``, swept over one setting of the
  hall config's ``staffing`` section (default ``target_share``; skipped with a message while the
  hall has no staffing advice).

Two references, not policies a hall could run, to show what the clerk limits allow at all:
- all clerks: every clerk the limits allow, all day (the lowest share > 15 min any policy gets
  here, up to the breaks the simulator skips for windows nobody wants at break time);
- oracle: knows the scenario's true arrival rate of each hour and staffs Erlang C's fewest
  windows with P(wait > 15 min) <= the swept target (--oracle-targets, wide enough that its
  curve spans ours' counter-hours).

The goals, per day type, for each of ours' points: at its counter-hours, a share > 15 min at
most 1.1x the oracle curve's (interpolated linearly between its points) and at most the best
count-k's (the count-k curve likewise). A point beyond a curve's counter-hours is not
compared (no extrapolation): the bench says so.

Per policy: counter-hours/day, share of called tickets waiting > 15 and > 30 min, share of lunch
arrivals (12:00-13:30) waiting > 15 min, opens/day; and the curve share > 15 min vs
counter-hours (PNG).

    .venv/bin/python bench/staffing_bench.py [--days 30] [--history 7] [--scenario all] [--jobs 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import fields
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.replay import StreamView, hall_config, sim_hall_windows  # noqa: E402
from server.config import HallConfig  # noqa: E402
from server.events import parse_event  # noqa: E402
from server.hall import Hall  # noqa: E402
from server.queueing import erlang_c_tail  # noqa: E402
from server.simulator import sample_hall, simulate_day  # noqa: E402
from server.simulator.day import Day  # noqa: E402
from server.simulator.scenarios import ClerkLimits, clerk_limits, get_scenario  # noqa: E402

START = dt.date(2026, 3, 2)
LUNCH_ARRIVALS = (10800.0, 16200.0)  # 12:00-13:30: the plan's lunch cut
# k = 1 too: our advice staffs more than count-2, and "at equal counter-hours" needs the count-k
# curve to reach that far (no extrapolation).
DEFAULT_K = {"month_end": (1, 2, 3, 4, 5), "normal": (1, 2, 3, 4, 5, 6), "quiet": (1, 2, 3, 4, 5, 6)}
DEFAULT_TARGETS = (0.02, 0.05, 0.10, 0.20)
# Erlang C's 15-minute tail falls so steeply with windows that 0.02-0.2 move the oracle by
# only ~4 counter-hours; the smaller targets take its curve up to ours' hours.
ORACLE_TARGETS = (0.0001, 0.001, 0.005, 0.02, 0.05, 0.10, 0.20, 0.40)
SCENARIO_SETS = {"all": ("month_end", "normal"), "month_end": ("month_end",), "normal": ("normal",),
                 "quiet": ("quiet",)}
ORACLE_GOAL = 1.1  # ours' share > 15 min at most this times the oracle's, at equal counter-hours
COUNT_K_GOAL = 1.0  # and never more than the best count-k's


# -- policies ----------------------------------------------------------------------------------

class FeedsEvents:
    """A controller that reads each day's events once: the list grows between calls."""

    def __init__(self) -> None:
        self._events: Sequence[dict[str, Any]] | None = None
        self._seen = 0

    def new_events(self, events: Sequence[dict[str, Any]]) -> Sequence[dict[str, Any]]:
        if events is not self._events:  # a new day
            self._events, self._seen = events, 0
        fresh = events[self._seen:]
        self._seen = len(events)
        return fresh


class FixedPlan:
    """The scenario's counter plan, whatever happens."""

    def __init__(self, plan: Sequence[tuple[float, int]]) -> None:
        self.plan = plan

    def __call__(self, now: float, events: Sequence[dict[str, Any]], staffed: int) -> int:
        k = self.plan[0][1]
        for t, n in self.plan:
            if t <= now:
                k = n
        return k


class CountK(FeedsEvents):
    """The field rule: one more window when waiting >= k x staffed; one fewer after a quiet spell."""

    def __init__(self, k: float, close_after_s: float, window_services: dict[str, Any]) -> None:
        super().__init__()
        self.k = k
        self.close_after_s = close_after_s
        self.view = StreamView(window_services)
        self.surplus_since: float | None = None

    def __call__(self, now: float, events: Sequence[dict[str, Any]], staffed: int) -> int:
        for obj in self.new_events(events):
            self.view.receive(parse_event(obj))
        waiting = len(self.view.waiting)
        # Staffed, not open: a clerk already on the way or on a break counts, or the rule
        # would call a second clerk for the same queue while the first walks over.
        if waiting >= self.k * staffed:
            self.surplus_since = None
            return staffed + 1
        if waiting == 0 and self.view.idle_windows() >= 2:
            if self.surplus_since is None:
                self.surplus_since = now
            if now - self.surplus_since >= self.close_after_s:
                self.surplus_since = None
                return staffed - 1
        else:
            self.surplus_since = None
        return staffed


class Oracle:
    """Erlang C staffing at the true arrival rate of the hour: what a perfect forecast allows."""

    def __init__(self, sc: Any, sim_hall: Any, target: float) -> None:
        self.rates = [sc.expected_tickets * share / sum(sc.hourly_profile) / 3600.0 for share in sc.hourly_profile]
        self.hour_s = sim_hall.day_length_s / len(sc.hourly_profile)
        total = sum(sc.mix.values())
        self.mean_s = sum(sim_hall.service(sid).mean_s * share / total for sid, share in sc.mix.items())
        self.target = target
        self.windows = len(sim_hall.windows)

    def __call__(self, now: float, events: Sequence[dict[str, Any]], staffed: int) -> int:
        hour = int(now // self.hour_s)
        rate = self.rates[hour] if 0 <= hour < len(self.rates) else 0.0
        s = 1
        while s < self.windows and erlang_c_tail(s, rate * self.mean_s, self.mean_s, 900.0) > self.target:
            s += 1
        return s


class Ours(FeedsEvents):
    """Our hall's advice: the Hall learns from every event and says how many windows to staff."""

    def __init__(self, hall: Hall) -> None:
        super().__init__()
        self.hall = hall

    def __call__(self, now: float, events: Sequence[dict[str, Any]], staffed: int) -> int:
        self.feed(self.new_events(events))
        advice = self.hall.staffing_advice()
        return staffed if advice is None else int(advice)

    def feed(self, events: Sequence[dict[str, Any]]) -> None:
        for obj in events:
            self.hall.receive(parse_event(obj))
        self.hall.alerts_to_send()  # nobody reads them here; keep the outbox from growing


def ours_available() -> str | None:
    """Why our policy cannot run yet, or None when it can."""
    if not hasattr(Hall, "staffing_advice"):
        return "the hall has no staffing_advice() yet"
    if "staffing" not in {f.name for f in fields(HallConfig)}:
        return "the hall config has no staffing section yet"
    return None


# -- one policy over the days ------------------------------------------------------------------

def run_policy(scenario: str, family: str, param: float | None, days: int, history: int, seed: int,
               close_after_min: float, ours_setting: str = "target_share") -> dict[str, Any]:
    sc = get_scenario(scenario)
    sim_hall = sample_hall(sc.windows)
    windows = sim_hall_windows(sim_hall)
    limits = clerk_limits(sc, len(windows))
    dates = [START + dt.timedelta(days=history + i) for i in range(days)]
    ours: Ours | None = None
    if family == "all":
        controller_all: Any = lambda now, events, staffed: len(windows)  # noqa: E731
    if family == "fixed":
        # Exactly the plan: no clerk cap (month end plans 12 from 13:30), no walking delay
        # (the rota has clerks at their windows on time).
        limits = ClerkLimits(clerks=len(windows), lunch_clerks=len(windows), minimum=0, open_delay_s=0.0)
    elif family == "ours":
        ours = Ours(Hall(hall_config(windows, staffing={ours_setting: param},
                                     source=f"content/hall.yaml, staffing.{ours_setting} {param}")))
        for i in range(history):  # the hall learns the days before, staffed by the plan
            ours.feed(simulate_day(sc, seed, START + dt.timedelta(days=i), hall=sim_hall).events)

    per_day = []
    for date in dates:
        if family == "fixed":
            controller: Any = FixedPlan(sc.plan)
        elif family == "count":
            controller = CountK(float(param), close_after_min * 60.0, dict(windows))
        elif family == "all":
            controller = controller_all
        elif family == "oracle":
            controller = Oracle(sc, sim_hall, float(param))
        else:
            controller = ours
        day = simulate_day(sc, seed, date, hall=sim_hall, controller=controller, limits=limits)
        if ours is not None:  # the rest of the day, after the last control step, still teaches
            ours.feed(ours.new_events(day.events))
        per_day.append(day_metrics(day))
    return {"scenario": scenario, "family": family, "param": param,
            "setting": (ours_setting if family == "ours" else "k" if family == "count"
                        else "target_share" if family == "oracle" else None),
            **aggregate(per_day),
            "limits": {"clerks": limits.clerks, "lunch_clerks": limits.lunch_clerks,
                       "minimum": limits.minimum, "open_delay_s": limits.open_delay_s}}


def day_metrics(day: Day) -> dict[str, Any]:
    waits, lunch = [], []
    for t in day.tickets.values():
        if "called" not in t:
            continue
        w = t["called"] - t["issued"]
        waits.append(w)
        if LUNCH_ARRIVALS[0] <= t["issued"] < LUNCH_ARRIVALS[1]:
            lunch.append(w)
    return {"counter_hours": counter_hours(day), "waits": waits, "lunch_waits": lunch,
            "opens": (day.control or {}).get("opens", 0)}


def counter_hours(day: Day) -> float:
    """Hours windows stood open (window.opened to window.closed), summed over windows."""
    opened: dict[str, dt.datetime] = {}
    total = 0.0
    for ev in day.events:
        if ev["type"] == "window.opened":
            opened[ev["window"]] = dt.datetime.fromisoformat(ev["at"])
        elif ev["type"] == "window.closed" and ev["window"] in opened:
            total += (dt.datetime.fromisoformat(ev["at"]) - opened.pop(ev["window"])).total_seconds()
    last = dt.datetime.fromisoformat(day.events[-1]["at"])
    total += sum((last - at).total_seconds() for at in opened.values())  # still open at the end
    return total / 3600.0


def aggregate(per_day: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(per_day)
    waits = [w for d in per_day for w in d["waits"]]
    lunch = [w for d in per_day for w in d["lunch_waits"]]

    def share(values: list[float], over: float) -> float | None:
        return round(sum(v > over for v in values) / len(values), 4) if values else None

    return {
        "days": n,
        "called": len(waits),
        "counter_hours_per_day": round(sum(d["counter_hours"] for d in per_day) / n, 2),
        "share_over_15": share(waits, 900.0),
        "share_over_30": share(waits, 1800.0),
        "lunch_share_over_15": share(lunch, 900.0),
        "mean_wait_min": round(sum(waits) / len(waits) / 60.0, 2) if waits else None,
        "opens_per_day": round(sum(d["opens"] for d in per_day) / n, 1),
    }


# -- comparison, table, plot -------------------------------------------------------------------

def compare(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Ours against the oracle's and the count-k curve at equal counter-hours (linear between points)."""
    def curve(family: str) -> list[tuple[float, float]]:
        return sorted((r["counter_hours_per_day"], r["share_over_15"]) for r in rows if r["family"] == family)

    curves = {"oracle": (curve("oracle"), ORACLE_GOAL), "count_k": (curve("count"), COUNT_K_GOAL)}
    points = []
    for r in rows:
        if r["family"] != "ours":
            continue
        x = r["counter_hours_per_day"]
        point: dict[str, Any] = {r["setting"]: r["param"], "counter_hours": x, "share_over_15": r["share_over_15"]}
        for name, (pts, goal) in curves.items():
            ref = interpolate(pts, x)
            point[f"{name}_share_at_same_hours"] = None if ref is None else round(ref, 4)
            if ref is not None and ref > 0:
                point[f"ratio_to_{name}"] = round(r["share_over_15"] / ref, 3)
                point[f"{name}_met"] = point[f"ratio_to_{name}"] <= goal
        points.append(point)
    return {"goals": f"share > 15 min at most {ORACLE_GOAL} x the oracle curve and at most {COUNT_K_GOAL} x the "
                     "count-k curve, at equal counter-hours",
            "points": points,
            "oracle_met": sum(p.get("oracle_met", False) for p in points),
            "count_k_met": sum(p.get("count_k_met", False) for p in points),
            "oracle_comparable": sum("oracle_met" in p for p in points),
            "count_k_comparable": sum("count_k_met" in p for p in points)}


def print_comparison(c: dict[str, Any]) -> None:
    print(f"goals: {c['goals']}")
    print(f"{'ours':>18}{'counter-h':>11}{'> 15 min':>10}{'oracle there':>14}{'ratio':>8}{'':>9}"
          f"{'count-k there':>15}{'ratio':>8}")
    for p in c["points"]:
        setting = next(iter(p))
        cells = [f"{setting} {p[setting]:g}".rjust(18), f"{p['counter_hours']:>11.1f}",
                 f"{100 * p['share_over_15']:>9.2f}%"]
        for name in ("oracle", "count_k"):
            ref = p[f"{name}_share_at_same_hours"]
            if ref is None:
                cells.append(f"{'beyond its curve':>{14 if name == 'oracle' else 15}}{'':>17}")
                continue
            met = p.get(f"{name}_met")
            cells.append(f"{100 * ref:>{13 if name == 'oracle' else 14}.2f}%"
                         f"{p.get(f'ratio_to_{name}', float('nan')):>7.2f}x"
                         f"{'' if met is None else ' MET' if met else ' NOT MET':>9}")
        print("".join(cells))
    print(f"oracle goal met at {c['oracle_met']} of {c['oracle_comparable']} comparable points, "
          f"count-k goal at {c['count_k_met']} of {c['count_k_comparable']}")


def interpolate(curve: list[tuple[float, float]], x: float) -> float | None:
    """The curve's value at x, None outside its counter-hour range (no extrapolation)."""
    for (x0, y0), (x1, y1) in zip(curve, curve[1:]):
        if x0 <= x <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return None


def label(r: dict[str, Any]) -> str:
    if r["family"] == "fixed":
        return "fixed plan"
    if r["family"] == "all":
        return "(all clerks)"
    if r["family"] == "oracle":
        return f"(oracle) {r['param']:g}"
    if r["family"] == "count":
        return f"count-{r['param']:g}"
    return f"ours {r['setting']} {r['param']:g}"


def print_rows(scenario: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n== {scenario}: {rows[0]['days']} days ==")
    print(f"{'policy':26}{'counter-h/day':>14}{'> 15 min':>10}{'> 30 min':>10}{'lunch > 15':>12}"
          f"{'mean wait':>11}{'opens/day':>11}")
    for r in rows:
        def pct(v: float | None) -> str:
            return "–" if v is None else f"{100 * v:.1f}%"
        print(f"{label(r):26}{r['counter_hours_per_day']:>14.1f}{pct(r['share_over_15']):>10}"
              f"{pct(r['share_over_30']):>10}{pct(r['lunch_share_over_15']):>12}"
              f"{r['mean_wait_min']:>9.1f} m{r['opens_per_day']:>11.1f}")


def plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scenarios = list(report["scenarios"])
    # Top row: every policy; bottom row: the same, zoomed where ours and the oracle lie.
    fig, axes = plt.subplots(2, len(scenarios), figsize=(6 * len(scenarios), 9.6), squeeze=False)
    for ax, scenario in [*zip(axes[0], scenarios), *zip(axes[1], scenarios)]:
        rows = report["scenarios"][scenario]["policies"]
        setting = next((r["setting"] for r in rows if r["family"] == "ours"), "")
        for family, style, name in (("count", "o-", "count-k (k labelled)"), ("ours", "s-", f"ours ({setting})"),
                                    ("oracle", "x:", "oracle: true hourly rates (target_share)"),
                                    ("fixed", "*", "fixed plan"), ("all", "^", "all clerks, all day")):
            pts = sorted((r["counter_hours_per_day"], 100 * r["share_over_15"], r["param"])
                         for r in rows if r["family"] == family)
            if not pts:
                continue
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, label=name,
                    ms=9 if family in ("fixed", "all") else 5)
            if family == "oracle":
                ax.plot([p[0] for p in pts], [ORACLE_GOAL * p[1] for p in pts], ":", color="grey", lw=1,
                        label=f"goal: {ORACLE_GOAL:g} x oracle")
            for x, y, param in pts:
                if param is not None:
                    ax.annotate(f"{param:g}", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
        seed = report.get("run", {}).get("seed")
        of_seed = "" if seed is None else f", seed {seed}"
        ax.set_title(f"{scenario.replace('_', '-')} days ({rows[0]['days']} days{of_seed})")
        near = [r for r in rows if r["family"] in ("ours", "oracle")]
        if ax in axes[1] and near:
            xs = [r["counter_hours_per_day"] for r in near]
            ax.set_xlim(min(xs) - 1.5, max(xs) + 1.5)
            ax.set_ylim(0, 130 * max(r["share_over_15"] for r in near))
            ax.set_title(ax.get_title() + ", zoomed")
        ax.set_xlabel("counter-hours per day")
        ax.set_ylabel("called tickets waiting > 15 min (%)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=int, default=20, help="controlled days per policy (default 20)")
    ap.add_argument("--history", type=int, default=7,
                    help="plan-staffed days our hall learns from first (default 7)")
    ap.add_argument("--scenario", choices=sorted(SCENARIO_SETS), default="all",
                    help="all = month_end and normal (default)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--k", type=float, nargs="+", help="count-k values (default 2-5, 2-6 on normal days)")
    ap.add_argument("--targets", type=float, nargs="+", default=list(DEFAULT_TARGETS),
                    help="values of our swept setting (default 0.02 0.05 0.10 0.20)")
    ap.add_argument("--ours-setting", default="target_share",
                    help="the hall config's staffing setting to sweep (default target_share; "
                         "e.g. target_wait_min with --targets 10 15 20)")
    ap.add_argument("--oracle-targets", type=float, nargs="+", default=list(ORACLE_TARGETS),
                    help="the oracle's target_share values (default: %(default)s)")
    ap.add_argument("--policies", nargs="+", choices=("fixed", "count", "ours", "all", "oracle"),
                    default=["fixed", "count", "ours", "all", "oracle"],
                    help="all and oracle are references (see above), cheap: no Hall in the loop")
    ap.add_argument("--close-after-min", type=float, default=10.0,
                    help="count-k closes a window after this long with nobody waiting (default 10)")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--out", default=str(REPO / "bench/results/staffing.json"), help="JSON results ('' for none)")
    ap.add_argument("--plots", default=str(REPO / "docs/img"), help="directory for the PNG ('' for none)")
    ap.add_argument("--replot", metavar="JSON", help="only draw the curve again from a results file")
    args = ap.parse_args(argv)
    if args.replot:
        path = Path(args.plots or ".") / "staffing-curve.png"
        plot(json.loads(Path(args.replot).read_text(encoding="utf-8")), path)
        print(f"plot: {path}")
        return 0
    if args.days < 1 or args.history < 0:
        ap.error("--days must be at least 1 and --history at least 0")

    started = time.perf_counter()
    report: dict[str, Any] = {"run": {"days": args.days, "history": args.history, "seed": args.seed,
                                      "close_after_min": args.close_after_min,
                                      "ours_setting": args.ours_setting}, "scenarios": {}}
    missing = ours_available() if "ours" in args.policies else None
    if missing:
        print(f"staffing_bench: skipping our policy: {missing}")
        report["ours_skipped"] = missing
    work = []
    for scenario in SCENARIO_SETS[args.scenario]:
        if "fixed" in args.policies:
            work.append((scenario, "fixed", None))
        if "count" in args.policies:
            work += [(scenario, "count", k) for k in (args.k or DEFAULT_K[scenario])]
        if "all" in args.policies:
            work.append((scenario, "all", None))
        if "oracle" in args.policies:
            work += [(scenario, "oracle", t) for t in args.oracle_targets]
        if "ours" in args.policies and not missing:
            work += [(scenario, "ours", t) for t in args.targets]
    call = [(s, f, p, args.days, args.history, args.seed, args.close_after_min, args.ours_setting)
            for s, f, p in work]
    if args.jobs > 1 and len(call) > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            rows = list(pool.map(run_policy, *zip(*call)))
    else:
        rows = [run_policy(*c) for c in call]

    for scenario in SCENARIO_SETS[args.scenario]:
        mine = [r for r in rows if r["scenario"] == scenario]
        if not mine:
            continue
        entry: dict[str, Any] = {"policies": mine}
        if any(r["family"] == "ours" for r in mine):
            entry["ours_vs_oracle_and_count_k"] = compare(mine)
        report["scenarios"][scenario] = entry
        print_rows(scenario, mine)
        if "ours_vs_oracle_and_count_k" in entry:
            print_comparison(entry["ours_vs_oracle_and_count_k"])
    report["seconds"] = round(time.perf_counter() - started, 1)
    print(f"\n{report['seconds']} s")
    if args.plots and report["scenarios"]:
        path = Path(args.plots) / "staffing-curve.png"
        plot(report, path)
        print(f"plot: {path}")
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
