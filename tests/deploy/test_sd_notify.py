"""systemd's notify protocol: a real datagram socket as NOTIFY_SOCKET hears READY=1 and WATCHDOG=1
from a real `waitwell serve` and a real `waitwell display`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from signage.sd_notify import Notifier

from tests.processes import REPO, free_port


class NotifySocket:
    """A bound AF_UNIX datagram socket, as systemd holds for a Type=notify service."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.heard: list[str] = []

    def wait_for(self, line: str, times: int = 1, timeout: float = 60.0) -> list[str]:
        """Collect messages until ``times`` of them hold ``line``; fail after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while sum(line in message.splitlines() for message in self.heard) < times:
            left = deadline - time.monotonic()
            assert left > 0, f"never heard {line!r}; heard {self.heard}"
            self.sock.settimeout(left)
            try:
                self.heard.append(self.sock.recv(4096).decode())
            except TimeoutError:
                continue
        return self.heard

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[NotifySocket]:
    sock = NotifySocket(tmp_path / "notify.sock")
    try:
        yield sock
    finally:
        sock.close()


def _start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "server", *argv], cwd=REPO, env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _env(notify: NotifySocket, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WATCHDOG_PID",)}
    env.update(NOTIFY_SOCKET=str(notify.path), WATCHDOG_USEC="2000000", **extra)
    return env


def test_serve_says_ready_then_pings_the_watchdog(tmp_path: Path, notify_socket: NotifySocket) -> None:
    proc = _start(["serve", "--port", str(free_port()), "--data-dir", str(tmp_path / "data"),
                   "--queue-token", "q", "--staff-token", "s"], _env(notify_socket), tmp_path / "serve.log")
    try:
        notify_socket.wait_for("READY=1")
        heard = notify_socket.wait_for("WATCHDOG=1")
        assert heard.index("READY=1") < next(i for i, m in enumerate(heard) if m == "WATCHDOG=1")
        # It keeps pinging (every WATCHDOG_USEC/2 = 1 s) while its loop runs.
        notify_socket.wait_for("WATCHDOG=1", times=3)
    finally:
        _stop(proc)
    assert proc.returncode == 0, (tmp_path / "serve.log").read_text()
    notify_socket.wait_for("STOPPING=1")


def test_an_adapter_says_ready_then_pings_the_watchdog(tmp_path: Path, notify_socket: NotifySocket) -> None:
    """An adapter whose loop hangs holds its source's webhooks unanswered: systemd must restart it."""
    from tests.adapters.payloads import GENERIC_YAML

    config = tmp_path / "adapter.yaml"
    config.write_text(GENERIC_YAML)
    proc = _start(["adapt", "generic", "--config", str(config), "--server", f"http://127.0.0.1:{free_port()}",
                   "--queue-token", "q", "--listen", f"127.0.0.1:{free_port()}", "--spool",
                   str(tmp_path / "spool.jsonl")], _env(notify_socket), tmp_path / "adapt.log")
    try:
        heard = notify_socket.wait_for("READY=1")
        notify_socket.wait_for("WATCHDOG=1", times=2)
        assert heard.index("READY=1") == 0
    finally:
        _stop(proc)
    notify_socket.wait_for("STOPPING=1")


