"""Ingest benchmark: durable events/s into a real server, over one WebSocket and over POST batches.

Starts `waitwell serve --clock event` on a free 127.0.0.1 port with a fresh data dir, pushes
simulated month-end days (consecutive dates, so nothing is stale), and reports events/s and
ack latency (sent -> durable ack) percentiles. Prints a table and writes JSON.

    .venv/bin/python bench/ingest_bench.py [--days 5] [--window 50] [--batch 500] [--out bench/results/ingest.json]

Besides wall-clock rates it reports the server process's own CPU time per event (from /proc),
which a busy machine disturbs far less: compare commits with that, in the same hour, by running
another checkout's server under this client (`--checkout OTHER_CHECKOUT`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.serverproc import cpu_s, free_port, wait_healthy  # noqa: E402
from server.simulator.day import simulate_days  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def start_server(data_dir: Path, checkout: Path = REPO) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    # `-m` puts the working directory first on sys.path: the server is that checkout's.
    proc = subprocess.Popen([sys.executable, "-m", "server", "serve", "--port", str(port), "--data-dir",
                             str(data_dir), "--clock", "event", "--queue-token", "q", "--staff-token", "s",
                             "--log-level", "ERROR"], cwd=checkout, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    await asyncio.to_thread(wait_healthy, url, proc, who="ingest_bench")
    return proc, url


async def bench_websocket(url: str, events: list[dict], window: int) -> dict:
    """Pipeline events over one socket with at most `window` unacked; time each ack."""
    sent_at: dict[str, float] = {}
    latencies: list[float] = []
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(url.replace("http", "ws") + "/ws/queue?token=q", max_msg_size=0)
        done = asyncio.Event()
        acked = 0

        async def reader() -> None:
            nonlocal acked
            async for msg in ws:
                reply = json.loads(msg.data)
                assert reply["type"] == "ack", reply
                latencies.append(time.perf_counter() - sent_at.pop(reply["id"]))
                acked += 1
                if acked == len(events):
                    done.set()
                    return

        task = asyncio.create_task(reader())
        start = time.perf_counter()
        for n, event in enumerate(events):
            while n - acked >= window:
                await asyncio.sleep(0)
            sent_at[event["id"]] = time.perf_counter()
            await ws.send_str(json.dumps(event))
        await done.wait()
        elapsed = time.perf_counter() - start
        await task
        await ws.close()
    return {"events": len(events), "seconds": elapsed, "events_per_s": len(events) / elapsed,
            "ack_p50_ms": 1000 * statistics.median(latencies), "ack_p99_ms": 1000 * percentile(latencies, 0.99)}


async def bench_post(url: str, events: list[dict], batch: int) -> dict:
    latencies: list[float] = []
    async with aiohttp.ClientSession() as session:
        start = time.perf_counter()
        for i in range(0, len(events), batch):
            chunk = events[i:i + batch]
            t = time.perf_counter()
            async with session.post(url + "/api/events?token=q", json=chunk) as resp:
                replies = await resp.json()
            assert all(r["type"] == "ack" for r in replies), replies[:3]
            latencies.append(time.perf_counter() - t)
        elapsed = time.perf_counter() - start
    return {"events": len(events), "seconds": elapsed, "events_per_s": len(events) / elapsed,
            "batch": batch, "batch_p50_ms": 1000 * statistics.median(latencies),
            "batch_p99_ms": 1000 * percentile(latencies, 0.99)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--window", type=int, default=50, help="unacked events in flight")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "ingest.json")
    parser.add_argument("--checkout", type=Path, default=REPO, help="run this checkout's server (to compare commits)")
    parser.add_argument("--no-post", action="store_true", help="only the WebSocket phase")
    args = parser.parse_args()
    days = simulate_days("2026-11-02", args.days * 2, seed=7, scenario="month_end")
    ws_events = [e for d in days[:args.days] for e in d.events]
    post_events = [e for d in days[args.days:] for e in d.events]
    results = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                           "platform": platform.platform()}}
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = await start_server(Path(tmp), args.checkout)
        try:
            before = cpu_s(proc.pid)
            results["websocket"] = await bench_websocket(url, ws_events, args.window)
            after = cpu_s(proc.pid)
            results["websocket"]["server_cpu_s"] = after - before
            if not args.no_post:
                results["post"] = await bench_post(url, post_events, args.batch)
                results["post"]["server_cpu_s"] = cpu_s(proc.pid) - after
        finally:
            proc.terminate()
            proc.wait(10)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    ws = results["websocket"]
    print("| path | events | durable events/s | ack p50 | ack p99 | server CPU per event |")
    print("|---|---|---|---|---|---|")
    print(f"| one WebSocket, {args.window} in flight | {ws['events']} | {ws['events_per_s']:,.0f} | "
          f"{ws['ack_p50_ms']:.1f} ms | {ws['ack_p99_ms']:.1f} ms | "
          f"{1e6 * ws['server_cpu_s'] / ws['events']:.0f} µs |")
    if "post" in results:
        post = results["post"]
        print(f"| POST, {args.batch} per batch | {post['events']} | {post['events_per_s']:,.0f} | "
              f"{post['batch_p50_ms']:.1f} ms/batch | {post['batch_p99_ms']:.1f} ms/batch | "
              f"{1e6 * post['server_cpu_s'] / post['events']:.0f} µs |")


if __name__ == "__main__":
    asyncio.run(main())
