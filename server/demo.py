"""``waitwell demo``: the sample hall, a simulated day pushed into it, and a lobby screen.

Each part runs as its own process, exactly as in a hall (server, queue system, screen),
so the demo exercises the real wire protocol. Ctrl-C stops them all.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


__all__ = ["add_arguments", "run"]

DEMO_QUEUE_TOKEN = "demo-queue"
DEMO_STAFF_TOKEN = "demo-staff"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--speed", type=float, default=60.0,
                        help="how many times faster than real time the day runs (default 60: a day in ~9 min)")
    parser.add_argument("--scenario", default="month_end", choices=("month_end", "normal", "quiet"),
                        help="kind of day to simulate (default month_end: busy, with alerts)")
    parser.add_argument("--seed", type=int, default=1, help="simulation seed (default 1)")
    parser.add_argument("--headless", action="store_true",
                        help="no window: the screen writes a screenshot to --shots every few seconds")
    parser.add_argument("--port", type=int, default=8080, help="server port on 127.0.0.1 (default 8080)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="journal folder (default: a new temporary folder)")
    parser.add_argument("--shots", type=Path, default=Path("var/demo-shots"),
                        help="folder for headless screenshots (default var/demo-shots)")
    parser.add_argument("--shot-every", type=float, default=10.0, metavar="S",
                        help="seconds between headless screenshots (default 10)")


def run(args: argparse.Namespace) -> int:
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="waitwell-demo-"))
    base = f"http://127.0.0.1:{args.port}"
    ws_base = f"ws://127.0.0.1:{args.port}"
    headless = args.headless or not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    children: dict[str, subprocess.Popen[bytes]] = {}
    try:
        children["server"] = _spawn("-m", "server", "serve", "--port", str(args.port), "--data-dir", str(data_dir),
                                    "--clock", "event", "--queue-token", DEMO_QUEUE_TOKEN,
                                    "--staff-token", DEMO_STAFF_TOKEN, "--log-level", "WARNING")
        if not _wait_healthy(base, children["server"]):
            print("demo: the server did not start (is the port free? try --port)", file=sys.stderr)
            return 1
        children["queue system"] = _spawn(
            "-m", "server.simulator", "--scenario", args.scenario, "--seed", str(args.seed),
            "--date", dt.date.today().isoformat(), "--push", f"{ws_base}/ws/queue",
            "--token", DEMO_QUEUE_TOKEN, "--speed", str(args.speed))
        print(f"WaitWell demo: {args.scenario} day at {args.speed:g}x, journal in {data_dir}")
        print(f"  staff tablet: {base}/staff?token={DEMO_STAFF_TOKEN}&name=Demo")
        print(f"  manager:      {base}/manager?token={DEMO_STAFF_TOKEN}")
        print(f"  lobby feed:   {ws_base}/ws/display")
        if headless:
            args.shots.mkdir(parents=True, exist_ok=True)
            print(f"  lobby screen: headless, a screenshot every {args.shot_every:g} s in {args.shots}/")
        else:
            children["lobby screen"] = _spawn("-m", "signage", "--server", ws_base, "--windowed")
            print("  lobby screen: in a window")
        print("Ctrl-C stops everything.", flush=True)
        next_shot, shot = time.monotonic(), 0
        day_done = False
        while True:
            for name, proc in children.items():
                code = proc.poll()
                if code is None:
                    continue
                if name == "queue system" and not day_done:
                    day_done = True
                    print(f"demo: the simulated day is over (simulator exit {code}); still serving", flush=True)
                elif name != "queue system":
                    print(f"demo: the {name} stopped (exit {code})", file=sys.stderr)
                    return 1
            if headless and time.monotonic() >= next_shot:
                shot += 1
                target = args.shots / f"lobby-{shot:04d}.png"
                subprocess.run([sys.executable, "-m", "signage", "--server", ws_base, "--screenshot", str(target),
                                "--size", "1920x1080"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"},
                               check=False)
                if target.exists():
                    print(f"demo: screenshot {target}", flush=True)
                next_shot = time.monotonic() + args.shot_every
            time.sleep(0.2)
    except KeyboardInterrupt:
        print("\ndemo: stopping", flush=True)
        return 0
    finally:
        _stop_all(children)


def _spawn(*argv: str) -> subprocess.Popen[bytes]:
    # Each child gets its own process group so that our Ctrl-C handling decides the order.
    return subprocess.Popen([sys.executable, *argv], start_new_session=True)


def _wait_healthy(base: str, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as resp:
                if resp.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def _stop_all(children: dict[str, subprocess.Popen[bytes]]) -> None:
    # Screen and simulator first, the server last, so nobody sees it vanish mid-day.
    for name in ("lobby screen", "queue system", "server"):
        proc = children.get(name)
        if proc is None or proc.poll() is not None:
            continue
        proc.send_signal(signal.SIGINT if name != "server" else signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
