"""Wait-estimate benchmark: our estimate against LES, HOL and the vendor formula, side by side.

Replays simulated days through the real Hall (history days teach it, scored days are
measured), or any JSONL log in our protocol, and scores each ticket's estimate taken right
after its ticket.issued against its realised wait (issue -> first call, read from the stream).

    .venv/bin/python bench/estimate_bench.py                     # the stages (below), every case
    .venv/bin/python bench/estimate_bench.py --scenario quiet_half_lunch --seeds 3 --traces
    .venv/bin/python bench/estimate_bench.py --scenario month_end --days 60 --history 20   # one long run
    .venv/bin/python bench/estimate_bench.py --no-stages         # month_end and normal, 40 days after 14
    .venv/bin/python bench/estimate_bench.py --events /work/shared/traces/*.jsonl --plots ''

Stages (issue 13): each case's scored day is replayed on a fresh hall three times, after no,
one and seven earlier days, for --seeds independent days; the shared traces are scored on a
fresh hall each (first day). Writes bench/results/estimate-stages.json. --history/--days (or
--no-stages) run the single long run instead, writing bench/results/estimate.json and, for
month-end days, the estimate-vs-realised plot (--plots DIR; '' for none).

Definitions: docs/estimates.md.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import hashlib
import json
import math
import os
import platform
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.metrics import precision_recall, summary  # noqa: E402
from bench.replay import (  # noqa: E402
    ESTIMATORS,
    FIXED_SERVICE_S,
    TIME_BANDS,
    Scored,
    Scorer,
    StreamView,
    configured_mean_s,
    hall_config,
    read_jsonl,
    sim_hall_services,
    sim_hall_windows,
    stream_windows,
)
from server.alerts import AlertKind  # noqa: E402
from server.config_file import load_config  # noqa: E402
from server.errors import InvalidEvent  # noqa: E402
from server.events import parse_event  # noqa: E402
from server.hall import Hall  # noqa: E402
from server.config import HallConfig  # noqa: E402
from server.simulator import sample_hall, simulate_day  # noqa: E402
from server.simulator.day import Day  # noqa: E402
from server.simulator.scenarios import Hall as SimHall  # noqa: E402
from server.simulator.scenarios import get_scenario, hall_for  # noqa: E402

LABELS = {"ours": "ours", "les": "LES", "hol": "HOL", "vendor_recent": "vendor (last 30)",
          "vendor_fixed": "vendor (5.5 min)"}
BASELINES = ESTIMATORS[1:]
SCENARIO_SETS = {"all": ("month_end", "normal"), "month_end": ("month_end",), "normal": ("normal",),
                 "quiet": ("quiet",)}
# Scored days start on a Monday; any date works, the scenario (not the calendar) sets the kind of day.
START = dt.date(2026, 3, 2)
RASE_TARGET = 0.5  # ours at most half the best baseline's, on month-end days
COVERAGE_TARGET = (0.75, 0.85)
CARE_LEAD_S = 300.0  # an early-care flag is useful when it comes at least 5 min before minute 15


def care_soon_known() -> bool:
    return "care_soon" in {str(k) for k in AlertKind}


def run_scenario(scenario: str, days: int, history: int, seed: int) -> dict[str, Any]:
    """One hall, ``history`` days of learning then ``days`` scored days, all of one kind."""
    sim_hall = sample_hall(get_scenario(scenario).windows)
    windows = sim_hall_windows(sim_hall)
    config = hall_config(windows, source=f"content/hall.yaml with the {len(windows)}-window simulated hall")
    scorer = Scorer(Hall(config), StreamView(dict(windows)), config.alerts.care_first_min * 60.0)
    for i in range(history + days):
        day = simulate_day(scenario, seed, START + dt.timedelta(days=i), hall=sim_hall)
        scorer.scoring = i >= history
        for obj in day.events:
            scorer.feed(parse_event(obj))
    scorer.finish()
    result = results(scorer)
    result.update(scenario=scenario, days=days, history=history, seed=seed,
                  first_scored_day=(START + dt.timedelta(days=history)).isoformat(),
                  hall_windows=len(windows))
    return result


def run_events(path: str, config_path: str | None) -> dict[str, Any]:
    """A recorded log on a fresh hall: its own earlier days are the only history."""
    scorer = score_events(path, config_path)
    result = results(scorer)
    result.update(events=path, days_in_log=scorer._day)
    return result


def score_events(path: str, config_path: str | None) -> Scorer:
    lines = read_jsonl(path)
    if config_path:
        config = load_config(config_path)
    else:
        windows = stream_windows(ev for _, ev in lines)
        config = hall_config(windows, source=f"content/hall.yaml with the windows of {path}")
    window_services = {w.id: w.services for w in config.windows}
    scorer = Scorer(Hall(config), StreamView(window_services), config.alerts.care_first_min * 60.0)
    for n, ev in lines:
        try:
            scorer.feed(ev)
        except InvalidEvent as exc:
            raise ValueError(f"{path}:{n}: the hall rejected the event: {exc}") from None
    scorer.finish()
    return scorer


def results(scorer: Scorer | Scored) -> dict[str, Any]:
    rows = scorer.scored()
    out: dict[str, Any] = {"tickets_scored": len(rows), "tickets_issued": len(scorer.issued),
                           "table": table(rows), "by_time": {}}
    for band, lo, hi in TIME_BANDS:
        out["by_time"][band] = table([r for r in rows if lo <= r.hour < hi])
    out["care_soon"] = care_soon(scorer)
    out["targets"] = targets(out["table"])
    # Kept for the plot (estimate vs realised), not written to the JSON.
    out["_points"] = {"realised": [r.realised for r in rows], "ours": [r.ours for r in rows],
                      **{b: [r.baselines[b] for r in rows] for b in BASELINES}}
    return out


def table(rows: list) -> dict[str, dict[str, Any]]:
    real = [r.realised for r in rows]
    out = {"ours": summary([r.ours for r in rows], real, [r.low for r in rows], [r.high for r in rows])}
    for b in BASELINES:
        out[b] = summary([r.baselines[b] for r in rows], real)
    return out


def care_soon(scorer: Scorer | Scored) -> dict[str, Any]:
    if not care_soon_known():
        return {"status": "n/a: the hall raises no care_soon alerts yet"}
    out: dict[str, Any] = {"status": "ok", "waits": len(scorer.episodes)}
    for name, lead_s in (("any", 0.0), ("ahead_5min", CARE_LEAD_S)):
        flagged, long = scorer.care_soon_sets(lead_s)
        precision, recall = precision_recall(flagged, long)
        out[name] = {"flagged": len(flagged), "precision": _r(precision), "recall": _r(recall)}
    out["waited_over_care_first"] = len(scorer.care_soon_sets()[1])
    leads = sorted(scorer.care_soon_lead_min())
    out["lead_min_median"] = _r(leads[len(leads) // 2]) if leads else None
    return out


def targets(tab: dict[str, dict[str, Any]]) -> dict[str, Any]:
    ours = tab["ours"]
    rases = {b: tab[b]["rase"] for b in BASELINES if tab[b]["rase"] is not None}
    out: dict[str, Any] = {}
    if ours["rase"] is not None and rases:
        best = min(rases, key=rases.get)
        ratio = ours["rase"] / rases[best] if rases[best] > 0 else math.inf
        out["rase_vs_best_baseline"] = {"best": best, "ratio": _r(ratio), "target": RASE_TARGET,
                                        "met": ratio <= RASE_TARGET}
    if ours.get("coverage") is not None:
        lo, hi = COVERAGE_TARGET
        out["coverage"] = {"value": ours["coverage"], "target": [lo, hi],
                           "met": lo <= ours["coverage"] <= hi}
    if ours.get("coverage_ranged") is not None:
        lo, hi = COVERAGE_TARGET
        out["coverage_ranged"] = {"value": ours["coverage_ranged"], "target": [lo, hi],
                                  "met": lo <= ours["coverage_ranged"] <= hi}
    return out


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


# -- stages (issue 13): the first day, the second, after a week ------------------------------

@dataclass(frozen=True)
class Case:
    """A kind of scored day and the days a hall saw before it.

    ``history`` differs from ``scored`` when the scored day departs from the hall's usual
    pattern (an absent clerk, another lunch); ``kind`` picks the goals (quiet days have their
    own after-a-week goal, care_soon is judged on busy days).
    """

    name: str
    scored: str  # simulator scenario of the scored day
    history: str  # simulator scenario of the earlier days
    kind: str  # busy | normal | quiet
    about: str


CASES: dict[str, Case] = {c.name: c for c in (
    Case("month_end", "month_end", "month_end", "busy", "month-end days, 15 windows, lunch 15 -> 8"),
    Case("normal", "normal", "normal", "normal", "normal days, 10 windows, lunch 10 -> 6"),
    Case("quiet", "quiet", "quiet", "quiet", "quiet days, 8-window hall, 5-6 open, lunch 4"),
    Case("quiet_half_lunch", "quiet_half_lunch", "quiet_half_lunch", "quiet",
         "quiet days, 4 windows, lunch halves them to 2, no priority"),
    Case("four_services", "four_services", "four_services", "normal",
         "four services (one with a 30-45 min tail), 10 windows, 8% priority"),
    Case("four_services_month_end", "four_services_month_end", "four_services_month_end", "busy",
         "four services, 15 windows, month-end plan, 5% priority"),
    Case("absent_clerk", "normal_absent", "normal", "normal",
         "a normal week, then a day with window 2 closed all day, 5 until 11:00, 7 from 15:00"),
    Case("early_lunch", "normal_early_lunch", "normal", "normal",
         "a normal week, then lunch an hour early (11:00-12:30)"),
    Case("late_lunch", "month_end_late_lunch", "month_end", "busy",
         "a month-end week, then lunch an hour late (13:00-14:30)"),
    Case("pattern_shift", "normal_shifted", "normal", "normal",
         "a normal week, then another rota (6/10/5/8/10 windows from 08:55/10:30/11:30/13:00/14:30)"),
)}

STAGES = (("first_day", 0), ("second_day", 1), ("after_7_days", 7))
"""(stage, earlier days the hall learns before the scored day)."""
STAGE_LABELS = {"first_day": "first day", "second_day": "second day", "after_7_days": "after 7 days"}
STAGE_DAY = START + dt.timedelta(days=7)  # the scored day; its history is the week before it
BEST_OF = ("les", "hol", "vendor_fixed")
"""The issue's baselines: LES, HOL and the naive queue length (people ahead x configured mean / windows)."""
RATIO_GOALS = {"first_day": 1.0, "second_day": 0.8, "after_7_days": 0.35}
RATIO_GOAL_QUIET_AFTER_7 = 0.5
CARE_GOAL = 0.85  # precision and recall of care_soon, on busy days
DEFAULT_SEEDS = 6
DEFAULT_TRACES = REPO.parent / "shared" / "traces"


