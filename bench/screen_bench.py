"""Screens side by side: the pygame lobby screen vs the /display page in Chromium, one X server.

    .venv/bin/python bench/screen_bench.py [--calls 30] [--window 20] [--out bench/results/screen.json]

One real `waitwell serve --clock event` and one Xvfb 1920x1080x24. The hall is a simulated
month-end day (server.simulator, seed 7), replayed from its hall.reset before every run, so that
each run of each screen starts from the same hall: 13:00, the lunch crunch (8 windows open, about
55 tickets waiting, the "open more counters" alert on, so the ticker shows the busy pages).

Event to screen: ticket.called sent over /ws/queue (spaced: one every --interval s, longer
than the bench's 1 s banner, so each call lands on a screen without one; and bursts of calls
sent back to back) -> the first presented frame that shows it. Each screen is timed by its own
hook (pygame: --trace, CLOCK_MONOTONIC after display.update; Chromium: window.__waitwell,
epoch ms of the requestAnimationFrame after the DOM update) and by an independent observer,
the X server's DAMAGE reports for the banner's pixels.

Cost: each screen alone, fullscreen (pygame) or --kiosk (Chromium, no --headless), in three
scenarios: rest (nothing pages or cuts, only the clock), ticker+promotions (the sample content:
ticker pages every 8 s, five promotions cut every 10-12 s), busy hour (the month-end day's
13:00-14:00 events, 521 of them with 155 calls, pushed at --busy-speed x). CPU % of one core over --window s after --warmup s
(utime+stime over the process tree, reaped children included), PSS summed over the tree, and
Xvfb's CPU over the same window. Prints one table and writes JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # screen_lab imports bench.serverproc
from screen_lab import (  # noqa: E402
    CHROMIUM, CHROMIUM_FLAGS, CLK_TCK, REPO, DamageWatch, DisplayWatch, QueueFeed, Server, Xvfb, cpu_ticks,
    largest_window, load_now, make_content, memory_kb, require_tools, stop, tree, write_content,
)

sys.path.insert(0, str(REPO))
from server.simulator.day import simulate_day  # noqa: E402

SCREENS = ("pygame", "chromium")
SCENARIOS = ("rest", "ticker+promotions", "busy hour")
CALL_TYPES = ("ticket.called", "ticket.recalled")  # both put a banner on the screen
FRAME_60HZ_MS = 1000 / 60
# A pixel inside the banner (it covers the body) that, without a banner, belongs to the calls
# panel: promotions, waits, clock and ticker never draw there, only a new call does.
PROBE = (380, 560)


# ---------------------------------------------------------------- the hall


class HallDays:
    """One simulated month-end day, replayed as a new day (7 days later, new ids) for each run.

    Every run starts from the same hall: a hall.reset, then the day up to ``start`` sent as fast
    as the server acks. Same weekday, so the same promotions are scheduled.
    """

    def __init__(self, seed: int = 7, start: str = "13:00") -> None:
        self.day = simulate_day("month_end", seed)
        self.start = start
        self.replays = 0

    def replay(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(events before ``start``, events from ``start`` on) of a fresh copy of the day."""
        self.replays += 1
        shift = timedelta(days=7 * self.replays)
        out = []
        for n, ev in enumerate(self.day.events):
            at = datetime.fromisoformat(ev["at"]) + shift
            out.append({**ev, "id": f"r{self.replays}-{n}", "at": at.isoformat(timespec="milliseconds")})
        split = next(i for i, ev in enumerate(out) if ev["at"][11:16] >= self.start)
        return out[:split], out[split:]


def later(event: dict[str, Any], seconds: float, n: int) -> dict[str, Any]:
    """A clock.tick ``seconds`` after ``event``: a screen that connects then announces no call."""
    at = datetime.fromisoformat(event["at"]) + timedelta(seconds=seconds)
    return {"id": f"tick-{event['id']}-{n}", "type": "clock.tick", "at": at.isoformat(timespec="milliseconds")}


