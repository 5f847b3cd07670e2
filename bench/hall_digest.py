"""A digest of what the pure hall decides, to prove a speed change changed nothing.

Replays 4 simulated days of each of five scenarios through a fresh hall and hashes, every 7th
event, every waiting ticket's estimate and chance of passing 15 minutes, the staffing advice
and a newcomer's estimate per service; and after every event each alert change; and at the end
every ticket's told wait. Run it before and after a change from each checkout:

    .venv/bin/python bench/hall_digest.py
    (cd OTHER_CHECKOUT && PYTHONPATH=. /path/to/.venv/bin/python /path/to/bench/hall_digest.py)
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.append(str(REPO))  # after PYTHONPATH: another checkout's server wins

from server.config_file import DEFAULT_CONFIG_PATH, load_config  # noqa: E402
from server.errors import InvalidEvent  # noqa: E402
from server.events import parse_event  # noqa: E402
from server.hall import Hall  # noqa: E402
from server.simulator.day import simulate_days  # noqa: E402

SCENARIOS = ("month_end", "normal", "four_services", "quiet_half_lunch", "normal_shifted")


def scenario_digest(scenario: str, days: int = 4, seed: int = 3) -> bytes:
    h = hashlib.sha256()
    hall = Hall(load_config(DEFAULT_CONFIG_PATH))
    events = [parse_event(e) for day in simulate_days("2026-11-02", days, seed=seed, scenario=scenario)
              for e in day.events]
    for i, event in enumerate(events):
        try:
            hall.receive(event)
        except InvalidEvent as exc:
            h.update(repr(exc).encode())
            continue
        if i % 7 == 0:
            h.update(repr(sorted((label, w.estimate, round(w.p_exceeds(900), 12))
                                 for label, w in hall.ticket_waits().items())).encode())
            h.update(repr((hall.staffing_advice(), [hall.newcomer_estimate(s) for s in hall.service_ids()])).encode())
        h.update(repr([(str(change), repr(alert)) for change, alert in hall.alerts_to_send()]).encode())
    h.update(repr(sorted((t.label, t.told) for t in hall.tickets.values())).encode())
    return h.digest()


def main() -> None:
    total = hashlib.sha256()
    for scenario in SCENARIOS:
        digest = scenario_digest(scenario)
        print(f"{scenario:18} {digest.hex()[:16]}")
        total.update(digest)
    print(f"{'all':18} {total.hexdigest()[:16]}")


if __name__ == "__main__":
    main()
