"""Fan-out benchmark: event-to-screen latency with 1,000 lobby screens and 50 staff tablets, and
ingest speed when 10% of them stop reading.

Starts `waitwell serve --clock event` in its own process on a free 127.0.0.1 port, connects the
clients from `--client-procs` other processes, and pushes simulated month-end days over
/ws/queue from this one. Three days of history go in first, before the clients connect (the
hall's estimates learn from them). Then, each phase starting at a day's opening:

1. `--ingest-events` as fast as acks allow (`--window` in flight, as in ingest_bench.py),
   every client reading;
2. `--rate` events/s for `--seconds` (after a 2 s warm-up), every client reading;
3. as 1, after 10% of the screens and tablets stopped reading their sockets;
4. as 2, with those 10% still stalled; then they read again. A stalled client is dropped
   by the server's 20 s heartbeat (no pong) within about 30 s.

Latency of an event on one screen: from just before its frame is sent to the arrival of the
first display.state whose `at` is at or after the event's `at`. Under `--clock event` the
hall's time is the largest `at` applied, so with strictly increasing `at` (ties in the
simulated day are spread by 1 µs) that state is the first that includes the event. Only
events that change what screens see count (a replay through the pure hall tells which: the
display.state built after each event, `seq` and `at` aside, differs from the one before). A tablet's latency runs
from the event that raised or resolved the alert (the first with `at` at or after
`raised_at`/`resolved_at`) to the alert message. Clients and pusher share the machine, so
time.monotonic_ns is one clock for all of them.
`display_first_screen` is the latency to the first screen that shows each event: the server's
part, without the fan-out round and the turns a client process takes through its sockets.

The clients are minimal frame readers (asyncio protocols) so that 1,000 of them fit in one
process; like the real screen (websockets) and browsers, they offer permessage-deflate.

    .venv/bin/python bench/fanout_bench.py [--displays 1000] [--staff 50] [--rate 200] [--seconds 30]
        [--ingest-events 10000] [--stall 0.1] [--out bench/results/fanout.json] [--profile FILE.prof]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import bisect
import json
import multiprocessing
import os
import platform
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from array import array
from collections import Counter
from collections.abc import Collection
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.serverproc import cpu_s, free_port, wait_healthy  # noqa: E402
from server.config_file import load_config  # noqa: E402
from server.events import parse_event  # noqa: E402
from server.hall import Hall  # noqa: E402
from server.simulator.day import simulate_days  # noqa: E402
from server.web.display_feed import shown_part  # noqa: E402
from server.wire import display_state  # noqa: E402

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
ONE_US = timedelta(microseconds=1)
HISTORY_DAYS = 3
"""Days pushed before measuring: from the third day on the estimates use what the hall learned,
and building a display.state costs several times more than on a first day."""
BUCKET_NS = 100_000
"""Latency histogram resolution (0.1 ms): percentiles are exact to that."""


# -- helpers ---------------------------------------------------------------------------------

def to_us(at: str) -> int:
    return (datetime.fromisoformat(at) - EPOCH) // ONE_US


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def machine() -> dict[str, Any]:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return {"cpus": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "platform": platform.platform(), "loadavg_start": [round(x, 2) for x in os.getloadavg()]}


def raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            raise SystemExit(f"fanout_bench: needs {needed} open files, the hard limit is {hard} (ulimit -Hn)")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def split(n: int, parts: int) -> list[int]:
    return [n // parts + (1 if i < n % parts else 0) for i in range(parts)]


def summarize(hist: Counter[int], max_ns: int, unreflected: int = 0) -> dict[str, Any]:
    """Percentiles of a latency histogram (0.1 ms buckets, upper edge reported)."""
    total = sum(hist.values())
    out: dict[str, Any] = {"samples": total, "unreflected": unreflected}
    if not total:
        return out | {"p50_ms": None, "p99_ms": None, "p999_ms": None, "max_ms": None}
    keys = sorted(hist)
    for name, q in (("p50_ms", 0.5), ("p99_ms", 0.99), ("p999_ms", 0.999)):
        rank, seen = q * total, 0
        for k in keys:
            seen += hist[k]
            if seen >= rank:
                out[name] = round((k + 1) * BUCKET_NS / 1e6, 1)
                break
    out["max_ms"] = round(max_ns / 1e6, 1)
    return out


# -- the day ---------------------------------------------------------------------------------

def prepare_events(sizes: list[int | None], seed: int,
                   measured: Collection[int]) -> tuple[list[dict[str, Any]], list[int], list[bool], list[int]]:
    """Return simulated month-end events for phases of ``sizes`` events (None: one whole day),
    each event's ``at`` in µs (strictly increasing), whether it changes what the screens show
    (the display.state as the server builds it, ``seq`` and ``at`` aside; told only for the
    phases numbered in ``measured``, False elsewhere), and where each phase starts and ends.

    Every phase starts at a day's opening, on a day of its own: phases of the same size then
    cover the same hours of a day, whose cost grows with the queue towards the afternoon.
    """
    events: list[dict[str, Any]] = []
    cuts = [0]
    date = datetime(2026, 11, 2).date()
    for size in sizes:
        taken = 0
        while taken < (size or 1):
            day = simulate_days(date, 1, seed=seed, scenario="month_end")[0].events
            day = day if size is None else day[:size - taken]
            events.extend(day)
            taken += len(day)
            date += timedelta(days=1)
        cuts.append(len(events))
    ats: list[int] = []
    prev: datetime | None = None
    for event in events:
        at = datetime.fromisoformat(event["at"])
        if prev is not None and at <= prev:
            at = prev + ONE_US
            event["at"] = at.isoformat()
        prev = at
        ats.append((at - EPOCH) // ONE_US)
    hall = Hall(load_config(None))
    visible = [False] * len(events)
    for phase, (lo, hi) in enumerate(zip(cuts, cuts[1:])):
        # As the hub compares states: what they show, seq and at aside.
        shown = shown_part(display_state(hall, 0, datetime.fromisoformat(events[lo]["at"])))
        for i in range(lo, hi):
            hall.receive(parse_event(events[i]))
            hall.alerts_to_send()
            if phase in measured:
                before, shown = shown, shown_part(display_state(hall, 0, datetime.fromisoformat(events[i]["at"])))
                visible[i] = shown != before
    return events, ats, visible, cuts


# -- clients (in their own processes) ------------------------------------------------------

AT = re.compile(rb'"at":"([^"]+)"')


class WsClient(asyncio.Protocol):
    """A listen-only WebSocket client: records when each state or alert arrived."""

    def __init__(self, host: str, port: int, path: str, deflate: bool, kind: str) -> None:
        key = base64.b64encode(os.urandom(16)).decode()
        ext = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" if deflate else ""
        self.request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                        f"{ext}\r\n").encode()
        self.kind = kind
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.inflate: Any = None
        self.stalled = False
        self.closed: str | None = None
        self.last_at = 0
        self.recv_ns = array("q")
        self.at_us = array("q")
        self.messages = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(self.request)  # type: ignore[attr-defined]

    def connection_lost(self, exc: Exception | None) -> None:
        if self.closed is None:
            self.closed = "dropped"
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"{self.kind} socket lost during the handshake"))

    def data_received(self, data: bytes) -> None:
        now = time.monotonic_ns()
        self.buf += data
        if not self.opened.done():
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).decode("latin-1")
            del self.buf[:end + 4]
            if not head.startswith("HTTP/1.1 101"):
                self.opened.set_exception(ConnectionError(f"{self.kind} handshake refused: {head.splitlines()[0]}"))
                return
            if "permessage-deflate" in head.lower():
                self.inflate = zlib.decompressobj(-15)
            self.opened.set_result(None)
        self._read_frames(now)

    def _read_frames(self, now: int) -> None:
        buf = self.buf
        while len(buf) >= 2:
            length, start = buf[1] & 0x7F, 2
            if length == 126:
                length, start = int.from_bytes(buf[2:4]), 4
            elif length == 127:
                length, start = int.from_bytes(buf[2:10]), 10
            if len(buf) < start + length:
                return
            head, payload = buf[0], bytes(buf[start:start + length])
            del buf[:start + length]
            if not head & 0x80:
                raise RuntimeError("fragmented frames are not expected from the server")
            if head & 0x40:
                payload = self.inflate.decompress(payload + b"\x00\x00\xff\xff")
            opcode = head & 0x0F
            if opcode == 0x1:
                self._on_message(payload, now)
            elif opcode == 0x9:
                self._send(0xA, payload)
            elif opcode == 0x8:
                self.closed = str(int.from_bytes(payload[:2])) if len(payload) >= 2 else "1005"
                self._send(0x8, payload[:2])
                assert self.transport is not None
                self.transport.close()
                return

    def _on_message(self, payload: bytes, now: int) -> None:
        self.messages += 1
        if not RECORDING:
            return
        if self.kind == "display":
            match = AT.search(payload)
            if match is None:
                return
            at = AT_CACHE.get(match[1])
            if at is None:
                if len(AT_CACHE) > 10_000:
                    AT_CACHE.clear()
                at = AT_CACHE[match[1]] = to_us(match[1].decode())
            self.last_at = at
        else:
            message = json.loads(payload)
            if message.get("type") not in ("alert.raised", "alert.resolved"):
                return
            alert = message["alert"]
            at = to_us(alert["raised_at"] if message["type"] == "alert.raised" else alert["resolved_at"])
        self.recv_ns.append(now)
        self.at_us.append(at)

    def _send(self, opcode: int, payload: bytes) -> None:
        # Client frames must be masked; a zero mask keeps the payload as it is.
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(bytes([0x80 | opcode, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)

    def stall(self, on: bool) -> None:
        assert self.transport is not None
        self.stalled = on
        if self.transport.is_closing():
            return
        if on:
            self.transport.pause_reading()
        else:
            self.transport.resume_reading()


RECORDING = False
AT_CACHE: dict[bytes, int] = {}
NEVER = 2**63 - 1


def latency_hist(clients: list[WsClient], lo: int, hi: int, ats: list[int], sent: list[int],
                 visible: list[bool]) -> dict[str, Any]:
    """Histograms of event->message latency for events lo..hi-1 over the reading clients, and for
    each event the earliest arrival on one of them (``display_first``, NEVER where none)."""
    out: dict[str, Any] = {}
    first = array("q", [NEVER]) * (hi - lo)
    for kind in ("display", "staff"):
        hist: Counter[int] = Counter()
        worst = unreflected = 0
        for c in clients:
            if c.kind != kind or c.stalled:
                continue
            if kind == "display":
                k = lo
                for recv, at in zip(c.recv_ns, c.at_us):
                    while k < hi and ats[k] <= at:
                        if visible[k]:
                            lat = recv - sent[k]
                            hist[lat // BUCKET_NS] += 1
                            worst = max(worst, lat)
                            if lat < first[k - lo]:
                                first[k - lo] = lat
                        k += 1
                if c.closed is None:
                    unreflected += sum(1 for i in range(k, hi) if visible[i])
            else:
                for recv, at in zip(c.recv_ns, c.at_us):
                    k = bisect.bisect_left(ats, at)
                    if lo <= k < hi:
                        lat = recv - sent[k]
                        hist[lat // BUCKET_NS] += 1
                        worst = max(worst, lat)
        out[kind] = (dict(hist), worst, unreflected)
    out["display_first"] = first
    return out


async def client_loop(conn: Any, host: str, port: int, kinds: list[tuple[str, bool]], deflate: bool) -> None:
    global RECORDING
    loop = asyncio.get_running_loop()
    clients: list[WsClient] = []
    stalled_flags: list[bool] = []
    gate = asyncio.Semaphore(50)

    async def open_one(kind: str) -> WsClient:
        path = "/ws/display" if kind == "display" else "/ws/staff?token=s"
        async with gate:
            _, client = await loop.create_connection(lambda: WsClient(host, port, path, deflate, kind), host, port)
            await asyncio.wait_for(client.opened, 30)
        return client

    while True:
        command, *args = await loop.run_in_executor(None, conn.recv)
        if command == "connect":
            clients = list(await asyncio.gather(*(open_one(kind) for kind, _ in kinds)))
            stalled_flags = [stalled for _, stalled in kinds]
            reply: Any = len(clients)
        elif command == "record":
            RECORDING = args[0]
            for c in clients:
                c.recv_ns, c.at_us = array("q"), array("q")
            reply = None
        elif command == "stall":
            for c, stalled in zip(clients, stalled_flags):
                if stalled:
                    c.stall(args[0])
            reply = sum(stalled_flags)
        elif command == "caught_up":
            target, timeout = args
            deadline = time.monotonic() + timeout
            while True:
                behind = sum(1 for c in clients if c.kind == "display" and not c.stalled
                             and c.closed is None and c.last_at < target)
                if not behind or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.05)
            reply = behind
        elif command == "latency":
            reply = latency_hist(clients, *args)
        elif command == "status":
            reply = {"open": sum(1 for c in clients if c.closed is None),
                     "closed": dict(Counter(f"{c.kind} {c.closed}" for c in clients if c.closed)),
                     "messages": {k: sum(c.messages for c in clients if c.kind == k) for k in ("display", "staff")}}
        elif command == "quit":
            for c in clients:
                if c.transport is not None:
                    c.transport.close()
            conn.send(None)
            return
        else:
            raise ValueError(f"unknown command {command!r}")
        conn.send(reply)


def client_process(conn: Any, host: str, port: int, kinds: list[tuple[str, bool]], deflate: bool) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us with "quit"
    asyncio.run(client_loop(conn, host, port, kinds, deflate))


class ClientProcs:
    def __init__(self, host: str, port: int, displays: int, staff: int, stall: float, procs: int,
                 deflate: bool) -> None:
        ctx = multiprocessing.get_context("fork")
        self.conns, self.procs = [], []
        stalled_d, stalled_s = round(displays * stall), round(staff * stall)
        for d, s, sd, ss in zip(split(displays, procs), split(staff, procs), split(stalled_d, procs),
                                split(stalled_s, procs)):
            kinds = [("display", i < sd) for i in range(d)] + [("staff", i < ss) for i in range(s)]
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=client_process, args=(child, host, port, kinds, deflate), daemon=True)
            proc.start()
            self.conns.append(parent)
            self.procs.append(proc)

    async def ask(self, *command: Any) -> list[Any]:
        loop = asyncio.get_running_loop()
        for conn in self.conns:
            conn.send(command)
        return list(await asyncio.gather(*(loop.run_in_executor(None, conn.recv) for conn in self.conns)))

    def cpu_s(self) -> float:
        return sum(cpu_s(p.pid) for p in self.procs if p.pid is not None)

    def stop(self) -> None:
        for proc in self.procs:
            proc.join(5)
            if proc.is_alive():
                proc.kill()


# -- the queue system ------------------------------------------------------------------------

class Pusher:
    """One /ws/queue socket; records when each event was sent and acked."""

    def __init__(self, url: str, events: list[dict[str, Any]]) -> None:
        self.url = url
        self.frames = [json.dumps(e, ensure_ascii=False) for e in events]
        self.index = {e["id"]: i for i, e in enumerate(events)}
        self.sent = [0] * len(events)
        self.acked = [0] * len(events)
        self.errors: list[dict[str, Any]] = []
        self._free: asyncio.Semaphore | None = None
        self._pending = 0
        self._all_acked = asyncio.Event()

    async def __aenter__(self) -> Pusher:
        self.session = aiohttp.ClientSession()
        self.ws = await self.session.ws_connect(self.url, max_msg_size=0)
        self.reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.reader.cancel()
        await self.ws.close()
        await self.session.close()

    async def _read(self) -> None:
        async for msg in self.ws:
            reply = json.loads(msg.data)
            if reply.get("id") not in self.index:
                raise RuntimeError(f"fanout_bench: unexpected reply {reply}")
            i = self.index[reply["id"]]
            self.acked[i] = time.monotonic_ns()
            if reply["type"] != "ack":
                self.errors.append(reply)
            if self._free is not None:
                self._free.release()
            self._pending -= 1
            if not self._pending:
                self._all_acked.set()

    async def _send(self, i: int) -> None:
        self._pending += 1
        self._all_acked.clear()
        self.sent[i] = time.monotonic_ns()
        await self.ws.send_str(self.frames[i])

    async def paced(self, lo: int, hi: int, rate: float) -> None:
        self._free = None
        start = time.monotonic()
        for i in range(lo, hi):
            delay = start + (i - lo) / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await self._send(i)
        await asyncio.wait_for(self._all_acked.wait(), 60)

    async def flat_out(self, lo: int, hi: int, window: int) -> float:
        """Send lo..hi-1 with at most ``window`` unacked; return durable events/s."""
        self._free = asyncio.Semaphore(window)
        start = time.monotonic()
        for i in range(lo, hi):
            await self._free.acquire()
            await self._send(i)
        await asyncio.wait_for(self._all_acked.wait(), 60)
        elapsed = time.monotonic() - start
        self._free = None
        return (hi - lo) / elapsed

    def ack_ms(self, lo: int, hi: int) -> dict[str, float]:
        lat = [(self.acked[i] - self.sent[i]) / 1e6 for i in range(lo, hi)]
        lat.sort()
        return {"ack_p50_ms": round(statistics.median(lat), 1), "ack_p99_ms": round(lat[int(0.99 * len(lat))], 1)}


# -- the server ------------------------------------------------------------------------------

def start_server(data_dir: Path, log: Path, profile: Path | None) -> tuple[subprocess.Popen[bytes], str, int]:
    port = free_port()
    runner = [sys.executable, "-m", "cProfile", "-o", str(profile)] if profile else [sys.executable]
    proc = subprocess.Popen(runner + ["-m", "server", "serve", "--port", str(port), "--data-dir", str(data_dir),
                                      "--clock", "event", "--queue-token", "q", "--staff-token", "s",
                                      "--log-level", "WARNING"],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    wait_healthy(f"http://127.0.0.1:{port}", proc, who="fanout_bench", log=log)
    return proc, "127.0.0.1", port


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    # SIGINT lets aiohttp shut down cleanly, so that cProfile writes its file.
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def feed_counts(base: str) -> dict[str, int]:
    async with aiohttp.ClientSession() as session, session.get(base + "/metrics") as resp:
        text = await resp.text()
    return {m[1]: int(float(m[2])) for m in re.finditer(r'waitwell_connections\{feed="(\w+)"\} (\S+)', text)}


class RssSampler:
    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self.task = pid, 0.0, None

    async def _run(self) -> None:
        while True:
            self.peak = max(self.peak, rss_mb(self.pid))
            await asyncio.sleep(0.2)

    def __enter__(self) -> RssSampler:
        self.peak = rss_mb(self.pid)
        self.task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self.task is not None
        self.task.cancel()
        self.peak = max(self.peak, rss_mb(self.pid))


# -- the run -----------------------------------------------------------------------------------

async def paced_phase(name: str, pusher: Pusher, clients: ClientProcs, server_pid: int, lo: int, hi: int,
                      args: argparse.Namespace, ats: list[int], visible: list[bool], reading: int) -> dict[str, Any]:
    """Push lo..hi-1 at the set rate (the first ``--warmup`` seconds not counted); measure latency."""
    warm = lo + int(args.warmup * args.rate)
    await clients.ask("record", True)
    sent0 = sum(st["messages"]["display"] for st in await clients.ask("status"))
    cpu0, ccpu0, t0 = cpu_s(server_pid), clients.cpu_s(), time.monotonic()
    await pusher.paced(lo, hi, args.rate)
    behind = sum(await clients.ask("caught_up", ats[hi - 1], 10.0))
    await asyncio.sleep(0.5)  # the last alert messages
    elapsed = time.monotonic() - t0
    server_cpu, client_cpu = cpu_s(server_pid) - cpu0, clients.cpu_s() - ccpu0
    states = sum(st["messages"]["display"] for st in await clients.ask("status")) - sent0
    parts = await clients.ask("latency", warm, hi, ats, pusher.sent, visible)
    await clients.ask("record", False)
    result: dict[str, Any] = {"events": hi - warm, "visible_events": sum(visible[warm:hi]),
                              "rate": args.rate, "display_clients_behind_at_end": behind}
    for kind in ("display", "staff"):
        hist: Counter[int] = Counter()
        worst = unreflected = 0
        for part in parts:
            h, w, u = part[kind]
            hist.update(h)
            worst, unreflected = max(worst, w), unreflected + u
        result[kind] = summarize(hist, worst, unreflected)
    # The first screen to show each event: the server's part, without the fan-out round and the
    # turns a client process takes through its hundreds of sockets.
    firsts = [lat for lat in map(min, zip(*(part["display_first"] for part in parts))) if lat != NEVER]
    result["display_first_screen"] = summarize(Counter(lat // BUCKET_NS for lat in firsts), max(firsts, default=0))
    result |= pusher.ack_ms(warm, hi)
    result["server_cpu_pct"] = round(100 * server_cpu / elapsed)
    result["clients_cpu_pct"] = round(100 * client_cpu / elapsed)
    result["states_per_screen_per_s"] = round(states / reading / elapsed, 1)
    # Server CPU per state delivered: steadier than latency when the machine is shared.
    result["server_cpu_us_per_state"] = round(1e6 * server_cpu / max(1, states), 1)
    print(f"  {name}: display p50 {result['display']['p50_ms']} ms, p99 {result['display']['p99_ms']} ms "
          f"(first screen p99 {result['display_first_screen']['p99_ms']} ms); "
          f"server CPU {result['server_cpu_pct']}%, {result['server_cpu_us_per_state']} µs per state sent, "
          f"{result['states_per_screen_per_s']} states/s per screen, clients CPU {result['clients_cpu_pct']}%, "
          f"load {os.getloadavg()[0]:.1f}", file=sys.stderr)
    return result


async def ingest_phase(pusher: Pusher, lo: int, hi: int, window: int, server_pid: int) -> dict[str, Any]:
    cpu0, t0 = cpu_s(server_pid), time.monotonic()
    rate = await pusher.flat_out(lo, hi, window)
    cpu, elapsed = cpu_s(server_pid) - cpu0, time.monotonic() - t0
    return {"events": hi - lo, "events_per_s": round(rate), **pusher.ack_ms(lo, hi),
            "server_cpu_pct": round(100 * cpu / elapsed), "server_cpu_us_per_event": round(1e6 * cpu / (hi - lo))}


async def run(args: argparse.Namespace, host: str, port: int, server_pid: int, clients: ClientProcs,
              events: list[dict[str, Any]], ats: list[int], visible: list[bool], cuts: list[int]) -> dict[str, Any]:
    base = f"http://{host}:{port}"
    async with Pusher(base.replace("http", "ws") + "/ws/queue?token=q", events) as pusher:
        await pusher.flat_out(0, cuts[HISTORY_DAYS], args.window)
    cuts = cuts[HISTORY_DAYS:]
    connected = sum(await clients.ask("connect"))
    counts = await feed_counts(base)
    if connected != args.displays + args.staff or counts.get("display") != args.displays:
        raise SystemExit(f"fanout_bench: connected {connected}, server counts {counts}")
    print(f"  {args.displays} screens and {args.staff} tablets connected", file=sys.stderr)
    result: dict[str, Any] = {}
    reading_when_stalled = args.displays - round(args.displays * args.stall)
    async with Pusher(base.replace("http", "ws") + "/ws/queue?token=q", events) as pusher:
        rss0 = rss_mb(server_pid)
        # Each latency phase follows an ingest phase, so that both start from the same state.
        with RssSampler(server_pid) as all_rss:
            ingest = {"all_reading": await ingest_phase(pusher, cuts[0], cuts[1], args.window, server_pid)}
            result["all_reading"] = await paced_phase("all reading", pusher, clients, server_pid, cuts[1],
                                                      cuts[2], args, ats, visible, args.displays)
        ingest["all_reading"]["server_rss_peak_mb"] = round(all_rss.peak, 1)
        stalled = sum(await clients.ask("stall", True))
        with RssSampler(server_pid) as stalled_rss:
            ingest["stalled"] = await ingest_phase(pusher, cuts[2], cuts[3], args.window, server_pid)
            result["stalled"] = await paced_phase(f"{stalled} stalled", pusher, clients, server_pid, cuts[3],
                                                  cuts[4], args, ats, visible, reading_when_stalled)
        ingest["stalled"]["server_rss_peak_mb"] = round(stalled_rss.peak, 1)
        ingest["stalled_clients"] = stalled
        ingest["ratio"] = round(ingest["stalled"]["events_per_s"] / ingest["all_reading"]["events_per_s"], 2)
        result["ingest"] = ingest
        counts_stalled = await feed_counts(base)
        await clients.ask("stall", False)
        await asyncio.sleep(2)
        status = await clients.ask("status")
        result["server_rss_mb"] = {"connected": round(rss0, 1), "peak_all_reading": round(all_rss.peak, 1),
                                   "peak_stalled": round(stalled_rss.peak, 1), "end": round(rss_mb(server_pid), 1)}
        result["stalled_clients_end"] = {
            "server_connections_while_stalled": counts_stalled,
            "client_closes": dict(sum((Counter(s["closed"]) for s in status), Counter())),
            "still_open": sum(s["open"] for s in status)}
        result["push_errors"] = pusher.errors[:5]
    await clients.ask("quit")
    return result


def ms(value: float | None) -> str:
    return "–" if value is None else f"{value} ms"


def print_tables(result: dict[str, Any], args: argparse.Namespace) -> None:
    print(f"| {args.rate:g} events/s | screens reading | display p50 | p99 | max | tablet p50 | p99 | max "
          "| server CPU |")
    print("|---|---|---|---|---|---|---|---|---|")
    for key, label in (("all_reading", "all"), ("stalled", f"{100 - round(100 * args.stall)}%")):
        r = result[key]
        d, s = r["display"], r["staff"]
        print(f"| {r['events']:,} events | {label} | {ms(d['p50_ms'])} | {ms(d['p99_ms'])} | {ms(d['max_ms'])} "
              f"| {ms(s['p50_ms'])} | {ms(s['p99_ms'])} | {ms(s['max_ms'])} | {r['server_cpu_pct']}% |")
    print()
    ing = result["ingest"]
    print(f"| ingest, {args.window} in flight | durable events/s | ack p50 | ack p99 | server CPU | server RSS peak |")
    print("|---|---|---|---|---|---|")
    for key, label in (("all_reading", "every client reading"),
                       ("stalled", f"{ing['stalled_clients']} clients not reading")):
        r = ing[key]
        print(f"| {label} | {r['events_per_s']:,} | {r['ack_p50_ms']} ms | {r['ack_p99_ms']} ms "
              f"| {r['server_cpu_pct']}% | {r['server_rss_peak_mb']} MB |")
    print(f"\nstalled/all ingest ratio {ing['ratio']}; server RSS {result['server_rss_mb']}; "
          f"stalled clients after they read again: {result['stalled_clients_end']['client_closes']}; "
          f"load average {result['machine']['loadavg_start']} -> {result['machine']['loadavg_end']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--displays", type=int, default=1000)
    parser.add_argument("--staff", type=int, default=50)
    parser.add_argument("--rate", type=float, default=200.0, help="events/s in the latency phases")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each latency phase")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds pushed before each latency phase counts")
    parser.add_argument("--ingest-events", type=int, default=10_000, help="events per ingest phase")
    parser.add_argument("--window", type=int, default=50, help="unacked events in flight when ingesting")
    parser.add_argument("--stall", type=float, default=0.1, help="share of clients that stop reading")
    parser.add_argument("--client-procs", type=int, default=2)
    parser.add_argument("--no-deflate", dest="deflate", action="store_false",
                        help="clients do not offer permessage-deflate")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", type=Path, help="run the server under cProfile, stats to this file")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "fanout.json")
    args = parser.parse_args()
    raise_fd_limit(args.displays + args.staff + 1024)
    paced_n = int((args.warmup + args.seconds) * args.rate)
    print("preparing simulated days...", file=sys.stderr)
    events, ats, visible, cuts = prepare_events(
        [None] * HISTORY_DAYS + [args.ingest_events, paced_n, args.ingest_events, paced_n], args.seed,
        measured=(HISTORY_DAYS + 1, HISTORY_DAYS + 3))
    results: dict[str, Any] = {"machine": machine(), "params": {
        k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k not in ("out", "profile")}}
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "server.log"
        proc, host, port = start_server(Path(tmp) / "data", log, args.profile)
        clients = ClientProcs(host, port, args.displays, args.staff, args.stall, args.client_procs, args.deflate)
        try:
            results |= asyncio.run(run(args, host, port, proc.pid, clients, events, ats, visible, cuts))
        finally:
            clients.stop()
            stop_server(proc)
        lines = log.read_text(errors="replace").splitlines()
        results["server_log"] = {"error_lines": [ln for ln in lines if "ERROR" in ln or "Traceback" in ln][:20],
                                 "warning_lines": sum("WARNING" in ln for ln in lines)}
    results["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print_tables(results, args)


if __name__ == "__main__":
    main()