def after(events: list[dict[str, Any]], event: dict[str, Any]) -> list[dict[str, Any]]:
    """``events`` moved later, keeping their spacing, so that the first comes 1 s after ``event``.

    The banner follows the calls' own times (signage/calls.py): a call stamped before the
    hall's time (the tick ``later`` adds) would be past its banner time when it arrives.
    """
    if not events:
        return events
    shift = datetime.fromisoformat(event["at"]) + timedelta(seconds=1) - datetime.fromisoformat(events[0]["at"])
    if shift <= timedelta(0):
        return events
    return [{**ev, "at": (datetime.fromisoformat(ev["at"]) + shift).isoformat(timespec="milliseconds")} for ev in events]


# ---------------------------------------------------------------- the two screens


@dataclass
class Screen:
    """One screen process on the X server; ``proc`` is the root of its process tree."""

    kind: str
    proc: subprocess.Popen[bytes]
    trace: Path | None = None
    cdp_port: int | None = None

    def stop(self) -> None:
        stop(self.proc)


def start_screen(kind: str, display: str, server: Server, content: Path, work: Path, *, timed: bool = False) -> Screen:
    """Start a screen; ``timed``: with its hook for event-to-screen (--trace, or a CDP port)."""
    env = dict(os.environ, DISPLAY=display)
    for var in ("SDL_VIDEODRIVER", "WAYLAND_DISPLAY"):
        env.pop(var, None)  # the X server under test, whatever the caller's session uses
    log = open(work / f"{kind}.log", "ab")  # noqa: SIM115 - inherited by the child, closed below
    try:
        if kind == "pygame":
            trace = work / f"trace-{time.monotonic_ns()}.txt" if timed else None
            env["PYGAME_HIDE_SUPPORT_PROMPT"] = "1"
            proc = subprocess.Popen([sys.executable, "-m", "signage", "--server", server.ws, "--content", str(content),
                                     *(["--trace", str(trace)] if trace else [])], cwd=REPO, env=env, stdout=log,
                                    stderr=log, start_new_session=True)
            return Screen(kind, proc, trace=trace)
        profile = work / "chromium-profile"  # one profile for all runs: a kiosk keeps its own
        (profile / "DevToolsActivePort").unlink(missing_ok=True)
        extra = ["--remote-debugging-port=0"] if timed else []
        proc = subprocess.Popen([CHROMIUM, *CHROMIUM_FLAGS, *extra, f"--user-data-dir={profile}",
                                 f"{server.http}/display"], env=env, stdout=log, stderr=log, start_new_session=True)
        screen = Screen(kind, proc)
        if timed:
            deadline = time.monotonic() + 20
            port_file = profile / "DevToolsActivePort"
            while not (port_file.exists() and port_file.read_text().strip()):
                if time.monotonic() > deadline or proc.poll() is not None:
                    screen.stop()
                    raise SystemExit(f"chromium did not open its debugging port; see {work / 'chromium.log'}")
                time.sleep(0.05)
            screen.cdp_port = int(port_file.read_text().split()[0])
        return screen
    finally:
        log.close()


def read_trace(path: Path) -> list[tuple[int, float]]:
    out = []
    if path.exists():
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2:
                out.append((int(parts[0]), float(parts[1])))
    return out


async def wait_for_trace(screen: Screen, timeout: float = 20) -> None:
    assert screen.trace is not None
    deadline = time.monotonic() + timeout
    while not read_trace(screen.trace):
        if time.monotonic() > deadline or screen.proc.poll() is not None:
            screen.stop()
            log = (screen.trace.parent / "pygame.log").read_text(errors="replace")[-2000:]
            raise SystemExit(f"the pygame screen did not present a state (exit {screen.proc.returncode}):\n{log}")
        await asyncio.sleep(0.05)