def test_display_says_ready_after_its_first_frame_and_pings_from_the_frame_loop(
        tmp_path: Path, notify_socket: NotifySocket) -> None:
    # No server: the screen draws its offline frame and keeps drawing; that is what it pings for.
    env = _env(notify_socket, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    proc = _start(["display", "--windowed", "--size", "640x360", "--server", f"ws://127.0.0.1:{free_port()}"],
                  env, tmp_path / "display.log")
    try:
        notify_socket.wait_for("READY=1")
        notify_socket.wait_for("WATCHDOG=1", times=2)
        assert proc.poll() is None, (tmp_path / "display.log").read_text()
    finally:
        _stop(proc)


def test_without_notify_socket_nothing_is_sent() -> None:
    notifier = Notifier.from_env({"WATCHDOG_USEC": "1000000"})
    assert notifier.address is None
    assert notifier.ready() is False
    assert notifier.ping(0.0) is False


def test_watchdog_pings_are_paced_at_half_the_timeout(notify_socket: NotifySocket) -> None:
    notifier = Notifier.from_env({"NOTIFY_SOCKET": str(notify_socket.path), "WATCHDOG_USEC": "10000000"})
    assert notifier.interval_s == 5.0
    sent = [t for t in (100.0, 101.0, 104.9, 105.0, 106.0, 110.0) if notifier.ping(t)]
    assert sent == [100.0, 105.0, 110.0]
    notify_socket.wait_for("WATCHDOG=1", times=3, timeout=5)
    assert notify_socket.heard == ["WATCHDOG=1"] * 3


def test_watchdog_meant_for_another_process_is_ignored(notify_socket: NotifySocket) -> None:
    """WATCHDOG_PID names the main process: a child that inherited the environment does not ping."""
    env = {"NOTIFY_SOCKET": str(notify_socket.path), "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": str(os.getpid() + 1)}
    assert Notifier.from_env(env).interval_s is None
    env["WATCHDOG_PID"] = str(os.getpid())
    assert Notifier.from_env(env).interval_s == 0.5


def test_abstract_notify_socket(tmp_path: Path) -> None:
    """systemd may name an abstract socket, "@name": the sender writes it with a leading NUL."""
    name = f"waitwell-test-{os.getpid()}-{tmp_path.name}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        assert Notifier.from_env({"NOTIFY_SOCKET": "@" + name}).ready()
        assert sock.recv(100) == b"READY=1"


class _Stop(Exception):
    pass


def test_a_screen_whose_drawing_hangs_stops_pinging(notify_socket: NotifySocket, monkeypatch: pytest.MonkeyPatch) -> None:
    """The screen's pings come from its frame loop: while a frame is stuck (a wedged driver), none
    go out, so systemd's watchdog restarts it; once frames flow again, so do the pings."""
    import asyncio
    import threading

    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    from signage.display.app import DisplayApp, Screen

    frozen, release, stop = threading.Event(), threading.Event(), threading.Event()
    frames = 0
    draw = Screen.frame

    def frame(self: Screen, mono: float, wall: object) -> object:
        nonlocal frames
        frames += 1
        if frames == 3:
            frozen.set()
            assert release.wait(60)
        if stop.is_set():
            raise _Stop
        return draw(self, mono, wall)  # type: ignore[arg-type]

    monkeypatch.setattr(Screen, "frame", frame)
    app = DisplayApp(url=f"ws://127.0.0.1:{free_port()}/ws/display", content_dir=REPO / "content", size=(320, 240),
                     fullscreen=False, notifier=Notifier(str(notify_socket.path), watchdog_s=0.2))
    errors: list[BaseException] = []

    def screen() -> None:
        try:
            asyncio.run(app.run())
        except _Stop:
            pass
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    thread = threading.Thread(target=screen, daemon=True)
    thread.start()
    try:
        notify_socket.wait_for("READY=1")
        assert frozen.wait(60), errors
        # Pings sent before the hang are already in the socket (a send returns once queued): take them.
        notify_socket.sock.setblocking(False)
        try:
            while True:
                notify_socket.heard.append(notify_socket.sock.recv(4096).decode())
        except BlockingIOError:
            pass
        notify_socket.sock.setblocking(True)
        pinged = notify_socket.heard.count("WATCHDOG=1")
        assert pinged >= 1  # the frames before the hang pinged
        # Ten ping intervals with the frame stuck: nothing.
        notify_socket.sock.settimeout(1.0)
        with pytest.raises(TimeoutError):
            while True:
                message = notify_socket.sock.recv(4096).decode()
                notify_socket.heard.append(message)
                assert message != "WATCHDOG=1", "pinged while the frame was stuck"
        release.set()
        notify_socket.wait_for("WATCHDOG=1", times=pinged + 1, timeout=30)
    finally:
        release.set()
        stop.set()
        thread.join(30)
    assert not errors, errors
