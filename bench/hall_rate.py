"""The pure hall's own speed: simulated month-end days fed to `Hall.receive`, CPU time only.

No server, socket or journal: this is the part of ingest that the hall's estimates and
reviews cost, and the number to compare when the machine under the other benchmarks changes.
Run it from any checkout to compare commits on the same machine in the same hour:

    .venv/bin/python bench/hall_rate.py [--days 5] [--runs 3]
    (cd OTHER_CHECKOUT && PYTHONPATH=. /path/to/.venv/bin/python /path/to/bench/hall_rate.py)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.append(str(REPO))  # after PYTHONPATH: another checkout's server wins

from server.config_file import DEFAULT_CONFIG_PATH, load_config  # noqa: E402
from server.events import parse_event  # noqa: E402
from server.hall import Hall  # noqa: E402
from server.simulator.day import simulate_days  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=5, help="simulated month-end days (as ingest_bench.py)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    days = simulate_days("2026-11-02", args.days, seed=7, scenario="month_end")
    events = [parse_event(e) for day in days for e in day.events]
    config = load_config(DEFAULT_CONFIG_PATH)
    for _ in range(args.runs):
        hall = Hall(config)
        start = time.process_time()
        for event in events:
            hall.receive(event)
        spent = time.process_time() - start
        print(f"{len(events)} events in {spent:.2f} s CPU: {len(events) / spent:,.0f} events/s")


if __name__ == "__main__":
    main()
