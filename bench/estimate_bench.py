"""Wait-estimate benchmark: our estimate against LES, HOL and the vendor formula, side by side.

Replays simulated days through one Hall per scenario (history days teach it, scored days are
measured), or any JSONL log in our protocol, and scores each ticket's estimate taken right
after its ticket.issued against its realised wait (issue -> first call, read from the stream).

    .venv/bin/python bench/estimate_bench.py                     # month_end and normal, defaults below
    .venv/bin/python bench/estimate_bench.py --scenario month_end --days 60 --history 20
    .venv/bin/python bench/estimate_bench.py --events /work/shared/traces/*.jsonl --plots ''

Definitions: docs/estimates.md. Writes JSON (--out) and, for month-end days, the
estimate-vs-realised plot (--plots DIR; '' for none).
"""

from __future__ import annotations

import argparse
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
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.metrics import precision_recall, summary  # noqa: E402
from bench.replay import (  # noqa: E402
    ESTIMATORS,
    TIME_BANDS,
    Scorer,
    StreamView,
    hall_config,
    read_jsonl,
    sim_hall_windows,
    stream_windows,
)
from server.alerts import AlertKind  # noqa: E402
from server.config_file import load_config  # noqa: E402
from server.errors import InvalidEvent  # noqa: E402
from server.events import parse_event  # noqa: E402
from server.hall import Hall  # noqa: E402
from server.simulator import sample_hall, simulate_day  # noqa: E402
from server.simulator.scenarios import get_scenario  # noqa: E402

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
    result = results(scorer)
    result.update(events=path, days_in_log=scorer._day)
    return result


def results(scorer: Scorer) -> dict[str, Any]:
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


def care_soon(scorer: Scorer) -> dict[str, Any]:
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
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=int, default=40, help="scored days per scenario (default 40)")
    ap.add_argument("--history", type=int, default=14,
                    help="days replayed before them for learning only (default 14)")
    ap.add_argument("--scenario", choices=sorted(SCENARIO_SETS), default="all",
                    help="all = month_end and normal (default)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--events", nargs="+", metavar="FILE.jsonl",
                    help="score these logs instead of simulated days (one fresh hall per file)")
    ap.add_argument("--config", help="hall config for --events (default: content/hall.yaml with the "
                                     "windows the log uses)")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                    help="scenarios replayed in parallel (default 2)")
    ap.add_argument("--out", default=str(REPO / "bench/results/estimate.json"), help="JSON results ('' for none)")
    ap.add_argument("--plots", default=str(REPO / "docs/img"), help="directory for the PNG ('' for none)")
    args = ap.parse_args(argv)
    if args.days < 1 or args.history < 0:
        ap.error("--days must be at least 1 and --history at least 0")

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
    else:
        scenarios = SCENARIO_SETS[args.scenario]
        report["run"] = {"days": args.days, "history": args.history, "seed": args.seed}
        jobs = max(1, min(args.jobs, len(scenarios)))
        if jobs > 1:
            with ProcessPoolExecutor(jobs) as pool:
                done = list(pool.map(run_scenario, scenarios, [args.days] * len(scenarios),
                                     [args.history] * len(scenarios), [args.seed] * len(scenarios)))
        else:
            done = [run_scenario(s, args.days, args.history, args.seed) for s in scenarios]
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