# Records every assignment to the page's benchmark hook (the page sets it inside the
# requestAnimationFrame after the DOM update), so that no frame is missed between polls.
RECORDER = """() => {
  const h = window.__waitwell, log = window.__benchLog = [];
  for (const k of ["lastShownCall", "lastState"]) {
    let v = h[k];
    Object.defineProperty(h, k, { configurable: true, get() { return v; },
      set(x) { v = x; log.push([k, x]); } });
  }
}"""


class Page:
    """Playwright attached over CDP to the kiosk Chromium: reads the hook, nothing else."""

    def __init__(self, port: int) -> None:
        self.port = port

    async def __aenter__(self) -> "Page":
        from playwright.async_api import async_playwright

        self._pw = await async_playwright().start()
        self.browser = await self._pw.chromium.connect_over_cdp(f"http://127.0.0.1:{self.port}")
        deadline = time.monotonic() + 20
        while not (self.browser.contexts and self.browser.contexts[0].pages):
            if time.monotonic() > deadline:
                raise SystemExit("the kiosk Chromium shows no page")
            await asyncio.sleep(0.1)
        self.page = self.browser.contexts[0].pages[0]
        await self.page.wait_for_selector("body[data-feed='live']", timeout=20_000)
        await self.page.evaluate(RECORDER)
        return self

    async def clock_offset(self, rounds: int = 15) -> dict[str, float]:
        """Page epoch clock minus ours: performance.timeOrigin + now() vs time.time().

        Both read this machine's clock, but the page's epoch is timeOrigin (wall clock at
        navigation) plus a monotonic delta, so a slewed wall clock shows up here. The round
        trip with the least time bounds the error.
        """
        best = (math.inf, 0.0)
        for _ in range(rounds):
            t0 = time.time()
            page_ms = await self.page.evaluate("performance.timeOrigin + performance.now()")
            t1 = time.time()
            rtt = (t1 - t0) * 1000
            if rtt < best[0]:
                best = (rtt, page_ms - (t0 + t1) / 2 * 1000)
        return {"offset_ms": best[1], "uncertainty_ms": best[0] / 2}

    async def log(self) -> list[tuple[str, dict[str, Any]]]:
        return [(k, v) for k, v in await self.page.evaluate("window.__benchLog.splice(0)")]

    async def size(self) -> list[int]:
        return await self.page.evaluate("[innerWidth, innerHeight]")

    async def __aexit__(self, *exc: Any) -> None:
        # Leaves the browser running (connect_over_cdp's close() only disconnects).
        await self.browser.close()
        await self._pw.stop()


# ---------------------------------------------------------------- event to screen


def split_calls(events: list[dict[str, Any]]) -> list[tuple[list[dict[str, Any]], dict[str, Any]]]:
    """The stream as (events before the next call, that call) pairs."""
    out, before = [], []
    for ev in events:
        if ev["type"] in CALL_TYPES:
            out.append((before, ev))
            before = []
        else:
            before.append(ev)
    return out


@dataclass
class Sent:
    call: dict[str, Any]
    mono: float
    wall: float
    after_seq: int  # the last state the watcher saw before it was sent: later states carry it


