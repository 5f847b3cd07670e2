"""Machinery of bench/screen_bench.py: Xvfb, the hall server, screens, /proc accounting, X damage.

Kept apart from the benchmark's logic so that screen_bench.py reads as the experiment.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from bench.serverproc import free_port, wait_healthy

REPO = Path(__file__).resolve().parents[1]
CLK_TCK = os.sysconf("SC_CLK_TCK")
CHROMIUM = os.environ.get("WAITWELL_CHROMIUM", "/usr/bin/chromium")
# The kiosk command of docs/lobby-screen.md, as the issue fixes it; software rendering, nothing
# fetched but the page. No --headless: the page must really draw on the X server.
CHROMIUM_FLAGS = ["--kiosk", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  # Xvfb runs no window manager to make a kiosk window fullscreen: it would open at
                  # about half the screen and draw half the pixels.
                  "--window-position=0,0", "--window-size=1920,1080"]
QUEUE_TOKEN = "q"
STAFF_TOKEN = "s"


class Missing(SystemExit):
    """A tool the benchmark needs is not installed; the message says how to get it."""


def require_tools(chromium: bool = True) -> None:
    """Exit with an install hint when Xvfb, Chromium or Playwright is missing."""
    if shutil.which("Xvfb") is None:
        raise Missing("Xvfb is missing: apt-get install xvfb (bash .ci/run installs it)")
    if chromium and not Path(CHROMIUM).exists():
        raise Missing(f"{CHROMIUM} is missing: apt-get install chromium (or set WAITWELL_CHROMIUM)")
    if chromium:
        try:
            import playwright  # noqa: F401
        except ImportError:
            raise Missing("playwright is missing: .venv/bin/pip install -e '.[test]'") from None
    for lib, package in (("X11", "libx11-6"), ("Xdamage", "libxdamage1")):
        if ctypes.util.find_library(lib) is None:
            raise Missing(f"lib{lib} is missing: apt-get install {package} (Chromium depends on it too)")


def load_now() -> dict[str, Any]:
    """The machine's load: other sessions share these two cores, so every run records it."""
    one, five, fifteen = os.getloadavg()
    out = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    return {"load1": one, "load5": five, "load15": fifteen, "uptime": out}


# ---------------------------------------------------------------- processes and /proc


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue  # exited while we looked
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def tree(root: int) -> list[int]:
    """The pids of ``root`` and all its descendants (Chromium is a dozen processes)."""
    kids = _children_map()
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, ()))
    return out


def cpu_ticks(pids: Iterable[int]) -> int:
    """utime+stime plus the reaped children's cutime+cstime, in clock ticks.

    A helper that exits inside the window moves its time into its parent's cutime, so the
    difference of two sums over the tree counts it once.
    """
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15])
    return total


def memory_kb(pids: Iterable[int]) -> dict[str, int]:
    """Pss and Rss summed over ``pids`` (smaps_rollup): PSS splits shared pages fairly."""
    pss = rss = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("Pss:"):
                pss += int(line.split()[1])
            elif line.startswith("Rss:"):
                rss += int(line.split()[1])
    return {"pss_kb": pss, "rss_kb": rss}


def stop(proc: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL to the process group we created for it (start_new_session=True):
    a Chromium helper that outlived its browser goes too."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # the whole group is gone already
    proc.wait(5)


# ---------------------------------------------------------------- Xvfb


class Xvfb:
    """An Xvfb server on a display number it picks itself (-displayfd): no clash with others."""

    def __init__(self, size: str = "1920x1080x24") -> None:
        self.size = size
        self.proc: subprocess.Popen[bytes] | None = None
        self.display = ""

    def start(self) -> str:
        read_fd, write_fd = os.pipe()
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", self.size, "-nolisten", "tcp", "-noreset"],
            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        os.close(write_fd)
        number = b""
        ready, _, _ = select.select([read_fd], [], [], 15)
        while ready:
            chunk = os.read(read_fd, 16)
            if not chunk:
                break
            number += chunk
            if number.endswith(b"\n"):
                break
        os.close(read_fd)
        if not number.strip():
            stop(self.proc)
            raise SystemExit("Xvfb did not start (no display number within 15 s)")
        self.display = ":" + number.decode().strip()
        return self.display

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)