def ratio_goal(stage: str, kind: str) -> float:
    if stage == "after_7_days" and kind == "quiet":
        return RATIO_GOAL_QUIET_AFTER_7
    return RATIO_GOALS[stage]


def bench_config(sim_hall: SimHall) -> HallConfig:
    """What the hall is told: the simulated hall's windows and services, content/hall.yaml otherwise."""
    windows = sim_hall_windows(sim_hall)
    return hall_config(windows, services=sim_hall_services(sim_hall),
                       source=f"content/hall.yaml with the {len(windows)}-window simulated {sim_hall.id}")


def run_stages(case: Case, seed: int, stages: tuple[tuple[str, int], ...] = STAGES) -> dict[str, Any]:
    """One scored day of ``case`` on a fresh hall per stage, after that stage's earlier days.

    Every stage scores the same day (same seed and date), so the stages differ only in what
    the hall learnt before it. Returns per stage the Scored stream and the dates the hall
    received before scoring began (read from the events fed, not from the plan).
    """
    return run_group([case], seed, stages)[0]


def run_group(cases: list[Case], seed: int, stages: tuple[tuple[str, int], ...] = STAGES) -> list[dict[str, Any]]:
    """:func:`run_stages` for cases that share their earlier days: those are replayed once per stage.

    The hall that learnt a stage's days is copied for each case's scored day, so a case is
    scored exactly as on a hall that learnt them itself (a test checks this).
    """
    hist = get_scenario(cases[0].history)
    if any(c.history != hist.name for c in cases):
        raise ValueError("a group shares its earlier days")
    sim_hall = hall_for(hist)
    config = bench_config(sim_hall)
    scored: dict[str, tuple[Day, float]] = {}
    for case in cases:
        sc = get_scenario(case.scored)
        if hall_for(sc) != sim_hall:
            raise ValueError(f"{case.name}: history and scored days must happen in the same hall")
        scored[case.name] = (simulate_day(sc, seed, STAGE_DAY, hall=sim_hall), configured_mean_s(config, sc.mix))
    most = max(n for _, n in stages)
    earlier: list[Day] = [simulate_day(hist, seed, STAGE_DAY - dt.timedelta(days=k), hall=sim_hall)
                          for k in range(most, 0, -1)]
    out: list[dict[str, Any]] = [{"case": c.name, "seed": seed, "day": STAGE_DAY.isoformat(), "stages": {},
                                  "vendor_mean_s": scored[c.name][1]} for c in cases]
    for stage, n in stages:
        learnt_hall = Scorer(Hall(config), StreamView(dict(sim_hall_windows(sim_hall))),
                             config.alerts.care_first_min * 60.0, scoring=False)
        learnt: list[str] = []
        for day in earlier[len(earlier) - n:] if n else []:
            for obj in day.events:
                ev = parse_event(obj)
                local = ev.at.astimezone(learnt_hall.hall.tz).date().isoformat()
                if not learnt or learnt[-1] != local:
                    learnt.append(local)
                learnt_hall.feed(ev)
        for i, case in enumerate(cases):
            scorer = learnt_hall if i == len(cases) - 1 else copy.deepcopy(learnt_hall)
            day, fixed = scored[case.name]
            scorer.view.fixed_service_s = fixed
            scorer.scoring = True
            for obj in day.events:
                scorer.feed(parse_event(obj))
            scorer.finish()
            out[i]["stages"][stage] = {"scored": scorer.result(), "learnt": list(learnt)}
    return out


