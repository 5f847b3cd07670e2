"""How big a display.state is, and how big a delta of only what changed would be.

Replays simulated month-end days through the pure hall; after every event that changes what the
screens show (as server/web/display_feed.py decides), it measures the full display.state as sent
and a delta: the top-level fields that changed, only the services that changed and only the new
calls. Paired with bench/socket_write_cost.py, it answers issue 11's "measure deltas against full
frames" for the fan-out round.

    .venv/bin/python bench/display_delta_size.py [--days 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.config_file import DEFAULT_CONFIG_PATH, load_config  # noqa: E402
from server.events import parse_event  # noqa: E402
from server.hall import Hall  # noqa: E402
from server.simulator.day import simulate_days  # noqa: E402
from server.web.display_feed import shown_part  # noqa: E402
from server.web.hub import dumps  # noqa: E402
from server.wire import display_state  # noqa: E402


def delta(state: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """What a screen that holds ``before`` would need to show ``state``."""
    out = {k: v for k, v in state.items() if k in ("type", "seq", "at") or before.get(k) != v}
    if "services" in out:
        out["services"] = [s for s, b in zip(state["services"], before["services"]) if s != b]
    if "calls" in out:
        old = {(c["ticket"], c["called_at"]) for c in before.get("calls", [])}
        out["calls"] = [c for c in state["calls"] if (c["ticket"], c["called_at"]) not in old]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=2)
    args = parser.parse_args()
    hall = Hall(load_config(DEFAULT_CONFIG_PATH))
    before: dict[str, Any] | None = None
    full: list[int] = []
    small: list[int] = []
    for day in simulate_days("2026-11-02", args.days, seed=7, scenario="month_end"):
        for event in day.events:
            hall.receive(parse_event(event))
            state = display_state(hall, 0, hall.now)
            shown = shown_part(state)
            if before is not None and shown != shown_part(before):
                full.append(len(dumps(state).encode()))
                small.append(len(dumps(delta(state, before)).encode()))
            before = state
    print(f"{len(full):,} states that change what screens show; full display.state bytes p50 "
          f"{statistics.median(full):,.0f}, mean {statistics.mean(full):,.0f}; delta p50 "
          f"{statistics.median(small):,.0f}, mean {statistics.mean(small):,.0f}")


if __name__ == "__main__":
    main()