# ---------------------------------------------------------------- X damage (ctypes, no extra package)


class _XRectangle(ctypes.Structure):
    _fields_ = [("x", ctypes.c_short), ("y", ctypes.c_short), ("width", ctypes.c_ushort), ("height", ctypes.c_ushort)]


class _XDamageNotifyEvent(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                ("display", ctypes.c_void_p), ("drawable", ctypes.c_ulong), ("damage", ctypes.c_ulong),
                ("level", ctypes.c_int), ("more", ctypes.c_int), ("timestamp", ctypes.c_ulong),
                ("area", _XRectangle), ("geometry", _XRectangle)]


class _XEvent(ctypes.Union):
    _fields_ = [("type", ctypes.c_int), ("damage", _XDamageNotifyEvent), ("pad", ctypes.c_long * 24)]


@dataclass
class Damage:
    mono: float
    x: int
    y: int
    w: int
    h: int

    def contains(self, px: int, py: int) -> bool:
        return self.x <= px < self.x + self.w and self.y <= py < self.y + self.h


class DamageWatch:
    """Every rectangle drawn on the X screen, with the monotonic time we heard of it.

    An independent observer for both screens: the X server reports damage once the pixels
    are in its framebuffer (after SDL's XShmPutImage, after Chromium's software output), so
    both screens are timed at the same point, on the bench's own CLOCK_MONOTONIC.
    """

    def __init__(self, display: str) -> None:
        self.x11 = ctypes.CDLL(ctypes.util.find_library("X11"))
        self.xd = ctypes.CDLL(ctypes.util.find_library("Xdamage"))
        self.x11.XOpenDisplay.restype = ctypes.c_void_p
        self.x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self.x11.XDefaultRootWindow.restype = ctypes.c_ulong
        self.x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        self.x11.XConnectionNumber.argtypes = [ctypes.c_void_p]
        self.x11.XPending.argtypes = [ctypes.c_void_p]
        self.x11.XNextEvent.argtypes = [ctypes.c_void_p, ctypes.POINTER(_XEvent)]
        self.x11.XFlush.argtypes = [ctypes.c_void_p]
        self.x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self.xd.XDamageQueryExtension.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int)]
        self.xd.XDamageCreate.restype = ctypes.c_ulong
        self.xd.XDamageCreate.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int]
        self.dpy = self.x11.XOpenDisplay(display.encode())
        if not self.dpy:
            raise SystemExit(f"cannot open X display {display}")
        base, err = ctypes.c_int(), ctypes.c_int()
        if not self.xd.XDamageQueryExtension(self.dpy, ctypes.byref(base), ctypes.byref(err)):
            raise SystemExit(f"the X server {display} has no DAMAGE extension")
        self.notify = base.value  # XDamageNotify is event 0 of the extension
        # Raw rectangles: one report per drawing request, no XDamageSubtract round trips.
        self.xd.XDamageCreate(self.dpy, self.x11.XDefaultRootWindow(self.dpy), 0)
        self.x11.XFlush(self.dpy)
        self.events: list[Damage] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="xdamage", daemon=True)

    def start(self) -> "DamageWatch":
        self._thread.start()
        return self

    def _run(self) -> None:
        fd = self.x11.XConnectionNumber(self.dpy)
        ev = _XEvent()
        while not self._stop.is_set():
            select.select([fd], [], [], 0.2)
            while self.x11.XPending(self.dpy):
                self.x11.XNextEvent(self.dpy, ctypes.byref(ev))
                now = time.monotonic()
                if ev.type == self.notify:
                    a = ev.damage.area
                    with self._lock:
                        self.events.append(Damage(now, a.x, a.y, a.width, a.height))

    def first_after(self, t: float, px: int, py: int, until: float) -> Damage | None:
        """The first damage after ``t`` (and before ``until``) that covers pixel (px, py)."""
        with self._lock:
            for d in self.events:
                if t < d.mono <= until and d.contains(px, py):
                    return d
        return None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.x11.XCloseDisplay(self.dpy)