def best_baseline(tab: dict[str, dict[str, Any]]) -> tuple[str | None, float | None]:
    """(name, ours / best) against the best of LES, HOL and the naive queue length."""
    rases = {b: tab[b]["rase"] for b in BEST_OF if tab[b]["rase"] is not None}
    ours = tab["ours"]["rase"]
    if ours is None or not rases:
        return None, None
    best = min(rases, key=lambda b: rases[b])
    return best, (ours / rases[best] if rases[best] > 0 else math.inf)


def stage_row(parts: list[Scored], stage: str, kind: str) -> dict[str, Any]:
    """One row of the staged table: the scored days pooled, with the goals met or not."""
    res = results(Scored.pool(parts))
    tab = res["table"]
    best, ratio = best_baseline(tab)
    per_seed = [best_baseline(table(p.scored()))[1] for p in parts]
    goal = ratio_goal(stage, kind)
    row: dict[str, Any] = {
        "days": len(parts), "tickets_scored": res["tickets_scored"],
        "mean_wait_min": tab["ours"]["mean_wait_min"],
        "rase": {k: tab[k]["rase"] for k in ESTIMATORS},
        "best": best, "ratio": _r(ratio), "ratio_per_day": [_r(x) for x in per_seed],
        "ratio_goal": goal, "ratio_met": ratio is not None and ratio <= goal,
        "coverage_ranged": tab["ours"].get("coverage_ranged"), "coverage": tab["ours"].get("coverage"),
    }
    cov = row["coverage_ranged"]
    row["coverage_met"] = cov is not None and COVERAGE_TARGET[0] <= cov <= COVERAGE_TARGET[1]
    cs = res["care_soon"]
    if cs["status"] == "ok":
        p, r = cs["any"]["precision"], cs["any"]["recall"]
        row["care_soon"] = {"precision": p, "recall": r, "flagged": cs["any"]["flagged"],
                            "waited_over_care_first": cs["waited_over_care_first"]}
        if kind == "busy" and r is not None:  # no wait passed care_first_min: nothing to judge
            row["care_soon"]["met"] = p is not None and p >= CARE_GOAL and r >= CARE_GOAL
    row["table"] = tab
    row["by_time"] = res["by_time"]
    return row


