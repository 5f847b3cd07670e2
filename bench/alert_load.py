"""Alert load on the floor staff: simulated days through the hall, then the tablet's board rule.

Each day (month_end, normal, quiet, and a short-staffed month end: the month-end counter plan at
60%, nearer the 642 care_15 / 404 care_30 day of issue 12) is simulated (server/simulator), fed to
the pure Hall with the sample hall's config (what `waitwell serve` runs with no --config), and its
alerts, as the server records them (raised_at, resolved_at), go to bench/alert_load_model.js in
node: the staff board rule of the tablet (server/web/static/staff_board.js) and N people who
take what the board shows first (see the model's header). Reported per day and staff count:

- cards on screen (max, p90, sampled every minute of hall time) and in the whole list;
- rings per staff member per hour (every person carries a tablet; hours 09:00 to the last alert);
- the share of care visits (care_15, care_30) acknowledged within 5 min of coming due, among
  those still asked for 5 min later (a ticket called within 5 min needed no visit), and the
  share of customers actually reached within 10 min;
- "before": the page before this rule, every alert a card and a ring (cards = active alerts, one
  per ticket); "no rounds": the rule with rounds turned off, same staff model.

    .venv/bin/python bench/alert_load.py [--seed 7] [--staff 2 3] [--out bench/results/alert_load.json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from server.config_file import load_config  # noqa: E402
from server.events import parse_event  # noqa: E402
from server.hall import Hall  # noqa: E402
from server.simulator import simulate_day  # noqa: E402

MODEL = REPO / "bench" / "alert_load_model.js"
DAYS: dict[str, tuple[str, float | None]] = {
    "month_end": ("month_end", None),
    "normal": ("normal", None),
    "quiet": ("quiet", None),
    "month_end_short_staffed": ("month_end", 0.6),
}
VISIT_S = (120, 180)
"""One care visit takes 2-3 minutes (uniform)."""
HALL_S = 60
"""Taking a hall action (open windows, staffing: tell the duty manager) takes a minute."""


def day_alerts(scenario: str, seed: int, plan_scale: float | None) -> tuple[list[dict[str, Any]], str]:
    """Every alert of one simulated day as the server records it, and the day's opening time."""
    day = simulate_day(scenario, seed=seed, plan_scale=plan_scale)
    hall = Hall(load_config(None))
    for event in day.events:
        hall.receive(parse_event(event))
    alerts = [a.to_json() for a in hall.alerts.values()]
    opening = day.t0.replace(hour=9, minute=0)
    return alerts, opening.isoformat()


def before(alerts: list[dict[str, Any]], opening: str, close: str) -> dict[str, Any]:
    """The page before the board rule: every raised alert rang, every active alert was a card
    (a ticket's care_15 folded into its care_30)."""
    t = datetime.fromisoformat
    samples = []
    now, end = t(opening), t(close)
    while now <= end:
        live = [a for a in alerts if t(a["raised_at"]) <= now and (a["resolved_at"] is None or t(a["resolved_at"]) > now)]
        apologies = {a["ticket"] for a in live if a["kind"] == "care_30"}
        samples.append(sum(1 for a in live if not (a["kind"] == "care_15" and a["ticket"] in apologies)))
        now += timedelta(minutes=1)
    samples.sort()
    hours = (end - t(opening)).total_seconds() / 3600
    return {"cards_on_screen": {"max": samples[-1] if samples else 0,
                                "p90": samples[max(0, -(-9 * len(samples) // 10) - 1)] if samples else 0},
            "rings": len(alerts), "rings_per_staff_hour": round(len(alerts) / hours, 3)}


def run_model(alerts: list[dict[str, Any]], runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is needed to run the tablet's board rule (apt-get install nodejs)")
    job = json.dumps({"alerts": alerts, "runs": runs})
    done = subprocess.run([node, str(MODEL)], input=job, capture_output=True, text=True, check=True)
    result: list[dict[str, Any]] = json.loads(done.stdout)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--staff", type=int, nargs="+", default=[2, 3], help="people on the floor")
    parser.add_argument("--days", nargs="+", default=list(DAYS), choices=list(DAYS))
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = parser.parse_args(argv)

    report: dict[str, Any] = {"seed": args.seed, "visit_s": VISIT_S, "hall_s": HALL_S, "days": {}}
    for name in args.days:
        scenario, scale = DAYS[name]
        alerts, opening = day_alerts(scenario, args.seed, scale)
        close = max(a["resolved_at"] or a["raised_at"] for a in alerts)
        runs = []
        for staff in args.staff:
            common = {"staff": staff, "visit_s": list(VISIT_S), "hall_s": HALL_S, "open": opening, "close": close,
                      "seed": args.seed}
            runs.append(common)
            runs.append({**common, "board": {"visitsPerStaff": 1e9}})
        results = run_model(alerts, runs)
        entry: dict[str, Any] = {"before": before(alerts, opening, close), "board": {}, "no_rounds": {}}
        for staff, with_rounds, without in zip(args.staff, results[0::2], results[1::2]):
            entry["board"][str(staff)] = with_rounds
            entry["no_rounds"][str(staff)] = without
        entry["raised"] = results[0]["raised"]
        report["days"][name] = entry
        print(f"{name}: raised {entry['raised']}", file=sys.stderr)
        b = entry["before"]
        print(f"  before: cards max {b['cards_on_screen']['max']} p90 {b['cards_on_screen']['p90']},"
              f" rings/staff/h {b['rings_per_staff_hour']}", file=sys.stderr)
        for staff in args.staff:
            for label in ("board", "no_rounds"):
                r = entry[label][str(staff)]
                print(f"  {label:9} staff {staff}: cards max {r['cards_on_screen']['max']} p90 {r['cards_on_screen']['p90']}"
                      f" (list p90 {r['cards_in_list']['p90']}), rings/staff/h {r['rings_per_staff_hour']},"
                      f" acked<=5min {r['acked_within_5min']} of {r['care_needed_5min']},"
                      f" reached<=10min {r['visited_within_10min']} of {r['care_needed_10min']},"
                      f" rounds {r['rounds']} (mean {r['mean_round_size']})", file=sys.stderr)
    text = json.dumps(report, indent=2, ensure_ascii=False)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
