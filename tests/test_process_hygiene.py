"""Process hygiene: the demo leaves nothing running, and bad ports or URLs get one clear line."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.proctools import Proc, descendants, kill_all, port_is_free, wait_gone
from tests.web.test_restart import free_port


REPO = Path(__file__).resolve().parents[1]
STOP_WITHIN_S = 5.0
HEADLESS_ENV = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
# How each of the demo's children shows in its command line.
HEADLESS_CHILDREN = {"server": " serve ", "queue system": "server.simulator", "screenshot": "--screenshot"}
WINDOWED_CHILDREN = {"server": " serve ", "queue system": "server.simulator", "lobby screen": "--windowed"}


def start_demo(tmp_path: Path, port: int, windowed: bool = False) -> subprocess.Popen[bytes]:
    """A demo on ``port``: headless, taking a screenshot every half second so one is usually running;
    or with its lobby screen "in a window" (SDL's dummy driver under a DISPLAY that is never opened)."""
    argv = [sys.executable, "-m", "server", "demo", "--speed", "3000", "--port", str(port),
            "--data-dir", str(tmp_path / "data"), "--shots", str(tmp_path / "shots"), "--shot-every", "0.5"]
    env = {**HEADLESS_ENV, "DISPLAY": ":99"} if windowed else HEADLESS_ENV
    log = open(tmp_path / "demo.log", "wb")  # noqa: SIM115 - the child owns it
    with log:
        return subprocess.Popen(argv if windowed else [*argv, "--headless"], cwd=REPO, stdout=log,
                                stderr=subprocess.STDOUT, env=env)


def wait_for_children(demo: subprocess.Popen[bytes], port: int, tmp_path: Path,
                      expected: dict[str, str] = HEADLESS_CHILDREN) -> list[Proc]:
    """The demo's processes once every ``expected`` child runs and the server has taken queue events."""
    deadline = time.monotonic() + 40
    kids: list[Proc] = []
    while time.monotonic() < deadline:
        assert demo.poll() is None, (tmp_path / "demo.log").read_text(errors="replace")
        kids = descendants(demo.pid)
        running = {name for name, mark in expected.items() if any(mark in k.cmdline + " " for k in kids)}
        if running == set(expected) and _tickets_issued(port) > 0:
            return kids
        time.sleep(0.1)
    raise AssertionError(f"the demo's children never all ran: {[k.cmdline for k in kids]}")


def _tickets_issued(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/report?token=demo-staff", timeout=1) as resp:
            return int(json.load(resp).get("issued", 0))
    except OSError:
        return 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_demo_stops_every_child_within_5_s_of_a_stop_signal(tmp_path, signum):
    """SIGTERM (service manager) or SIGHUP (terminal closed): server, simulator and screenshot end within 5 s, exit 0."""
    port = free_port()
    demo = start_demo(tmp_path, port)
    kids: list[Proc] = []
    try:
        kids = wait_for_children(demo, port, tmp_path)
        sent = time.monotonic()
        demo.send_signal(signum)
        left = wait_gone(kids, STOP_WITHIN_S)
        assert not left, f"still running {STOP_WITHIN_S:g} s after {signum.name}: {[p.cmdline for p in left]}"
        code = demo.wait(timeout=max(0.1, sent + STOP_WITHIN_S - time.monotonic()))
    finally:
        demo.kill()
        demo.wait()
        kill_all(kids)
    assert code == 0, (tmp_path / "demo.log").read_text(errors="replace")
    assert port_is_free(port)
    assert_journal_closed(tmp_path / "data")


def assert_journal_closed(data_dir: Path) -> None:
    """The server closed its journal: intact, and no WAL left (SQLite removes it on a clean close)."""
    with contextlib.closing(sqlite3.connect(data_dir / "journal.sqlite3")) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM journal").fetchone()[0] > 0
    assert not (data_dir / "journal.sqlite3-wal").exists(), "the server died without closing its journal"


@pytest.mark.parametrize("windowed", [False, True], ids=["headless", "windowed"])
def test_demo_children_exit_when_the_demo_is_killed(tmp_path, windowed):
    """SIGKILL of the demo: its children notice within 5 s, free the port, and the server closes its journal."""
    port = free_port()
    demo = start_demo(tmp_path, port, windowed)
    kids: list[Proc] = []
    try:
        kids = wait_for_children(demo, port, tmp_path, WINDOWED_CHILDREN if windowed else HEADLESS_CHILDREN)
        demo.kill()
        demo.wait()
        left = wait_gone(kids, STOP_WITHIN_S)
        assert not left, f"still running {STOP_WITHIN_S:g} s after SIGKILL: {[p.cmdline for p in left]}"
    finally:
        demo.kill()
        demo.wait()
        kill_all(kids)
    assert port_is_free(port)
    assert_journal_closed(tmp_path / "data")


@pytest.fixture
def busy_port():
    """A port on 127.0.0.1 that another program already listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def run_waitwell(*argv: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*prefix, sys.executable, "-m", "server", *argv], cwd=REPO, capture_output=True,
                          text=True, timeout=60, env=HEADLESS_ENV)


def assert_one_clear_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 2 and exactly one stderr line that names every one of ``words``; never a traceback."""
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize("command", [["serve"], ["demo", "--headless"]], ids=["serve", "demo"])
def test_busy_port_is_one_line_naming_the_port_and_the_flag(tmp_path, busy_port, command):
    """`serve` and `demo` on a port another program holds: one line naming the port and --port, exit 2."""
    result = run_waitwell(*command, "--port", str(busy_port), "--data-dir", str(tmp_path / "data"))
    assert_one_clear_line(result, f"port {busy_port} ", "--port")
    assert "WaitWell serving" not in result.stdout, "the demo started a server on a busy port"


@pytest.mark.parametrize("host", ["no-such-host.invalid", "192.0.2.1"], ids=["unknown-name", "not-ours"])
def test_host_the_server_cannot_listen_on_is_one_line_naming_it(tmp_path, host):
    """A --host that does not resolve, or is not an address of this machine: one line naming it and --host."""
    result = run_waitwell("serve", "--host", host, "--port", str(free_port()), "--data-dir", str(tmp_path / "data"))
    assert_one_clear_line(result, host, "--host")


def test_privileged_port_is_one_line_naming_the_port_and_the_flag(tmp_path):
    """Port 80 without the right to bind it: one line naming the port and --port, exit 2."""
    unprivileged_from = int(Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text())
    if unprivileged_from <= 80:
        pytest.skip("this machine lets everyone bind port 80")
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root and setpriv is missing: cannot drop the right to bind port 80")
        # Root without CAP_NET_BIND_SERVICE: still root for the files (a checkout under a 0700
        # temporary folder is unreadable to nobody), but not allowed ports below 1024.
        prefix = (setpriv, "--inh-caps=-net_bind_service", "--bounding-set=-net_bind_service")
    result = run_waitwell("serve", "--port", "80", "--data-dir", str(tmp_path / "data"), prefix=prefix)
    assert_one_clear_line(result, "port 80 ", "--port")


@pytest.mark.parametrize("port", ["70000", "-1", "http"])
def test_port_out_of_range_is_a_usage_error(tmp_path, port):
    """--port outside 0-65535: exit 2 with a usage error naming --port, no traceback."""
    result = run_waitwell("serve", "--port", port, "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "--port" in result.stderr.splitlines()[-1]


def run_display(tmp_path: Path, server: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "signage", "--server", server, "--screenshot",
                           str(tmp_path / "shot.png")], cwd=REPO, capture_output=True, text=True, timeout=60,
                          env=HEADLESS_ENV)


@pytest.mark.parametrize("server", ["ws://127.0.0.1:99999", "ws://[::1", "ftp://127.0.0.1:8080",
                                    "http://127.0.0.1:8080", "ws://:8080"])
def test_display_rejects_a_server_url_it_can_never_reach(tmp_path, server):
    """`display --server` that no retry can fix (bad port, scheme or host): exit 2 naming --server, no traceback."""
    result = run_display(tmp_path, server)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2, result.stderr
    assert "--server" in result.stderr.splitlines()[-1]
    assert not (tmp_path / "shot.png").exists()


def test_display_keeps_retrying_an_unreachable_server_without_a_traceback(tmp_path):
    """Nothing listens at --server: the screen warns, retries, and still renders (no traceback)."""
    result = run_display(tmp_path, f"ws://127.0.0.1:{free_port()}")
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    assert "feed unavailable" in result.stderr
    assert (tmp_path / "shot.png").exists()


def test_data_dir_the_server_cannot_use_is_one_line_naming_it(tmp_path):
    """--data-dir that is a file: one line naming --data-dir, exit 2, and the port is not left held."""
    not_a_dir = tmp_path / "journal-here"
    not_a_dir.write_text("a file, not a folder\n")
    port = free_port()
    result = run_waitwell("serve", "--port", str(port), "--data-dir", str(not_a_dir / "var"))
    assert_one_clear_line(result, "--data-dir", str(not_a_dir))
    assert port_is_free(port)