def trace_kind(path: str) -> str:
    name = Path(path).name
    return "busy" if name.startswith("month_end") else "quiet" if name.startswith("quiet") else "normal"


def default_traces(scenario: list[str] | None, stages: tuple[tuple[str, int], ...],
                   folder: Path = DEFAULT_TRACES) -> list[str]:
    """The shared traces, in a run of every case that has the first-day stage (they have no other)."""
    if scenario is not None or not any(s == "first_day" for s, _ in stages) or not folder.is_dir():
        return []
    return sorted(str(p) for p in folder.glob("*.jsonl"))


def _stage_task(task: tuple[str, Any]) -> list[dict[str, Any]]:
    what, arg = task
    if what == "trace":
        return [{"trace": arg, "scored": score_events(arg, None).result()}]
    names, seed, stages = arg
    return run_group([CASES[n] for n in names], seed, stages)


def run_staged(cases: list[str], seeds: list[int], traces: list[str], jobs: int,
               stages: tuple[tuple[str, int], ...] = STAGES) -> dict[str, Any]:
    groups: dict[str, list[str]] = {}
    for name in cases:
        groups.setdefault(CASES[name].history, []).append(name)

    def cost(names: list[str]) -> float:
        # earlier days replayed once per stage, scored days per case; the busiest days take longest
        days = sum(n for _, n in stages) + len(stages) * len(names)
        return get_scenario(CASES[names[0]].history).expected_tickets * days

    # The costliest first, so the workers finish together.
    order = sorted(groups.values(), key=lambda names: -cost(names))
    tasks: list[tuple[str, Any]] = [("case", (names, s, stages)) for names in order for s in seeds]
    tasks += [("trace", t) for t in traces]
    if jobs > 1 and len(tasks) > 1:
        with ProcessPoolExecutor(jobs) as pool:
            done = [r for rs in pool.map(_stage_task, tasks) for r in rs]
    else:
        done = [r for t in tasks for r in _stage_task(t)]
    out: dict[str, Any] = {"cases": {}, "traces": {}}
    for name in cases:
        case = CASES[name]
        runs = [d for d in done if d.get("case") == name]
        entry: dict[str, Any] = {"about": case.about, "kind": case.kind, "scored_scenario": case.scored,
                                 "history_scenario": case.history, "seeds": [d["seed"] for d in runs],
                                 "vendor_mean_min": round(runs[0]["vendor_mean_s"] / 60.0, 3), "stages": {}}
        for stage, n in stages:
            row = stage_row([d["stages"][stage]["scored"] for d in runs], stage, case.kind)
            row["days_learnt"] = n
            entry["stages"][stage] = row
        out["cases"][name] = entry
    for d in done:
        if "trace" in d:
            row = stage_row([d["scored"]], "first_day", trace_kind(d["trace"]))
            row["days_learnt"] = 0
            out["traces"][d["trace"]] = {"kind": trace_kind(d["trace"]), "vendor_mean_min": FIXED_SERVICE_S / 60.0,
                                         "stages": {"first_day": row}}
    return out


