"""Chain benchmark: many halls' forwarders into one head office on a real PostgreSQL.

Each simulated hall ships its journal (a config record, then a simulated day's events, as the hub
journals them) as the hall would write it, at ``--speed`` times hall time, in a batch every
``--batch-every`` s of whatever is due, like the forwarder (server/web/forwarder.py). Head office
is the real `waitwell hq` process; PostgreSQL the embedded one (or ``--db``).

Reports stored records/s, the hall-to-board delay (a record due at the hall -> head office has
stored and replayed it: /api/halls shows it from then on) p50/p99, head office's RSS and
PostgreSQL's, and PostgreSQL bytes per record and per hall-day (the table's size, extrapolated
to a whole day's journal of the scenario).

    .venv/bin/python bench/chain_bench.py [--halls 500] [--speed 60] [--minutes 60] [--out bench/results/chain.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.serverproc import cpu_s, free_port, wait_healthy  # noqa: E402
from server.config import hall_settings  # noqa: E402
from server.config_file import load_config  # noqa: E402
from server.simulator.day import simulate_day  # noqa: E402

TOKEN = "bench"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def journal(seed: int, scenario: str, minutes: float, settings: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """The hall's journal records for the first ``minutes`` of a simulated day (with each one's hall time),
    and how many records the whole day has."""
    events = simulate_day(scenario, seed=seed).events
    start = datetime.fromisoformat(events[0]["at"])
    records: list[dict[str, Any]] = [{"seq": 1, "kind": "config", "event_id": None, "body": {"settings": settings},
                                      "_t": 0.0}]
    for event in events:
        t = (datetime.fromisoformat(event["at"]) - start).total_seconds()
        if t > minutes * 60:
            break
        records.append({"seq": len(records) + 1, "kind": "event", "event_id": event["id"], "body": event, "_t": t})
    return records, len(events) + 1


async def run_hall(session: aiohttp.ClientSession, url: str, hall_id: str, records: list[dict[str, Any]],
                   speed: float, every: float, t0: float, delays: list[float], errors: list[str]) -> None:
    sent = 0
    while sent < len(records):
        now = time.monotonic() - t0
        # Records are in hall-time order: walk from the last sent (a scan of all of them, 500 halls
        # twice a second, cost the client a tenth of a core that head office's machine needs).
        end = sent
        while end < len(records) and end - sent < 500 and records[end]["_t"] / speed <= now:
            end += 1
        due = records[sent:end]
        if due:
            body = json.dumps({"records": [{k: v for k, v in r.items() if k != "_t"} for r in due]})
            try:
                async with session.post(f"{url}/api/halls/{hall_id}/journal", data=body,
                                        headers={"Authorization": f"Bearer {TOKEN}",
                                                 "Content-Type": "application/json"}) as resp:
                    answer = await resp.json()
                    if resp.status != 200:
                        errors.append(f"{hall_id}: {resp.status} {answer}")
                        await asyncio.sleep(every)
                        continue
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                errors.append(f"{hall_id}: {exc!r}")
                await asyncio.sleep(every)
                continue
            done = time.monotonic() - t0
            delays += [done - r["_t"] / speed for r in due]
            sent += len(due)
        await asyncio.sleep(every)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    settings = hall_settings(load_config(REPO / "content" / "demo-hall.yaml"))
    halls = [journal(i + 1, args.scenario, args.minutes, settings) for i in range(args.halls)]
    work = Path(tempfile.mkdtemp(prefix="waitwell-chain-bench-"))
    port = free_port()
    log = work / "hq.log"
    proc = subprocess.Popen([sys.executable, "-m", "server", "hq", "--port", str(port), "--data-dir", str(work / "hq"),
                             "--token", TOKEN, "--log-level", "WARNING", *(["--db", args.db] if args.db else [])],
                            cwd=REPO, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, who="head office", log=log, timeout_s=60)
        delays: list[float] = []
        errors: list[str] = []
        connector = aiohttp.TCPConnector(limit=200)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
            cpu_before = cpu_s(proc.pid), sum(cpu_s(p) for p in descendants(proc.pid))
            t0 = time.monotonic()
            await asyncio.gather(*(run_hall(session, url, f"h{i:04d}", records, args.speed, args.batch_every, t0,
                                            delays, errors) for i, (records, _) in enumerate(halls)))
            wall = time.monotonic() - t0
            async with session.get(f"{url}/api/halls", headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
                board = (await resp.json())["halls"]
        stored = sum(h["last_seq"] for h in board)
        pg_pids = [p for p in descendants(proc.pid)]
        hq_cpu = cpu_s(proc.pid) - cpu_before[0]
        pg_cpu = sum(cpu_s(p) for p in pg_pids) - cpu_before[1]
        hq_rss, pg_rss = rss_mb(proc.pid), sum(rss_mb(p) for p in pg_pids)
        size = None
        if not args.db:
            import psycopg

            pid_file = (work / "hq" / "postgres" / "data" / "postmaster.pid").read_text().splitlines()
            with psycopg.connect(f"postgresql://postgres@127.0.0.1:{pid_file[3]}/postgres") as conn:
                row = conn.execute("SELECT pg_total_relation_size('hall_records')").fetchone()
                size = int(row[0]) if row else None
        records = sum(len(r) for r, _ in halls)
        day_records = sum(n for _, n in halls) / len(halls)
        return {
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "loadavg_start": os.getloadavg()},
            "halls": args.halls, "speed": args.speed, "minutes": args.minutes, "scenario": args.scenario,
            "records_sent": records, "records_stored": stored, "wall_s": round(wall, 2),
            "records_per_s": round(stored / wall, 1) if wall else None,
            "delay_p50_s": round(percentile(delays, 0.5), 3), "delay_p99_s": round(percentile(delays, 0.99), 3),
            "hq_rss_mb": round(hq_rss, 1), "postgres_rss_mb": round(pg_rss, 1),
            # CPU over the sending phase, per record stored: the number to compare commits by on a busy machine.
            "hq_cpu_us_per_record": round(hq_cpu / stored * 1e6) if stored else None,
            "postgres_cpu_us_per_record": round(pg_cpu / stored * 1e6) if stored else None,
            "pg_bytes_per_record": round(size / stored, 1) if size and stored else None,
            "pg_mb_per_hall_day": round(size / stored * day_records / 2**20, 2) if size and stored else None,
            "errors": errors[:20],
        }
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--halls", type=int, default=500)
    parser.add_argument("--speed", type=float, default=60.0, help="hall time per wall time (default 60)")
    parser.add_argument("--minutes", type=float, default=60.0, help="hall minutes of each day to ship (default 60)")
    parser.add_argument("--scenario", default="month_end")
    parser.add_argument("--batch-every", type=float, default=0.5, help="seconds between a hall's batches")
    parser.add_argument("--db", help="PostgreSQL DSN (default: head office's embedded one)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "chain.json")
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print("| halls | speed | records stored | records/s | delay p50 | delay p99 | head office RSS | PostgreSQL RSS "
          "| PG bytes/record | PG MB/hall-day | head office CPU/record | PostgreSQL CPU/record |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {result['halls']} | {result['speed']:g}x | {result['records_stored']} | {result['records_per_s']} "
          f"| {result['delay_p50_s']} s | {result['delay_p99_s']} s | {result['hq_rss_mb']} MB "
          f"| {result['postgres_rss_mb']} MB | {result['pg_bytes_per_record']} | {result['pg_mb_per_hall_day']} "
          f"| {result['hq_cpu_us_per_record']} µs | {result['postgres_cpu_us_per_record']} µs |")
    if result["errors"]:
        print(f"{len(result['errors'])} errors, first: {result['errors'][0]}", file=sys.stderr)


if __name__ == "__main__":
    main()