async def latency_run(kind: str, ctx: "Bench") -> dict[str, Any]:
    args = ctx.args
    prime, rest = ctx.days.replay()
    write_content(ctx.content, "latency", banner_s=args.banner)
    # A minute later, so that the screen announces no call when it connects: the page would
    # show it with its default 8 s banner, as its content has not arrived yet.
    tick = later(prime[-1], 60, 0)
    await ctx.feed.push(prime + [tick])
    rest = after(rest, tick)
    screen = start_screen(kind, ctx.display, ctx.server, ctx.content, ctx.work, timed=True)
    page: Page | None = None
    damage = DamageWatch(ctx.display).start()
    spaced: list[Sent] = []
    bursts: list[list[Sent]] = []
    try:
        if kind == "pygame":
            await wait_for_trace(screen)
        else:
            assert screen.cdp_port is not None
            page = await Page(screen.cdp_port).__aenter__()
        await asyncio.sleep(args.settle)
        hall = {k: ctx.watch.last.get(k) for k in ("at", "waiting_total", "open_windows")}
        clock_before = await page.clock_offset() if page else None
        pairs = split_calls(rest)
        # The first banner after start is slower on both screens (glyphs and layout at banner
        # sizes are new): it is timed apart, as a screen runs for days on warm caches.
        for before, call in pairs[: 1 + args.calls]:
            await ctx.feed.push(before)
            await asyncio.sleep(args.interval - args.banner)  # the screen shows those changes first
            ack, sent = await send_call(ctx, call)
            spaced.append(sent)
            await ack
            await asyncio.sleep(args.banner + 0.3)
        used = 1 + args.calls
        for _ in range(args.bursts):
            group = pairs[used: used + args.burst]
            used += args.burst
            await ctx.feed.push(group[0][0])
            await asyncio.sleep(1.0)
            sent_group, acks = [], []
            for i, (before, call) in enumerate(group):
                for ev in before if i else ():  # what happened between the calls, sent with them
                    acks.append(await ctx.feed.send(ev))
                ack, sent = await send_call(ctx, call)
                acks.append(ack)
                sent_group.append(sent)
            bursts.append(sent_group)
            await asyncio.gather(*acks)
            await asyncio.sleep(args.banner * args.burst + 0.5)  # the banner ends
        clock_after = await page.clock_offset() if page else None
        log = await page.log() if page else []
        size = await page.size() if page else None
    finally:
        if page is not None:
            await page.__aexit__()
        screen.stop()
        damage.close()
    trace = read_trace(screen.trace) if screen.trace else []
    result: dict[str, Any] = {"screen": kind, "load": load_now(), "hall": hall, "banner_s": args.banner,
                              "interval_s": args.interval}
    own, xdmg, server_ms = [], [], []
    first_banner: dict[str, float | None] = {}
    for i, s in enumerate(spaced):
        t = shown_by_screen(kind, s, trace, log, clock_before)
        d = damage.first_after(s.mono, *PROBE, until=s.mono + args.banner)
        x = (d.mono - s.mono) * 1000 if d is not None else None
        if i == 0:
            first_banner = {"own_clock_ms": t, "x_damage_ms": x}
            continue
        # The server's part: sent -> the state carrying the call reaches a /ws/display client.
        got = next((at for seq, at, _ in ctx.watch.states if seq > s.after_seq and at >= s.mono), None)
        if got is not None:
            server_ms.append((got - s.mono) * 1000)
        if t is not None:
            own.append(t)
        if x is not None:
            xdmg.append(x)
    result["first_banner_after_start"] = first_banner
    result["spaced"] = {"sent": len(spaced) - 1, "own_clock_ms": summary(own), "x_damage_ms": summary(xdmg),
                        "server_to_feed_ms": summary(server_ms),
                        "values_ms": {"own_clock": own, "x_damage": xdmg, "server_to_feed": server_ms}}
    first, last = [], []
    for group in bursts:
        t = shown_by_screen(kind, group[0], trace, log, clock_before)
        if t is not None:
            first.append(t)
        seq = ctx.watch.first_seq_with((group[-1].call["ticket"], str(group[-1].call["window"])), group[0].after_seq)
        t = shown_state(kind, seq, group[-1], trace, log, clock_before) if seq is not None else None
        if t is not None:
            last.append(t)
    result["burst"] = {"bursts": len(bursts), "calls_per_burst": args.burst,
                       "first_call_banner_ms": summary(first), "last_call_shown_ms": summary(last)}
    if page is not None:
        result["clock"] = {"before": clock_before, "after": clock_after, "page_size": size}
    return result