class _XWindowAttributes(ctypes.Structure):
    _fields_ = [("x", ctypes.c_int), ("y", ctypes.c_int), ("width", ctypes.c_int), ("height", ctypes.c_int),
                ("border_width", ctypes.c_int), ("depth", ctypes.c_int), ("visual", ctypes.c_void_p),
                ("root", ctypes.c_ulong), ("class", ctypes.c_int), ("bit_gravity", ctypes.c_int),
                ("win_gravity", ctypes.c_int), ("backing_store", ctypes.c_int), ("backing_planes", ctypes.c_ulong),
                ("backing_pixel", ctypes.c_ulong), ("save_under", ctypes.c_int), ("colormap", ctypes.c_ulong),
                ("map_installed", ctypes.c_int), ("map_state", ctypes.c_int), ("all_event_masks", ctypes.c_long),
                ("your_event_mask", ctypes.c_long), ("do_not_propagate_mask", ctypes.c_long),
                ("override_redirect", ctypes.c_int), ("screen", ctypes.c_void_p)]


def largest_window(display: str) -> list[int] | None:
    """[width, height] of the largest mapped top-level window: proof that a screen is fullscreen."""
    x11 = ctypes.CDLL(ctypes.util.find_library("X11"))
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XDefaultRootWindow.restype = ctypes.c_ulong
    x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    x11.XQueryTree.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_ulong),
                               ctypes.POINTER(ctypes.POINTER(ctypes.c_ulong)), ctypes.POINTER(ctypes.c_uint)]
    x11.XGetWindowAttributes.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(_XWindowAttributes)]
    x11.XFree.argtypes = [ctypes.c_void_p]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    dpy = x11.XOpenDisplay(display.encode())
    if not dpy:
        return None
    try:
        root, parent = ctypes.c_ulong(), ctypes.c_ulong()
        children, n = ctypes.POINTER(ctypes.c_ulong)(), ctypes.c_uint()
        if not x11.XQueryTree(dpy, x11.XDefaultRootWindow(dpy), ctypes.byref(root), ctypes.byref(parent),
                              ctypes.byref(children), ctypes.byref(n)):
            return None
        best: list[int] | None = None
        attrs = _XWindowAttributes()
        for i in range(n.value):
            if x11.XGetWindowAttributes(dpy, children[i], ctypes.byref(attrs)) and attrs.map_state == 2:  # viewable
                if best is None or attrs.width * attrs.height > best[0] * best[1]:
                    best = [attrs.width, attrs.height]
        if children:
            x11.XFree(children)
        return best
    finally:
        x11.XCloseDisplay(dpy)


# ---------------------------------------------------------------- content variants


def make_content(root: Path) -> Path:
    """A copy of the repository's content/ that the server and the pygame screen both read."""
    dest = root / "content"
    shutil.copytree(REPO / "content", dest)
    return dest


def write_content(content: Path, variant: str, banner_s: float = 2.0) -> None:
    """Set the lobby content for a scenario.

    default: the sample hall's content as shipped (ticker pages every 8 s, five promotions cut
    every 10-12 s, 8 s banners). rest: one tip and one promotion, so nothing pages or cuts:
    only the clock minute and the waits counting down change. latency: the default with short
    banners, so calls can come every few seconds and each still lands on a screen without one.
    """
    screen_src = (REPO / "content/signage/screen.yaml").read_text(encoding="utf-8")
    playlist_src = (REPO / "content/signage/playlist.yaml").read_text(encoding="utf-8")
    screen, playlist = yaml.safe_load(screen_src), yaml.safe_load(playlist_src)
    if variant == "rest":
        screen["tips"] = screen["tips"][:1]
        screen["busy"] = {"self_service": [], "nearby": []}
        playlist["slides"] = playlist["slides"][:1]
    elif variant == "latency":
        screen["banner_seconds"] = banner_s
    elif variant != "default":
        raise ValueError(variant)
    dump = lambda obj: yaml.safe_dump(obj, allow_unicode=True, sort_keys=False)  # noqa: E731
    (content / "signage/screen.yaml").write_text(dump(screen), encoding="utf-8")
    (content / "signage/playlist.yaml").write_text(dump(playlist), encoding="utf-8")


