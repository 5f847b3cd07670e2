"""``waitwell demo``: the sample hall, a simulated day pushed into it, and a lobby screen.

Server and simulator read the same hall config (``--config``, default content/demo-hall.yaml:
the sample hall with the 15 windows a month-end day is staffed with), so the simulated queue
system opens the windows and issues the tickets of the hall the screen and tablets show.

Each part runs as its own process, exactly as in a hall (server, queue system, screen),
so the demo exercises the real wire protocol. Ctrl-C, SIGTERM (a service manager) and SIGHUP
(the terminal closed) all stop every child within STOP_WITHIN_S seconds and exit 0: the demo
has no other way to finish, so a requested stop is its success (1 means a part failed or had
to be killed, 2 a usage error such as a busy port). If the demo itself is killed (SIGKILL),
the kernel sends each child SIGTERM (Linux PR_SET_PDEATHSIG), so none outlives it.
"""

from __future__ import annotations

import argparse
import ctypes
import datetime as dt
import functools
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FrameType
from typing import TextIO

from .config import HallConfig
from .config_file import DEFAULT_CONFIG_PATH, load_config
from .errors import ConfigError
from .listen import ListenError, open_listeners, port_number


__all__ = ["add_arguments", "run"]

DEMO_QUEUE_TOKEN = "demo-queue"
DEMO_STAFF_TOKEN = "demo-staff"
DEMO_CONFIG_PATH = DEFAULT_CONFIG_PATH.with_name("demo-hall.yaml")
"""The hall the demo runs: the sample hall at month-end size (on its 8 windows a month-end day overflows)."""
STOP_WITHIN_S = 5.0
"""Every child is gone this long after a stop signal at the latest."""
_GRACE_S = STOP_WITHIN_S - 1.0
"""How long the children get to stop by themselves; the last second is for SIGKILL and reaping."""

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_PR_SET_PDEATHSIG = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (f"Ctrl-C, SIGTERM or SIGHUP stop every part within {STOP_WITHIN_S:g} s (exit 0); "
                     "if the demo is killed, its parts stop by themselves.")
    parser.add_argument("--config", type=Path, default=DEMO_CONFIG_PATH, metavar="HALL.yaml",
                        help="hall config for the server and the simulated queue system "
                             "(default content/demo-hall.yaml: the sample hall with 15 windows)")
    parser.add_argument("--speed", type=float, default=60.0,
                        help="how many times faster than real time the day runs (default 60: a day in ~9 min)")
    parser.add_argument("--scenario", default="month_end", choices=("month_end", "normal", "quiet"),
                        help="kind of day to simulate (default month_end: busy, with alerts)")
    parser.add_argument("--seed", type=int, default=1, help="simulation seed (default 1)")
    parser.add_argument("--headless", action="store_true",
                        help="no window: the screen writes a screenshot to --shots every few seconds")
    parser.add_argument("--port", type=_demo_port, default=8080, help="server port on 127.0.0.1 (default 8080)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="journal folder (default: a new temporary folder)")
    parser.add_argument("--chain", type=int, default=0, metavar="N",
                        help="a chain instead: head office (on --port + 10) and N halls (on --port, +1, ...), "
                             "each with its simulated day; prints the board's URL")
    parser.add_argument("--shots", type=Path, default=Path("var/demo-shots"),
                        help="folder for headless screenshots (default var/demo-shots)")
    parser.add_argument("--shot-every", type=float, default=10.0, metavar="S",
                        help="seconds between headless screenshots (default 10)")


def run(args: argparse.Namespace) -> int:
    # A broken config is one line before anything starts, not a server that dies in the background.
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 2
    # The same check the server makes, before anything is spawned: a port another program holds
    # must not end in a traceback, nor in our screen being fed by someone else's server.
    try:
        for sock in open_listeners("127.0.0.1", args.port):
            sock.close()
    except ListenError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 2
    stop = _StopRequest()
    previous = {signum: signal.signal(signum, stop) for signum in _STOP_SIGNALS}
    children: dict[str, subprocess.Popen[bytes]] = {}
    try:
        if args.chain:
            from .hq.demo import run_chain

            code = run_chain(args, config, children, stop)
        else:
            code = _run(args, config, children, stop)
    finally:
        if stop.signum == signal.SIGHUP:
            _forget_terminal()
        if stop.signum is not None:
            _say("\ndemo: stopping")
        killed = _stop_all(children, _GRACE_S)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if killed:
        _say(f"demo: killed the {', '.join(killed)}: not stopped within {_GRACE_S:g} s", sys.stderr)
        return 1
    return code


class _StopRequest:
    """Signal handler that only records the first stop signal; the main loop acts on it.

    Raising from the handler (as SIGINT's KeyboardInterrupt does) could land between a fork and
    the bookkeeping of its child, leaving a child nobody stops.
    """

    def __init__(self) -> None:
        self.signum: int | None = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum


def _run(args: argparse.Namespace, config: HallConfig, children: dict[str, subprocess.Popen[bytes]],
         stop: _StopRequest) -> int:
    data_dir = (args.data_dir or Path(tempfile.mkdtemp(prefix="waitwell-demo-"))).resolve()
    config_path = args.config.resolve()
    base = f"http://127.0.0.1:{args.port}"
    ws_base = f"ws://127.0.0.1:{args.port}"
    headless = args.headless or not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    children["server"] = _spawn("-m", "server", "serve", "--config", str(config_path),
                                "--port", str(args.port), "--data-dir", str(data_dir),
                                "--clock", "event", "--queue-token", DEMO_QUEUE_TOKEN,
                                "--staff-token", DEMO_STAFF_TOKEN, "--log-level", "WARNING")
    started = _wait_healthy(base, children["server"], stop)
    if stop.signum is not None:
        return 0
    if not started:
        code = children["server"].poll()
        if code == 2:
            return 2  # a usage error (the port was taken after our check): the server said why in one line
        if code is None:
            print(f"demo: the server did not answer {base}/healthz within 20 s", file=sys.stderr)
        else:
            print(f"demo: the server did not start (exit {code})", file=sys.stderr)
        return 1
    children["queue system"] = _spawn(
        "-m", "server.simulator", "--config", str(config_path), "--scenario", args.scenario,
        "--seed", str(args.seed),
        "--date", dt.date.today().isoformat(), "--push", f"{ws_base}/ws/queue",
        "--token", DEMO_QUEUE_TOKEN, "--speed", str(args.speed))
    print(f"WaitWell demo: {args.scenario} day at {args.speed:g}x, journal in {data_dir}")
    print(f"  hall config:  {config_path} ({config.name} / {config.name_en}: {len(config.windows)} windows, "
          f"{len(config.services)} services)")
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
    target = args.shots / "lobby-0000.png"
    day_done = False
    while stop.signum is None:
        for name in ("server", "lobby screen"):
            proc = children.get(name)
            if proc is not None and proc.poll() is not None:
                print(f"demo: the {name} stopped (exit {proc.returncode})", file=sys.stderr)
                return 1
        code = children["queue system"].poll()
        if code is not None and not day_done:
            day_done = True
            print(f"demo: the simulated day is over (simulator exit {code}); still serving", flush=True)
        # The screenshot runs alongside, as a child like the others, so a stop never waits for it.
        shooter = children.get("screenshot")
        if shooter is not None and shooter.poll() is not None:
            del children["screenshot"]
            if target.exists():
                print(f"demo: screenshot {target}", flush=True)
            next_shot = time.monotonic() + args.shot_every
        if headless and "screenshot" not in children and time.monotonic() >= next_shot:
            shot += 1
            target = args.shots / f"lobby-{shot:04d}.png"
            target.unlink(missing_ok=True)
            children["screenshot"] = _spawn(
                "-m", "signage", "--server", ws_base, "--screenshot", str(target), "--size", "1920x1080",
                quiet=True, env={**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"})
        time.sleep(0.2)
    return 0


def _demo_port(text: str) -> int:
    port = port_number(text)
    if port == 0:
        raise argparse.ArgumentTypeError("the demo needs a fixed port (1-65535): its parts must know it")
    return port


def _spawn(*argv: str, quiet: bool = False, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    # Each child gets its own session: the terminal's Ctrl-C and hang-up reach only the demo,
    # which then stops the children in its own order.
    out = subprocess.DEVNULL if quiet else None
    return subprocess.Popen([sys.executable, *argv], start_new_session=True, stdout=out, stderr=out, env=env,
                            preexec_fn=_die_with_parent(os.getpid()))


def _die_with_parent(parent: int) -> Callable[[], None] | None:
    """A preexec_fn asking the kernel to SIGTERM the child when ``parent`` (the demo) dies, however it dies.

    Why the kernel and not a parent watcher in each child: it needs no code in the server, the
    simulator and the signage package (which must not import the server), it has no polling
    delay, and it reaches a child blocked in C (pygame, an SQLite fsync). SIGTERM, not SIGKILL,
    so the server still shuts down through aiohttp's graceful exit and closes its journal.
    Linux only: elsewhere None, and only a killed demo can leave its children behind.
    """
    prctl = _prctl()
    if prctl is None:
        return None

    def preexec() -> None:
        # Runs in the forked child, before exec; the demo runs no threads, so this is safe.
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the demo died before prctl took effect: no signal will come
            os._exit(1)

    return preexec


@functools.cache
def _prctl() -> Callable[..., int] | None:
    """libc's prctl(2), or None off Linux."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl


def _wait_healthy(base: str, proc: subprocess.Popen[bytes], stop: _StopRequest, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None and stop.signum is None:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as resp:
                if resp.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def _stop_all(children: dict[str, subprocess.Popen[bytes]], within: float) -> list[str]:
    """Stop every child within ``within`` seconds; return the names of those that had to be killed."""
    deadline = time.monotonic() + within
    # Screen, simulator and screenshot first, the server last, so nobody sees it vanish mid-day;
    # but the server gets at least half the time for its clean shutdown.
    order = sorted(children, key=lambda name: name == "server")
    for name in order:
        proc = children[name]
        if name == "server":
            clients = [children[other] for other in order if other != "server"]
            _wait(clients, min(deadline, time.monotonic() + within / 2))
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    _wait(children.values(), deadline)
    killed = [name for name in order if children[name].poll() is None]
    for name in killed:
        children[name].kill()
    for proc in children.values():
        proc.wait()
    return killed


def _wait(procs: Iterable[subprocess.Popen[bytes]], until: float) -> None:
    for proc in procs:
        try:
            proc.wait(max(0.0, until - time.monotonic()))
        except subprocess.TimeoutExpired:
            return


def _forget_terminal() -> None:
    """After a hang-up the terminal is gone: writing to it fails (EIO), so write nowhere instead."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)


def _say(text: str, stream: TextIO | None = None) -> None:
    """Print on the way out, where a closed terminal or pipe must not turn a clean stop into an error."""
    try:
        print(text, file=stream or sys.stdout, flush=True)
    except OSError:
        pass