async def send_call(ctx: "Bench", call: dict[str, Any]) -> tuple[asyncio.Future[Any], Sent]:
    after = ctx.watch.last_seq
    mono, wall = time.monotonic(), time.time()
    ack = await ctx.feed.send(call)
    return ack, Sent(call, mono, wall, after)


def shown_by_screen(kind: str, s: Sent, trace: list[tuple[int, float]], log: list[tuple[str, dict[str, Any]]],
                    clock: dict[str, float] | None) -> float | None:
    """ms from sending ``s`` to the frame that put its banner on screen, by the screen's own hook."""
    if kind == "pygame":
        # The trace has no tickets; a state newer than any seen before the send carries the call,
        # and (no banner up, no queue) its frame is the one with the banner.
        for seq, t in trace:
            if seq > s.after_seq and t >= s.mono:
                return (t - s.mono) * 1000
        return None
    assert clock is not None
    for key, value in log:
        if key == "lastShownCall" and value["ticket"] == s.call["ticket"] and value["window"] == str(s.call["window"]) \
                and value["seq"] > s.after_seq:
            return value["shownAtEpochMs"] - clock["offset_ms"] - s.wall * 1000
    return None


def shown_state(kind: str, seq: int, s: Sent, trace: list[tuple[int, float]], log: list[tuple[str, dict[str, Any]]],
                clock: dict[str, float] | None) -> float | None:
    """ms from sending ``s`` to the first frame showing a state at least as new as ``seq``."""
    if kind == "pygame":
        return next(((t - s.mono) * 1000 for q, t in trace if q >= seq), None)
    assert clock is not None
    return next((v["shownAtEpochMs"] - clock["offset_ms"] - s.wall * 1000 for k, v in log
                 if k == "lastState" and v["seq"] >= seq), None)


def summary(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0, "p50": None, "p99": None, "max": None}
    s = sorted(values)
    # p99 as the nearest rank: with n < 100 it is the largest value but one or the largest.
    p99 = s[min(len(s) - 1, math.ceil(0.99 * len(s)) - 1)]
    return {"n": len(s), "p50": statistics.median(s), "p99": p99, "max": s[-1], "min": s[0]}


# ---------------------------------------------------------------- cost


async def cost_run(kind: str, scenario: str, ctx: "Bench") -> dict[str, Any]:
    args = ctx.args
    prime, rest = ctx.days.replay()
    write_content(ctx.content, "rest" if scenario == "rest" else "default")
    if scenario == "busy hour":
        await ctx.feed.push(prime)
    else:
        # No events during the run: the hall as it stood at --start, a minute later.
        await ctx.feed.push(prime + [later(prime[-1], 60, 0)])
    seq0 = ctx.watch.last_seq
    screen = start_screen(kind, ctx.display, ctx.server, ctx.content, ctx.work)
    pushed: list[float] = []
    pusher = asyncio.create_task(push_paced(ctx.feed, rest, args.busy_speed, pushed)) if scenario == "busy hour" else None
    try:
        await asyncio.sleep(args.warmup)
        if screen.proc.poll() is not None:
            raise SystemExit(f"the {kind} screen exited ({screen.proc.returncode}); see {ctx.work}/{kind}.log")
        load0 = load_now()
        t0, pids = time.monotonic(), tree(screen.proc.pid)
        c0, x0 = cpu_ticks(pids), cpu_ticks([ctx.xvfb.proc.pid])
        await asyncio.sleep(args.window)
        t1, pids = time.monotonic(), tree(screen.proc.pid)
        c1, x1 = cpu_ticks(pids), cpu_ticks([ctx.xvfb.proc.pid])
        mem = memory_kb(pids)
        window = largest_window(ctx.display)
        states = sum(1 for seq, t, _ in ctx.watch.states if seq > seq0 and t0 <= t <= t1)
        events = sum(1 for t in pushed if t0 <= t <= t1)
    finally:
        if pusher is not None:
            pusher.cancel()
            try:
                await pusher
            except asyncio.CancelledError:
                pass
        screen.stop()
    seconds = t1 - t0
    return {
        "screen": kind, "scenario": scenario, "window_s": seconds, "warmup_s": args.warmup,
        "cpu_pct": 100 * (c1 - c0) / CLK_TCK / seconds,
        "xvfb_cpu_pct": 100 * (x1 - x0) / CLK_TCK / seconds,
        "window": window, "pss_mb": mem["pss_kb"] / 1024, "rss_mb": mem["rss_kb"] / 1024, "processes": len(pids),
        "events_in_window": events, "states_in_window": states, "busy_speed": args.busy_speed if scenario == "busy hour" else None,
        "load": {"start": load0, "end": load_now()},
    }