def _staged_rows(report: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    rows = [(name, e) for name, e in report["cases"].items()]
    rows += [(Path(t).stem, e) for t, e in report["traces"].items()]
    return [(name, entry["kind"], {"stage": stage, "vendor_mean_min": entry.get("vendor_mean_min"), **row})
            for name, entry in rows for stage, row in entry["stages"].items()]


def baseline_label(name: str, vendor_mean_min: float | None) -> str:
    """The docs' name of a baseline; the naive queue length names its configured mean."""
    if name == "vendor_fixed" and vendor_mean_min is not None:
        return f"vendor ({vendor_mean_min:.1f} min)"
    return LABELS[name]


def markdown_staged(report: dict[str, Any]) -> str:
    """The staged table as Markdown, for docs/estimates.md (rendered from a saved JSON)."""
    lines = ["| case | kind | stage | days | tickets | mean wait | ours | best baseline | ratio | goal "
             "| per-day ratio | range coverage (told a range) | care_soon P / R |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, kind, row in _staged_rows(report):
        best = row["best"]
        best_txt = f"{baseline_label(best, row['vendor_mean_min'])} {fmt(row['rase'][best], 'ratio')}" if best else "–"
        ratio = "–" if row["ratio"] is None else f"{row['ratio']:.2f}"
        met = "met" if row["ratio_met"] else "**not met**"
        days = [x for x in row["ratio_per_day"] if x is not None]
        spread = f"{min(days):.2f}–{max(days):.2f}" if len(days) > 1 else ""
        cov = fmt(row["coverage_ranged"], "share") + ("" if row["coverage_met"] else " (not met)")
        cs = row.get("care_soon")
        care = "n/a" if cs is None else f"{fmt(cs['precision'], 'share')} / {fmt(cs['recall'], 'share')}"
        if cs is not None and "met" in cs:
            care += "" if cs["met"] else " (not met)"
        lines.append(f"| {name} | {kind} | {STAGE_LABELS[row['stage']]} | {row['days']} | {row['tickets_scored']:,} "
                     f"| {fmt(row['mean_wait_min'], 'min')} min | {fmt(row['rase']['ours'], 'ratio')} | {best_txt} "
                     f"| {ratio} | ≤ {row['ratio_goal']}x {met} | {spread} | {cov} | {care} |")
    return "\n".join(lines)


def print_staged(report: dict[str, Any]) -> None:
    """One compact table: rows case x stage, the goals MET / NOT MET."""
    head = (f"{'case':24}{'stage':14}{'kind':7}{'days':>5}{'tickets':>8}{'wait':>6}{'ours':>7}"
            f"{'best baseline':>24}{'ratio':>7}  {'goal':15}{'per-day ratio':>14}  {'range cov.':16}"
            f"{'care_soon P/R':22}")
    print("\n== Stages (issue 13): RASE of ours / best of LES, HOL, vendor (naive QL) ==")
    print(head)
    for name, kind, row in _staged_rows(report):
        stage, best = row["stage"], row["best"]
        best_txt = f"{baseline_label(best, row['vendor_mean_min'])} {fmt(row['rase'][best], 'ratio')}" if best else "–"
        met = "MET" if row["ratio_met"] else "NOT MET"
        seeds = [x for x in row["ratio_per_day"] if x is not None]
        spread = f"{min(seeds):.2f}-{max(seeds):.2f}" if len(seeds) > 1 else ""
        cov = row["coverage_ranged"]
        cov_txt = f"{fmt(cov, 'share')} {'MET' if row['coverage_met'] else 'NOT MET'}"
        cs = row.get("care_soon")
        if cs is None:
            care = "n/a"
        else:
            care = f"{fmt(cs['precision'], 'share')}/{fmt(cs['recall'], 'share')}"
            if "met" in cs:
                care += " MET" if cs["met"] else " NOT MET"
        ratio = "–" if row["ratio"] is None else f"{row['ratio']:.2f}"
        print(f"{name[:23]:24}{STAGE_LABELS[stage]:14}{kind:7}{row['days']:>5}"
              f"{row['tickets_scored']:>8}{fmt(row['mean_wait_min'], 'min'):>6}"
              f"{fmt(row['rase']['ours'], 'ratio'):>7}{best_txt:>24}{ratio:>7}  "
              f"{'≤' + str(row['ratio_goal']) + 'x ' + met:15}{spread:>14}  {cov_txt:16}{care:22}")
    print("goals: ratio ≤1.0x first day, ≤0.8x second, ≤0.35x after 7 days (≤0.5x quiet); range coverage "
          "75-85% of tickets told a range; care_soon P and R ≥85% on busy days. wait = mean realised (min)")


# -- output ------------------------------------------------------------------------------------

def fmt(value: Any, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "share":
        return f"{100 * value:.1f}%"
    if kind == "bias":
        return f"{value:+.2f}"
    if kind == "min":
        return f"{value:.2f}"
    return f"{value:.3f}"


def print_table(title: str, result: dict[str, Any]) -> None:
    tab = result["table"]
    cols = list(ESTIMATORS)
    width = 17
    print(f"\n== {title}: {result['tickets_scored']} called tickets scored ==")
    print(f"{'':22}" + "".join(f"{LABELS[c]:>{width}}" for c in cols))
    for key, name, kind in (("rase", "RASE", "ratio"), ("rase_waited", "RASE (waited > 0)", "ratio"), ("rmse_min", "RMSE (min)", "min"),
                            ("bias_min", "bias (min)", "bias"), ("within_5min", "within ±5 min", "share"),
                            ("worst_error_min", "worst error (min)", "min"),
                            ("coverage", "range coverage", "share"),
                            ("coverage_waited", "  (waited > 0)", "share"),
                            ("coverage_ranged", "  (told a range)", "share")):
        cells = []
        for c in cols:
            v = tab[c].get(key)
            cells.append("" if key.startswith("coverage") and c != "ours" else fmt(v, kind))
        print(f"{name:22}" + "".join(f"{x:>{width}}" for x in cells))
    cs = result["care_soon"]
    if cs["status"] == "ok":
        for name, title in (("any", "care_soon P / R"), ("ahead_5min", "  ... 5+ min ahead")):
            row = cs[name]
            print(f"{title:22}{fmt(row['precision'], 'share') + ' / ' + fmt(row['recall'], 'share'):>{width}}"
                  f"   ({row['flagged']} flagged)")
        print(f"{'':22}{cs['waited_over_care_first']} of {cs['waits']} waits passed care_first_min;"
              f" median lead of true flags {cs['lead_min_median']} min")
    else:
        print(f"{'care_soon P / R':22}{cs['status']:>{width}}")
    print("by time of issue (RASE / RMSE min):")
    for band, _, _ in TIME_BANDS:
        sub = result["by_time"][band]
        cells = [f"{fmt(sub[c]['rase'], 'ratio')} / {fmt(sub[c]['rmse_min'], 'min')}" for c in cols]
        print(f"  {band:8} n={sub['ours']['n']:<9}" + "".join(f"{x:>{width}}" for x in cells))
    for name, t in result["targets"].items():
        print(f"target {name}: {'MET' if t['met'] else 'NOT MET'} "
              f"({json.dumps({k: v for k, v in t.items() if k != 'met'})})")


def plot(points: dict[str, list[float]], best: str, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    real = [r / 60 for r in points["realised"]]
    top = max(5.0, sorted(real)[int(0.995 * (len(real) - 1))] * 1.1) if real else 30.0
    fig, axes = plt.subplots(1, 2, figsize=(11, 5), sharex=True, sharey=True)
    for ax, key in zip(axes, ("ours", best)):
        est = [e / 60 for e in points[key]]
        hb = ax.hexbin(est, real, gridsize=45, extent=(0, top, 0, top), mincnt=1, bins="log", cmap="viridis")
        ax.plot([0, top], [0, top], color="crimson", lw=1, label="estimate = realised")
        ax.plot([0, top], [5, top + 5], color="crimson", lw=0.7, ls="--", label="±5 min")
        ax.plot([5, top], [0, top - 5], color="crimson", lw=0.7, ls="--")
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)
        ax.set_title(f"{LABELS[key]}")
        ax.set_xlabel("estimate at issue (min)")
        ax.legend(loc="upper left", fontsize=8)
        fig.colorbar(hb, ax=ax, label="tickets")
    axes[0].set_ylabel("realised wait, issue to first call (min)")
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def estimator_version() -> dict[str, Any]:
    """Which estimator was measured: last commit of its files, and whether the tree differs."""
    files = ["server/estimate.py", "server/hall.py", "server/tickets.py", "server/care.py", "server/waits.py",
             "server/window_plan.py", "server/learning.py", "server/queueing.py"]

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    digest = hashlib.sha256()
    for f in files:
        p = REPO / f
        digest.update(p.read_bytes() if p.exists() else b"")
    return {"commit": git("log", "-1", "--format=%h %cs %s", "--", *files) or None,
            "uncommitted_changes": bool(git("status", "--porcelain", "--", *files)),
            "sha256_estimate_and_hall": digest.hexdigest()[:12]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stages", action=argparse.BooleanOptionalAction, default=True,
                    help="the staged run (default); --no-stages, --days or --history: the single long run")
    ap.add_argument("--days", type=int, default=None,
                    help="long run: scored days per scenario (default 40)")
    ap.add_argument("--history", type=int, default=None,
                    help="long run: days replayed before them for learning only (default 14)")
    ap.add_argument("--scenario", nargs="+", choices=sorted(set(SCENARIO_SETS) | set(CASES)), default=None,
                    help="stages: the cases (default every case, and the shared traces); "
                         "long run: all = month_end and normal (default)")
    ap.add_argument("--seed", type=int, default=1, help="first seed (default 1)")
    ap.add_argument("--seeds", type=int, default=DEFAULT_SEEDS,
                    help=f"stages: independent scored days per case, seeds --seed.. (default {DEFAULT_SEEDS})")
    ap.add_argument("--stage", nargs="+", choices=[s for s, _ in STAGES], default=None, dest="only",
                    help="stages: run only these (default all three)")
    ap.add_argument("--traces", nargs="*", metavar="FILE.jsonl", default=None,
                    help="stages: recorded days scored on a fresh hall each (default, without --scenario: "
                         f"{DEFAULT_TRACES}/*.jsonl; --traces alone: none)")
    ap.add_argument("--events", nargs="+", metavar="FILE.jsonl",
                    help="score these logs instead of simulated days (one fresh hall per file)")
    ap.add_argument("--config", help="hall config for --events (default: content/hall.yaml with the "
                                     "windows the log uses)")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                    help="processes replaying in parallel (default 2)")
    ap.add_argument("--out", default=None,
                    help="JSON results (default bench/results/estimate-stages.json for the stages, "
                         "bench/results/estimate.json otherwise; '' for none)")
    ap.add_argument("--plots", default=str(REPO / "docs/img"), help="long run: directory for the PNG ('' for none)")
    ap.add_argument("--markdown", metavar="STAGES.json",
                    help="print the staged table of a saved run as Markdown, and nothing else")
    args = ap.parse_args(argv)
    if args.markdown:
        try:
            print(markdown_staged(json.loads(Path(args.markdown).read_text(encoding="utf-8"))))
        except (OSError, ValueError, KeyError) as exc:
            print(f"estimate_bench: {args.markdown}: not a staged run ({exc})", file=sys.stderr)
            return 2
        return 0
    staged = args.stages and args.days is None and args.history is None and not args.events
    days = 40 if args.days is None else args.days
    history = 14 if args.history is None else args.history
    if days < 1 or history < 0:
        ap.error("--days must be at least 1 and --history at least 0")
    if args.seeds < 1:
        ap.error("--seeds must be at least 1")
    if args.out is None:
        args.out = str(REPO / "bench/results" / ("estimate-stages.json" if staged else "estimate.json"))

    started = time.perf_counter()
    report: dict[str, Any] = {
        "estimator": estimator_version(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "care_soon_available": care_soon_known(),
    }
    if args.events:
        report["events"] = {}
        for path in args.events:
            try:
                res = run_events(path, args.config)
            except (OSError, ValueError) as exc:
                print(f"estimate_bench: {exc}", file=sys.stderr)
                return 2
            report["events"][path] = res
            print_table(f"{path} ({res['days_in_log']} day(s), no history beyond the log)", res)
    elif staged:
        unknown = [s for s in args.scenario or [] if s not in CASES and s != "all"]
        if unknown:
            ap.error(f"no staged case {', '.join(unknown)} (one of {', '.join(CASES)})")
        everything = not args.scenario or "all" in args.scenario
        cases = list(CASES) if everything else list(dict.fromkeys(args.scenario))
        seeds = list(range(args.seed, args.seed + args.seeds))
        stages = tuple((s, n) for s, n in STAGES if args.only is None or s in args.only)
        traces = args.traces if args.traces is not None else default_traces(args.scenario, stages)
        report["run"] = {"mode": "stages", "seeds": seeds, "scored_day": STAGE_DAY.isoformat(),
                         "stages": {s: n for s, n in stages}, "best_of": list(BEST_OF), "jobs": args.jobs}
        try:
            report.update(run_staged(cases, seeds, traces, max(1, args.jobs), stages))
        except (OSError, ValueError) as exc:
            print(f"estimate_bench: {exc}", file=sys.stderr)
            return 2
        print_staged(report)
    else:
        names = args.scenario or ["all"]
        unknown = [s for s in names if s not in SCENARIO_SETS]
        if unknown:
            ap.error(f"--scenario {', '.join(unknown)} is a staged case; the long run takes "
                     f"{', '.join(SCENARIO_SETS)}")
        scenarios = tuple(dict.fromkeys(s for n in names for s in SCENARIO_SETS[n]))
        report["run"] = {"days": days, "history": history, "seed": args.seed}
        jobs = max(1, min(args.jobs, len(scenarios)))
        if jobs > 1:
            with ProcessPoolExecutor(jobs) as pool:
                done = list(pool.map(run_scenario, scenarios, [days] * len(scenarios),
                                     [history] * len(scenarios), [args.seed] * len(scenarios)))
        else:
            done = [run_scenario(s, days, history, args.seed) for s in scenarios]
        report["scenarios"] = {}
        for res in done:
            report["scenarios"][res["scenario"]] = res
            print_table(f"{res['scenario']}: {res['days']} days after {res['history']} days of history", res)
            if res["scenario"] == "month_end" and args.plots:
                best = res["targets"].get("rase_vs_best_baseline", {}).get("best", "les")
                path = Path(args.plots) / "estimate-vs-realised.png"
                plot(res["_points"], best, path,
                     f"Month-end days: estimate at issue vs realised wait ({res['tickets_scored']} tickets, "
                     f"{res['days']} days)")
                print(f"plot: {path}")
    report["seconds"] = round(time.perf_counter() - started, 1)
    print(f"\n{report['seconds']} s; estimator: {report['estimator']['commit']}"
          f"{' + uncommitted changes' if report['estimator']['uncommitted_changes'] else ''}")
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(_public(report), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"results: {out}")
    return 0


def _public(obj: Any) -> Any:
    """The report without the private plot points."""
    if isinstance(obj, dict):
        return {k: _public(v) for k, v in obj.items() if not k.startswith("_")}
    return obj


if __name__ == "__main__":
    sys.exit(main())
