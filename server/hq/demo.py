"""``waitwell demo --chain N``: head office, N halls and their simulated days on one machine.

Each part is its own process, as in a real chain: head office (embedded PostgreSQL in the demo's
data dir), and per hall a server forwarding its journal to head office and a simulated queue
system pushing a day into it (month-end, normal and quiet days in turn). Stopping works as in
the one-hall demo (server/demo.py): a stop signal stops every child, the kernel stops them if the
demo is killed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import HallConfig
from ..listen import ListenError, open_listeners


if TYPE_CHECKING:
    from ..demo import _StopRequest


__all__ = ["run_chain", "HQ_PORT_OFFSET", "DEMO_HQ_TOKEN"]

DEMO_HQ_TOKEN = "demo-hq"
HQ_PORT_OFFSET = 10
"""Head office listens on --port + 10 (8090 by default, `waitwell hq`'s own default); halls on --port, +1, ..."""
SCENARIOS = ("month_end", "normal", "quiet")


def run_chain(args: argparse.Namespace, config: HallConfig, children: dict[str, subprocess.Popen[bytes]],
              stop: _StopRequest) -> int:
    from ..demo import DEMO_QUEUE_TOKEN, DEMO_STAFF_TOKEN, _spawn, _wait_healthy

    n = args.chain
    if not 1 <= n < HQ_PORT_OFFSET:
        print(f"demo: --chain takes 1 to {HQ_PORT_OFFSET - 1} halls", file=sys.stderr)
        return 2
    hq_port = args.port + HQ_PORT_OFFSET
    ports = [args.port + i for i in range(n)]
    try:
        for port in (*ports[1:], hq_port):
            for sock in open_listeners("127.0.0.1", port):
                sock.close()
    except ListenError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 2
    data_dir = (args.data_dir or Path(tempfile.mkdtemp(prefix="waitwell-chain-"))).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    hall_ids = [f"hall-{i + 1}" for i in range(n)]
    lines = ["halls:"]
    for i, hall_id in enumerate(hall_ids):
        # Distances as a lobby words them: the busy hall's ticker names its calmer neighbours live.
        others = ", ".join(f"{{id: {h}, distance: {800 * abs(i - j)} m}}" for j, h in enumerate(hall_ids) if h != hall_id)
        lines += [f"  - id: {hall_id}", f"    name: {config.name} {i + 1}号", f"    name_en: {config.name_en} {i + 1}",
                  f"    region: {'east' if i % 2 == 0 else 'west'}", f"    nearby: [{others}]"]
    (data_dir / "hq.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    hq_url = f"http://127.0.0.1:{hq_port}"
    children["head office"] = _spawn("-m", "server", "hq", "--config", str(data_dir / "hq.yaml"),
                                     "--port", str(hq_port), "--data-dir", str(data_dir / "hq"),
                                     "--token", DEMO_HQ_TOKEN, "--log-level", "WARNING")
    if not _wait_healthy(hq_url, children["head office"], stop, timeout=60.0):
        if stop.signum is not None:
            return 0
        print(f"demo: head office did not start (see above); exit {children['head office'].poll()}", file=sys.stderr)
        return 1
    config_path = args.config.resolve()
    for hall_id, port in zip(hall_ids, ports):
        children[f"server {hall_id}"] = _spawn(
            "-m", "server", "serve", "--config", str(config_path), "--port", str(port),
            "--data-dir", str(data_dir / hall_id), "--clock", "event", "--queue-token", DEMO_QUEUE_TOKEN,
            "--staff-token", DEMO_STAFF_TOKEN, "--log-level", "WARNING",
            "--hq", hq_url, "--hall-id", hall_id, "--hq-token", DEMO_HQ_TOKEN)
    for hall_id, port in zip(hall_ids, ports):
        if not _wait_healthy(f"http://127.0.0.1:{port}", children[f"server {hall_id}"], stop):
            if stop.signum is not None:
                return 0
            print(f"demo: the server of {hall_id} did not start", file=sys.stderr)
            return 1
    print(f"WaitWell chain demo: head office and {n} halls, data in {data_dir}")
    print(f"  head office board: {hq_url}/hq?token={DEMO_HQ_TOKEN}")
    for i, (hall_id, port) in enumerate(zip(hall_ids, ports)):
        scenario = SCENARIOS[i % len(SCENARIOS)]
        children[f"queue system {hall_id}"] = _spawn(
            "-m", "server.simulator", "--config", str(config_path), "--scenario", scenario,
            "--seed", str(args.seed + i), "--date", dt.date.today().isoformat(),
            "--push", f"ws://127.0.0.1:{port}/ws/queue", "--token", DEMO_QUEUE_TOKEN, "--speed", str(args.speed))
        print(f"  {hall_id} ({scenario} day at {args.speed:g}x): http://127.0.0.1:{port}/manager?token={DEMO_STAFF_TOKEN}")
    print("Ctrl-C stops everything.", flush=True)
    while stop.signum is None:
        for name, proc in children.items():
            if not name.startswith("queue system") and proc.poll() is not None:
                print(f"demo: the {name} stopped (exit {proc.returncode})", file=sys.stderr)
                return 1
        time.sleep(0.2)
    return 0
