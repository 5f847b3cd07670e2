"""Lobby-screen benchmark: state->frame latency (p50/p99, via --trace) and idle CPU at 1920x1080.

    .venv/bin/python bench/display_bench.py [--states 120] [--interval 0.25] [--idle 20] [--driver auto|x11|dummy]

Runs the real screen process (`python -m signage`) against an in-process feed
server speaking display.state; under Xvfb when it is installed (apt-get install
xvfb), else with SDL's dummy driver (which presents nothing: a lower bound).
Not a test: it prints a Markdown table for docs/lobby-screen.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from display_feed import TZ, FeedServer, sample_state  # noqa: E402
from serverproc import cpu_s  # noqa: E402


REPO = Path(__file__).resolve().parents[1]


def rss_mb(pid: int) -> float:
    """Return the resident set size in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pct(values: list[float], q: float) -> float:
    """Return the q-quantile (0..1), nearest rank."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


async def bench(args: argparse.Namespace) -> int:
    driver = args.driver
    xvfb = None
    env = dict(os.environ, SDL_AUDIODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1")
    if driver in ("auto", "x11") and shutil.which("Xvfb"):
        display = ":97"
        xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1920x1080x24", "-nolisten", "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        env.update(DISPLAY=display, SDL_VIDEODRIVER="x11")
        driver = "x11 (Xvfb 1920x1080x24)"
    else:
        env.update(SDL_VIDEODRIVER="dummy")
        driver = "dummy (no presentation cost)"
    srv = FeedServer()
    port = await srv.start()
    base = datetime.now(TZ)
    calls: list[dict] = []
    srv.send(sample_state(0, base, []))
    tmp = Path(tempfile.mkdtemp())
    trace = tmp / "trace.txt"
    # A copy of the sample content with short banners, so that most states land
    # on a screen without a banner (a state hidden under a banner needs no frame).
    content = tmp / "content"
    shutil.copytree(REPO / "content", content)
    screen_yaml = content / "signage" / "screen.yaml"
    screen_yaml.write_text(screen_yaml.read_text(encoding="utf-8").replace("banner_seconds: 8", f"banner_seconds: {args.banner}"), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "signage", "--server", f"ws://127.0.0.1:{port}", "--size", "1920x1080", "--windowed", "--trace", str(trace), "--content", str(content)],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while not (trace.exists() and trace.read_text().strip()):
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit("the screen did not start")
            await asyncio.sleep(0.1)
        await asyncio.sleep(2)
        sent: dict[int, tuple[float, str]] = {}
        for seq in range(1, args.states + 1):
            at = base + timedelta(seconds=seq)
            kind = "waits"
            if any(0 <= time.monotonic() - t < args.banner + 0.5 for t, k in sent.values() if k == "new call (banner)"):
                kind = "waits, under a banner (no frame needed)"
            if seq % args.call_every == 0:
                calls.insert(0, {"ticket": f"A{seq:03d}", "window": str(1 + seq % 8), "called_at": at.isoformat(), "recall": False, "service": "quick"})
                del calls[10:]
                kind = "new call (banner)"
            msg = sample_state(seq, at, list(calls), waiting=(5 + seq % 13, 3 + seq % 7, seq % 4))
            sent[seq] = (time.monotonic(), kind)
            srv.send(msg)
            # Past a banner the next state lands on the banner; keep states apart from it.
            await asyncio.sleep(args.interval)
        await asyncio.sleep(1.0)
        shown = {}
        for line in trace.read_text().split("\n"):
            if line.strip():
                seq, t = line.split()
                shown.setdefault(int(seq), float(t))
        lat: dict[str, list[float]] = {"waits": [], "new call (banner)": [], "waits, under a banner (no frame needed)": []}
        for seq, (t0, kind) in sent.items():
            if seq in shown:
                lat[kind].append((shown[seq] - t0) * 1000)
        # Idle: the last banner ends, then only clock, ticker pages and promo changes.
        await asyncio.sleep(args.settle)
        c0, t0 = cpu_s(proc.pid), time.monotonic()
        await asyncio.sleep(args.idle)
        c1, t1 = cpu_s(proc.pid), time.monotonic()
        idle = 100 * (c1 - c0) / (t1 - t0)
        xcpu = None
        if xvfb is not None:
            xcpu = cpu_s(xvfb.pid)
        rss = rss_mb(proc.pid)
    finally:
        proc.terminate()
        # Wait without blocking the loop: the feed server must answer the close handshake.
        for _ in range(100):
            if proc.poll() is not None:
                break
            await asyncio.sleep(0.1)
        else:
            proc.kill()
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(10)
        await srv.stop()
    allv = [v for vs in lat.values() for v in vs]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, driver {driver}")
    print(f"states sent: {len(sent)} every {args.interval}s; presented (traced): {len(allv)}")
    print("| measure | p50 | p99 | n |\n|---|---|---|---|")
    for kind, vs in list(lat.items()) + [("all states", allv)]:
        if vs:
            print(f"| state -> frame, {kind} | {statistics.median(vs):.1f} ms | {pct(vs, 0.99):.1f} ms | {len(vs)} |")
    print(f"| idle screen CPU ({args.idle:.0f} s after {args.settle:.0f} s settle) | {idle:.2f} % of one core | | |")
    print(f"| screen process RSS | {rss:.0f} MB | | |")
    if xcpu is not None:
        print(f"(Xvfb total CPU over the run: {xcpu:.1f} s)")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--states", type=int, default=120)
    p.add_argument("--interval", type=float, default=0.25)
    p.add_argument("--idle", type=float, default=20.0)
    p.add_argument("--settle", type=float, default=10.0)
    p.add_argument("--banner", type=float, default=2.0, help="banner seconds in the bench content")
    p.add_argument("--call-every", type=int, default=20, help="every Nth state carries a new call")
    p.add_argument("--driver", choices=("auto", "x11", "dummy"), default="auto")
    return asyncio.run(bench(p.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