async def push_paced(feed: QueueFeed, events: list[dict[str, Any]], speed: float, sent: list[float]) -> None:
    """Send events on the hall clock, ``speed`` times faster than real time; note each send time."""
    t0 = datetime.fromisoformat(events[0]["at"])
    start = time.monotonic()
    for ev in events:
        due = start + (datetime.fromisoformat(ev["at"]) - t0).total_seconds() / speed
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await feed.send(ev)
        sent.append(time.monotonic())


# ---------------------------------------------------------------- the run


@dataclass
class Bench:
    args: argparse.Namespace
    work: Path
    xvfb: Xvfb
    display: str
    content: Path
    server: Server
    feed: QueueFeed
    watch: DisplayWatch
    days: HallDays


def machine() -> dict[str, Any]:
    import pygame

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.machine())
    mem_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")))
    chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "mem_gib": round(mem_kb / 2**20, 1),
            "platform": platform.platform(), "python": platform.python_version(),
            "pygame": pygame.version.ver, "sdl": ".".join(map(str, pygame.get_sdl_version())),
            "chromium": chromium, "x_server": "Xvfb 1920x1080x24"}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    require_tools(chromium="chromium" in args.screens)
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True, text=True)
    results: dict[str, Any] = {"machine": machine(), "commit": commit.stdout.strip() or None,
                               "load_start": load_now(), "args": vars(args).copy()}
    results["args"]["out"] = str(args.out)
    with tempfile.TemporaryDirectory(prefix="screen-bench-") as tmp:
        work = Path(tmp)
        xvfb = Xvfb()
        display = xvfb.start()
        content = make_content(work)
        server = Server(work / "data", content, work / "server.log")
        try:
            await server.start()
            feed, watch = QueueFeed(server), DisplayWatch(server)
            await feed.open()
            await watch.open()
            ctx = Bench(args, work, xvfb, display, content, server, feed, watch, HallDays(args.seed, args.start))
            try:
                results["event_to_screen"] = []
                for kind in args.screens:
                    print(f"event to screen: {kind} ...", file=sys.stderr, flush=True)
                    results["event_to_screen"].append(await latency_run(kind, ctx))
                results["cost"] = []
                for scenario in args.scenarios:
                    for kind in args.screens:  # interleaved: both screens see the same load of the machine
                        print(f"cost: {kind}, {scenario} ...", file=sys.stderr, flush=True)
                        results["cost"].append(await cost_run(kind, scenario, ctx))
            finally:
                await watch.close()
                await feed.close()
        finally:
            server.stop()
            xvfb.stop()
    results["load_end"] = load_now()
    return results


# ---------------------------------------------------------------- report


def fmt_ms(s: dict[str, Any]) -> str:
    if not s["n"]:
        return "—"
    return f"{s['p50']:.1f} / {s['p99']:.1f} / {s['max']:.1f} (n={s['n']})"