# ---------------------------------------------------------------- the hall server and its feeds


class Server:
    """`waitwell serve --clock event` on a free 127.0.0.1 port, fresh data dir, our content dir."""

    def __init__(self, data_dir: Path, content: Path, log: Path) -> None:
        self.data_dir, self.content, self.log = data_dir, content, log
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def start(self) -> None:
        env = dict(os.environ, WAITWELL_CONTENT_DIR=str(self.content))
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "server", "serve", "--port", str(self.port), "--data-dir", str(self.data_dir),
                 "--clock", "event", "--queue-token", QUEUE_TOKEN, "--staff-token", STAFF_TOKEN,
                 "--log-level", "WARNING"],
                cwd=REPO, env=env, stdout=log, stderr=log, start_new_session=True)
        await asyncio.to_thread(wait_healthy, self.http, self.proc, who="screen_bench", log=self.log, timeout_s=15.0)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)


class QueueFeed:
    """The queue system's side: /ws/queue, each event acked once durable."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.session: aiohttp.ClientSession | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def open(self) -> None:
        self.session = aiohttp.ClientSession()
        self.ws = await self.session.ws_connect(f"{self.server.ws}/ws/queue?token={QUEUE_TOKEN}", max_msg_size=0)
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.ws is not None
        async for msg in self.ws:
            reply = json.loads(msg.data)
            fut = self._acks.pop(reply.get("id"), None)
            if fut is not None and not fut.done():
                fut.set_result(reply)

    async def send(self, event: dict[str, Any]) -> asyncio.Future[dict[str, Any]]:
        """Send one event now; return the future of its ack."""
        assert self.ws is not None
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[event["id"]] = fut
        await self.ws.send_str(json.dumps(event, ensure_ascii=False))
        return fut

    async def push(self, events: Iterable[dict[str, Any]], window: int = 50) -> None:
        """Send events as fast as the server acks them (at most ``window`` in flight)."""
        pending: list[asyncio.Future[dict[str, Any]]] = []
        for event in events:
            pending.append(await self.send(event))
            if len(pending) >= window:
                await self._check(pending[: window // 2])
                del pending[: window // 2]
        await self._check(pending)

    @staticmethod
    async def _check(futures: list[asyncio.Future[dict[str, Any]]]) -> None:
        for reply in await asyncio.wait_for(asyncio.gather(*futures), 30):
            if reply.get("type") != "ack":
                raise SystemExit(f"the server refused a bench event: {reply}")

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await self._reader
        if self.session is not None:
            await self.session.close()


@dataclass
class DisplayWatch:
    """A /ws/display client that notes, per state, its seq and the calls it carries."""

    server: Server
    states: list[tuple[int, float, frozenset[tuple[str, str]]]] = field(default_factory=list)
    last: dict[str, Any] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None

    async def open(self) -> None:
        session = aiohttp.ClientSession()
        ws = await session.ws_connect(f"{self.server.ws}/ws/display")
        first = asyncio.get_running_loop().create_future()

        async def read() -> None:
            try:
                async for msg in ws:
                    state = json.loads(msg.data)
                    if state.get("type") != "display.state":
                        continue
                    calls = frozenset((c["ticket"], str(c["window"])) for c in state["calls"])
                    self.states.append((state["seq"], time.monotonic(), calls))
                    self.last = state
                    if not first.done():
                        first.set_result(None)
            finally:
                await session.close()

        self._task = asyncio.create_task(read())
        await asyncio.wait_for(first, 10)

    @property
    def last_seq(self) -> int:
        return self.states[-1][0]

    def first_seq_with(self, call: tuple[str, str], after: int) -> int | None:
        """The first state after seq ``after`` that lists ``call`` (ticket, window)."""
        for seq, _t, calls in self.states:
            if seq > after and call in calls:
                return seq
        return None

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - closing
                pass
