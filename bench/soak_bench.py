"""Soak benchmark: 24 simulated hours at high speed; memory growth and error lines of the server
and of one lobby screen.

Starts `waitwell serve --clock event` and one lobby screen (`python -m signage`, 1920x1080, under
Xvfb when it is installed, else SDL's dummy driver) as subprocesses, then pushes `--hours` of hall
time from the first day's opening at `--speed` times real time with the simulator's push (events
sent on their own clock, acks not awaited in between). Simulated days follow the calendar from
2026-11-30 (month end, month start, then normal days); between closing and the next opening a
clock.tick every 30 s keeps the hall's time moving as the wall clock would, so the night and the
day turnover at midnight are part of the soak.

Every `--sample` seconds it reads RSS and PSS (/proc/PID/smaps_rollup) of both processes. Growth
is counted from the end of the warm-up (the first simulated hour) to the end. Both processes'
output is scanned for ERROR, CRITICAL and Traceback lines. Prints a table and writes JSON.

    .venv/bin/python bench/soak_bench.py [--hours 24] [--speed 200] [--sample 5] [--out bench/results/soak.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.serverproc import free_port, wait_healthy  # noqa: E402
from server.simulator.day import simulate_days  # noqa: E402
from server.simulator.push import push_events  # noqa: E402

START = date(2026, 11, 30)
NIGHT_TICK = timedelta(seconds=30)
ERROR_MARKS = ("ERROR", "CRITICAL", "Traceback")


def memory_mb(pid: int) -> tuple[float, float]:
    """Return (RSS, PSS) in MB; PSS splits shared pages (fonts, libSDL) between the processes using them."""
    rss = pss = 0.0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Rss:"):
            rss = int(line.split()[1]) / 1024
        elif line.startswith("Pss:"):
            pss = int(line.split()[1]) / 1024
    return rss, pss


def soak_events(hours: float, seed: int) -> list[dict[str, Any]]:
    """Hall events for ``hours`` from the first opening: simulated days, clock ticks in between."""
    days = simulate_days(START, int(hours // 24) + 2, seed=seed)
    begin = datetime.fromisoformat(days[0].events[0]["at"])
    end = begin + timedelta(hours=hours)
    events: list[dict[str, Any]] = []
    ticks = 0
    for day in days:
        if events:
            at = datetime.fromisoformat(events[-1]["at"]) + NIGHT_TICK
            opening = datetime.fromisoformat(day.events[0]["at"])
            while at < opening and at <= end:
                ticks += 1
                events.append({"id": f"soak-night-{ticks}", "type": "clock.tick", "at": at.isoformat()})
                at += NIGHT_TICK
        events.extend(e for e in day.events if datetime.fromisoformat(e["at"]) <= end)
    return events


def start_xvfb() -> tuple[subprocess.Popen[bytes] | None, dict[str, str], str]:
    env = dict(os.environ, SDL_AUDIODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1")
    if not shutil.which("Xvfb"):
        return None, env | {"SDL_VIDEODRIVER": "dummy"}, "SDL dummy (no Xvfb)"
    # -displayfd picks a free display number, so parallel runs never collide.
    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    if not number:
        xvfb.kill()
        raise SystemExit("soak_bench: Xvfb did not start")
    return xvfb, env | {"DISPLAY": f":{number}", "SDL_VIDEODRIVER": "x11"}, "x11 (Xvfb 1920x1080x24)"


def hall_time(url: str) -> str | None:
    with urllib.request.urlopen(url + "/api/state?token=s", timeout=5) as resp:
        return json.load(resp)["at"]


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGINT) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def log_lines(path: Path) -> tuple[list[str], int]:
    lines = path.read_text(errors="replace").splitlines()
    errors = [ln for ln in lines if any(mark in ln for mark in ERROR_MARKS)]
    return errors, sum("WARNING" in ln for ln in lines)


def growth(samples: list[dict[str, Any]], who: str, warm_h: float) -> dict[str, Any]:
    """Memory after the warm-up and at the end; the second half alone tells a leak (still
    climbing) from a bounded cache that filled early on (flat)."""
    after = [s for s in samples if s["hall_h"] >= warm_h] or samples[-1:]
    half = next(s for s in samples if s["hall_h"] >= samples[-1]["hall_h"] / 2)
    first, last = after[0], samples[-1]
    return {"rss_start_mb": samples[0][f"{who}_rss"], "rss_after_warmup_mb": first[f"{who}_rss"],
            "rss_end_mb": last[f"{who}_rss"], "rss_max_mb": max(s[f"{who}_rss"] for s in after),
            "rss_growth_mb": round(last[f"{who}_rss"] - first[f"{who}_rss"], 1),
            "pss_growth_mb": round(last[f"{who}_pss"] - first[f"{who}_pss"], 1),
            "rss_growth_second_half_mb": round(last[f"{who}_rss"] - half[f"{who}_rss"], 1)}


async def sample_until_done(push: asyncio.Task[Any], url: str, pids: dict[str, int], every: float,
                            begin: datetime, procs: dict[str, subprocess.Popen[bytes]]) -> list[dict[str, Any]]:
    samples: list[dict[str, Any]] = []
    t0 = time.monotonic()
    while True:
        for who, proc in procs.items():
            if proc.poll() is not None:
                push.cancel()
                raise SystemExit(f"soak_bench: the {who} exited with {proc.returncode} during the soak")
        at = await asyncio.to_thread(hall_time, url)
        sample: dict[str, Any] = {"t_s": round(time.monotonic() - t0, 1),
                                  "hall_h": round((datetime.fromisoformat(at) - begin).total_seconds() / 3600, 3)
                                  if at else 0.0}
        for who, pid in pids.items():
            rss, pss = memory_mb(pid)
            sample[f"{who}_rss"], sample[f"{who}_pss"] = round(rss, 1), round(pss, 1)
        samples.append(sample)
        if push.done():
            return samples
        await asyncio.wait([push], timeout=every)


async def soak(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    events = soak_events(args.hours, args.seed)
    begin = datetime.fromisoformat(events[0]["at"])
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    logs = {"server": tmp / "server.log", "screen": tmp / "screen.log"}
    trace = tmp / "trace.txt"
    procs: dict[str, subprocess.Popen[bytes]] = {}
    xvfb, env, driver = start_xvfb()
    try:
        procs["server"] = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--port", str(port), "--data-dir", str(tmp / "data"),
             "--clock", "event", "--queue-token", "q", "--staff-token", "s"],
            cwd=REPO, stdout=logs["server"].open("wb"), stderr=subprocess.STDOUT)
        wait_healthy(url, procs["server"], who="soak_bench", log=logs["server"])
        procs["screen"] = subprocess.Popen(
            [sys.executable, "-m", "signage", "--server", f"ws://127.0.0.1:{port}", "--size", "1920x1080",
             "--windowed", "--trace", str(trace)],
            cwd=REPO, env=env, stdout=logs["screen"].open("wb"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while not (trace.exists() and trace.read_text().strip()):
            if time.monotonic() > deadline or procs["screen"].poll() is not None:
                raise SystemExit(f"soak_bench: the screen showed no state:\n{logs['screen'].read_text()[-2000:]}")
            await asyncio.sleep(0.1)
        print(f"soak: {len(events):,} events, {args.hours} h of hall time at {args.speed:g}x "
              f"(~{args.hours * 3600 / args.speed:.0f} s), screen on {driver}", file=sys.stderr)
        started = time.monotonic()
        push = asyncio.create_task(push_events(events, url.replace("http", "ws") + "/ws/queue", "q",
                                               speed=args.speed, log=lambda m: print(m, file=sys.stderr)))
        pids = {who: proc.pid for who, proc in procs.items()}
        samples = await sample_until_done(push, url, pids, args.sample, begin, procs)
        result = push.result()
        seconds = time.monotonic() - started
        await asyncio.sleep(2)  # the screen draws the last states
        samples.append({"t_s": round(time.monotonic() - started, 1), "hall_h": samples[-1]["hall_h"],
                        **{f"{who}_{k}": round(v, 1) for who, pid in pids.items()
                           for k, v in zip(("rss", "pss"), memory_mb(pid))}})
    finally:
        for proc in procs.values():
            stop(proc)
        if xvfb is not None:
            stop(xvfb, signal.SIGTERM)
    warm_h = min(1.0, args.hours / 4)
    out: dict[str, Any] = {
        "events": len(events), "acked": result.acked, "push_errors": result.errors[:5],
        "reconnects": result.reconnects, "hall_hours": samples[-1]["hall_h"], "seconds": round(seconds, 1),
        "warmup_hall_hours": warm_h, "screen_driver": driver,
        "states_shown": sum(1 for line in trace.read_text().splitlines() if line.strip()),
    }
    for who in ("server", "screen"):
        errors, warnings = log_lines(logs[who])
        out[who] = growth(samples, who, warm_h) | {"error_lines": errors[:20], "error_count": len(errors),
                                                   "warning_lines": warnings}
    out["samples"] = samples
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0, help="hall time to simulate")
    parser.add_argument("--speed", type=float, default=200.0, help="times faster than real time")
    parser.add_argument("--sample", type=float, default=5.0, help="seconds between memory samples")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "soak.json")
    args = parser.parse_args()
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "loadavg_start": [round(x, 2) for x in os.getloadavg()]},
        "params": {"hours": args.hours, "speed": args.speed, "sample": args.sample, "seed": args.seed}}
    with tempfile.TemporaryDirectory() as tmp:
        results |= asyncio.run(soak(args, Path(tmp)))
    results["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print("| process | RSS after warm-up | RSS at end | growth | max | PSS growth | growth, 2nd half | error lines |")
    print("|---|---|---|---|---|---|---|---|")
    for who in ("server", "screen"):
        r = results[who]
        print(f"| {who} | {r['rss_after_warmup_mb']} MB | {r['rss_end_mb']} MB | {r['rss_growth_mb']:+} MB "
              f"| {r['rss_max_mb']} MB | {r['pss_growth_mb']:+} MB | {r['rss_growth_second_half_mb']:+} MB "
              f"| {r['error_count']} |")
    print(f"\n{results['events']:,} events ({results['acked']:,} acked), {results['hall_hours']} h of hall time "
          f"in {results['seconds']} s, {results['states_shown']:,} states shown by the screen "
          f"({results['screen_driver']}); warm-up {results['warmup_hall_hours']} h; load average "
          f"{results['machine']['loadavg_start']} -> {results['machine']['loadavg_end']}")


if __name__ == "__main__":
    main()