def table(results: dict[str, Any]) -> str:
    screens = [r["screen"] for r in results["event_to_screen"]] or sorted({c["screen"] for c in results["cost"]})
    head = "| measure | " + " | ".join("pygame" if s == "pygame" else "Chromium /display" for s in screens) + " |"
    lines = [head, "|---" * (len(screens) + 1) + "|"]
    lat = {r["screen"]: r for r in results["event_to_screen"]}
    if lat:
        any_r = next(iter(lat.values()))
        lines.append(f"| event → screen, spaced calls, own hook: p50 / p99 / max ms | "
                     + " | ".join(fmt_ms(lat[s]["spaced"]["own_clock_ms"]) for s in screens) + " |")
        lines.append(f"| event → screen, spaced calls, X damage: p50 / p99 / max ms | "
                     + " | ".join(fmt_ms(lat[s]["spaced"]["x_damage_ms"]) for s in screens) + " |")
        b = any_r["burst"]
        lines.append(f"| burst of {b['calls_per_burst']}: first call → its banner, own hook | "
                     + " | ".join(fmt_ms(lat[s]["burst"]["first_call_banner_ms"]) for s in screens) + " |")
        lines.append(f"| burst of {b['calls_per_burst']}: last call → a frame showing it, own hook | "
                     + " | ".join(fmt_ms(lat[s]["burst"]["last_call_shown_ms"]) for s in screens) + " |")
    cost = {(c["screen"], c["scenario"]): c for c in results["cost"]}
    for scenario in dict.fromkeys(c["scenario"] for c in results["cost"]):
        cells = []
        for s in screens:
            c = cost.get((s, scenario))
            cells.append("—" if c is None else
                         f"{c['cpu_pct']:.2f} % (+{c['xvfb_cpu_pct']:.2f} % Xvfb), {c['pss_mb']:.0f} MB")
        lines.append(f"| {scenario}: CPU of one core (+ X server), PSS | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--screens", type=lambda s: tuple(s.split(",")), default=SCREENS, help="pygame,chromium")
    p.add_argument("--scenarios", type=lambda s: tuple(s.split(",")), default=SCENARIOS,
                   help="comma-separated among: " + ", ".join(SCENARIOS))
    p.add_argument("--calls", type=int, default=30, help="spaced calls per screen")
    p.add_argument("--interval", type=float, default=1.7, help="seconds between spaced calls")
    p.add_argument("--banner", type=float, default=1.0, help="banner seconds during the event-to-screen runs")
    p.add_argument("--bursts", type=int, default=2)
    p.add_argument("--burst", type=int, default=4, help="calls per burst, sent back to back")
    p.add_argument("--settle", type=float, default=2.0, help="seconds after a screen is up before the first call")
    p.add_argument("--warmup", type=float, default=8.0, help="seconds after a screen starts before the cost window")
    p.add_argument("--window", type=float, default=20.0, help="cost window, seconds")
    p.add_argument("--busy-speed", type=float, default=60.0, help="busy hour pushed this many times real time")
    p.add_argument("--seed", type=int, default=7, help="seed of the simulated month-end day")
    p.add_argument("--start", default="13:00", help="hall time HH:MM every run starts at (13:00 of seed 7: "
                   "8 windows open, about 55 waiting, the 'open more counters' alert on)")
    p.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "screen.json")
    args = p.parse_args()
    for s in args.screens:
        if s not in SCREENS:
            p.error(f"unknown screen {s!r}")
    for s in args.scenarios:
        if s not in SCENARIOS:
            p.error(f"unknown scenario {s!r}")
    if args.banner < 1:
        p.error("--banner: the lobby content allows banners of 1 s or more")
    if args.interval <= args.banner:
        p.error("--interval must be longer than --banner: each spaced call must land on a screen without a banner")
    started = time.monotonic()
    results = asyncio.run(run(args))
    results["run_seconds"] = time.monotonic() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    m = results["machine"]
    print(f"{m['cores']} cores, {m['cpu']}, {m['pygame']} / SDL {m['sdl']}, {m['chromium']}; "
          f"load {results['load_start']['load1']:.2f} at start, {results['load_end']['load1']:.2f} at end")
    print(table(results))
    print(f"wrote {args.out} ({results['run_seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
