"""A discrete-event simulation of one service-hall day, as queue events in the wire protocol.

Pure and stdlib only: everything random comes from one ``random.Random`` seeded from
(scenario, seed, date), so the same inputs give byte-identical output.

Times inside the simulation are seconds after the doors open (09:00 local by default);
negative times are before opening (windows open at 08:55).
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from .scenarios import (
    DEFAULT_DATES,
    ClerkLimits,
    Hall,
    Scenario,
    Service,
    Window,
    clerk_limits,
    get_scenario,
    hall_for,
    scenario_for_date,
)

__all__ = ["Controller", "Day", "simulate_day", "simulate_days", "summarize", "TICK_S"]

Controller = Callable[[float, Sequence[dict[str, Any]], int], int]
"""Staffs a controlled day: ``(now_s, events_so_far, staffed) -> windows wanted``.

Called every :data:`TICK_S` of hall time with the day's wire events up to ``now_s`` (a prefix
of ``Day.events``, the same list object growing) and the number of windows currently staffed
or on their way; it returns how many it wants staffed.
"""

TICK_S = 30.0
INF = math.inf
RUNAWAY_S = 6 * 3600.0
"""A controlled day that has not emptied this long after closing is a bug in the controller or here."""


@dataclass
class Day:
    """One simulated day: the events in time order and the truth per ticket."""

    scenario: str
    seed: int
    date: dt.date
    t0: dt.datetime  # opening time, aware
    events: list[dict[str, Any]]
    tickets: dict[str, dict[str, Any]]
    hall_id: str = "sample-hall"
    windows: tuple[str, ...] = ()
    control: dict[str, Any] | None = None
    """Controlled days only: what the controller did (opens and closes it asked for)."""

    def truth(self) -> dict[str, Any]:
        """The truth record, in the format of the shared ``*.truth.json`` files (plus extras)."""
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "day": self.date.isoformat(),
            "t0": self.t0.isoformat(),
            "hall": self.hall_id,
            "windows": list(self.windows),
            "tickets": self.tickets,
        }


@dataclass
class _Ticket:
    label: str
    service: str
    priority: bool
    issued: float
    leave_at: float  # the holder is gone from this time on (INF: stays)
    cancels: bool  # leaves by cancelling (ticket.cancelled) rather than silently
    slow: bool
    transfer_to: str | None
    queue_key: float
    seq: int
    in_queue: bool = True
    called: float | None = None
    window: str | None = None
    status: str | None = None
    ended: float | None = None
    cancelled: float | None = None
    transfer: dict[str, Any] | None = None
    transferred: bool = False
    original: str = ""


@dataclass
class _Win:
    spec: Window
    index: int
    speed: float
    wanted: bool = False  # the counter plan wants it staffed now
    state: str = "closed"  # closed | idle | busy
    closing: str | None = None  # None | "plan" | "break" | "away": close when the current visit ends
    on_break: bool = False
    away: bool = False  # the scenario's absent clerk: stays closed whatever the plan wants
    idle_since: float = 0.0
    current: _Ticket | None = None
    break_s: float = 0.0


@dataclass(order=True)
class _Ev:
    t: float
    seq: int
    kind: str = field(compare=False)
    data: Any = field(compare=False, default=None)


def _lognormal(rng: random.Random, mean: float, cv: float) -> float:
    sigma = math.sqrt(math.log(1.0 + cv * cv))
    mu = math.log(mean) - sigma * sigma / 2.0
    return rng.lognormvariate(mu, sigma)


def service_time(rng: random.Random, service: Service) -> float:
    """One visit's length at a window of speed 1.0 (a plain lognormal draws exactly as before tails)."""
    if service.tail_share and rng.random() < service.tail_share:
        return _lognormal(rng, service.tail_mean_s, service.tail_cv)
    return _lognormal(rng, service.body_mean_s, service.cv)


def window_speed(hall: Hall, window_id: str) -> float:
    """The stable speed factor of a window's clerk (>1 is slower): same every day."""
    r = random.Random(f"{hall.id}|speed|{window_id}")
    return _lognormal(r, 1.0, hall.speed_cv)


class _Sim:
    def __init__(self, hall: Hall, sc: Scenario, seed: int, date: dt.date,
                 controller: Controller | None = None, limits: ClerkLimits | None = None):
        self.hall = hall
        self.sc = sc
        self.rng_name = f"waitwell-sim|{sc.name}|{seed}|{date.isoformat()}"
        self.rng = random.Random(self.rng_name)
        self.controller = controller
        self.limits = limits
        self.on_control: Callable[[float, bool], Sequence[dict[str, Any]]] | None = None
        self.arrivals_left = 0
        self.control_log = {"opens": 0, "closes": 0, "calls": 0}
        # Controlled days draw each visit and break from its own generator, so two policies
        # see the same customers with the same service times (common random numbers).
        self.own_rngs: dict[Any, random.Random] | None = {} if controller is not None else None
        self.heap: list[_Ev] = []
        self.seq = 0
        self.out: list[tuple[float, dict[str, Any]]] = []
        self.queue: list[_Ticket] = []
        self.tickets: list[_Ticket] = []
        self.counters: dict[str, int] = {}
        self.day_over = False
        self.close_s = hall.day_length_s
        self.wins = [
            _Win(w, i, window_speed(hall, w.id)) for i, w in enumerate(hall.windows)
        ]
        ordered = sorted(hall.services, key=lambda s: s.mean_s)
        self.next_service = {a.id: b.id for a, b in zip(ordered, ordered[1:])}

    # -- plumbing -------------------------------------------------------------------------
    def schedule(self, t: float, kind: str, data: Any = None) -> None:
        self.seq += 1
        heapq.heappush(self.heap, _Ev(t, self.seq, kind, data))

    def emit(self, t: float, etype: str, **fields: Any) -> None:
        ev: dict[str, Any] = {"type": etype}
        ev.update(fields)
        self.out.append((t, ev))

    # -- set-up ---------------------------------------------------------------------------
    def setup(self) -> None:
        rng, sc, hall = self.rng, self.sc, self.hall
        start = -hall.windows_open_before_s
        self.emit(start, "hall.reset")
        if self.controller is None:
            for t, k in sc.plan:
                self.schedule(max(t, start), "plan", min(k, len(self.wins)))
        else:
            # The day starts as planned (clerks are in at 08:55); the controller steers from then on.
            assert self.limits is not None
            first = min(sc.plan[0][1], len(self.wins), self.limits.cap_at(start))
            self.schedule(start, "plan", max(first, self.limits.minimum))
            self.schedule(start, "control")
        for number, since, until in sc.absent:
            if not 1 <= number <= len(self.wins):
                continue
            w = self.wins[number - 1]
            if since <= start:
                w.away = True  # before the plan's first opening
            else:
                self.schedule(since, "away", w)
            if until < INF:
                self.schedule(until, "back", w)
        self.schedule(self.close_s, "close")
        # Arrivals: a burst at the door, then a piecewise-constant-rate Poisson process.
        arrivals: list[float] = []
        n_burst = self._poisson(sc.opening_burst)
        arrivals += [rng.uniform(0.0, 120.0) for _ in range(n_burst)]
        n_seg = len(sc.hourly_profile)
        seg = self.close_s / n_seg
        total = sum(sc.hourly_profile)
        for h, share in enumerate(sc.hourly_profile):
            rate = sc.expected_tickets * share / total / seg
            if rate <= 0:
                continue
            t = h * seg
            while True:
                t += rng.expovariate(rate)
                if t >= (h + 1) * seg:
                    break
                arrivals.append(t)
        arrivals.sort()
        self.arrivals_left = len(arrivals)
        for t in arrivals:
            self.schedule(t, "arrival")
        self._schedule_breaks()

    def _poisson(self, lam: float) -> int:
        n, t = 0, self.rng.expovariate(1.0) if lam > 0 else INF
        while t < lam:
            n += 1
            t += self.rng.expovariate(1.0)
        return n

    def _planned_open(self, index: int, t: float) -> bool:
        k = 0
        for pt, pk in self.sc.plan:
            if pt <= t:
                k = pk
        return index < k

    def _draws(self, key: Any) -> random.Random:
        if self.own_rngs is None:
            return self.rng
        r = self.own_rngs.get(key)
        if r is None:
            r = self.own_rngs[key] = random.Random(f"{self.rng_name}|{key}")
        return r

    def _schedule_breaks(self) -> None:
        rng, sc = self.rng, self.sc
        order = list(range(len(self.wins)))
        rng.shuffle(order)
        half = len(order) // 2
        for band, members in ((sc.morning_breaks, order[:half]), (sc.afternoon_breaks, order[half:])):
            lo, hi = band
            if not members:
                continue
            slot = (hi - lo) / len(members)
            for j, idx in enumerate(members):
                t = lo + (j + rng.uniform(0.0, 0.6)) * slot
                if self._planned_open(idx, t) and self._planned_open(idx, t + sc.break_s):
                    self.schedule(t, "break", idx)

    # -- customers ------------------------------------------------------------------------
    def arrival(self, now: float) -> None:
        self.arrivals_left -= 1
        rng, sc = self.rng, self.sc
        ids = [s.id for s in self.hall.services]
        weights = [max(0.0, sc.mix.get(s, 0.1)) for s in ids]
        if sum(weights) <= 0:
            weights = [1.0] * len(ids)
        service = rng.choices(ids, weights)[0]
        priority = rng.random() < sc.priority_share
        if rng.random() < sc.impatient_share:
            patience = rng.expovariate(1.0 / sc.impatient_mean_s)
        else:
            patience = rng.expovariate(1.0 / sc.patience_mean_s)
        cancels = rng.random() < sc.cancel_share_of_leavers
        slow = rng.random() < sc.slow_share
        transfer_to = None
        if service in self.next_service and rng.random() < sc.transfer_share:
            transfer_to = self.next_service[service]
        prefix = self.hall.service(service).prefix
        n = self.counters.get(prefix, 0) + 1
        self.counters[prefix] = n
        label = f"{prefix}{n:03d}"
        tk = _Ticket(label, service, priority, now, now + patience, cancels, slow, transfer_to,
                     now, len(self.tickets))
        tk.original = service
        self.tickets.append(tk)
        fields: dict[str, Any] = {"ticket": label, "service": service}
        if priority:
            fields["priority"] = True
        self.emit(now, "ticket.issued", **fields)
        self.queue.append(tk)
        if cancels:
            self.schedule(tk.leave_at, "cancel", tk)
        self._offer(tk, now)

    def _offer(self, tk: _Ticket, now: float) -> None:
        idle = [w for w in self.wins if w.state == "idle" and w.spec.serves(tk.service)]
        if idle:
            w = min(idle, key=lambda w: (w.idle_since, w.index))
            self._dispatch(w, now)
        elif self.day_over and tk.in_queue and not any(
                w.state != "closed" and w.spec.serves(tk.service) for w in self.wins):
            # after closing time every window that serves it has gone home: one comes back
            for w in self.wins:
                if w.spec.serves(tk.service) and w.state == "closed" and not w.on_break and not w.away:
                    self._open(w, now)
                    break

    def cancel(self, tk: _Ticket, now: float) -> None:
        if not tk.in_queue or tk.called is not None:
            return
        tk.in_queue = False
        self.queue.remove(tk)
        tk.status, tk.cancelled = "cancelled", now
        self.emit(now, "ticket.cancelled", ticket=tk.label)

    # -- windows --------------------------------------------------------------------------
    def _open(self, w: _Win, now: float) -> None:
        fields: dict[str, Any] = {"window": w.spec.id}
        if w.spec.services is not None:
            fields["services"] = list(w.spec.services)
        self.emit(now, "window.opened", **fields)
        w.state, w.closing, w.on_break, w.idle_since = "idle", None, False, now
        self._dispatch(w, now)

    def _close(self, w: _Win, now: float) -> None:
        self.emit(now, "window.closed", window=w.spec.id)
        w.state, w.closing = "closed", None

    def _eligible(self, w: _Win) -> _Ticket | None:
        best = None
        for tk in self.queue:
            if w.spec.serves(tk.service):
                key = (not tk.priority, tk.queue_key, tk.seq)
                if best is None or key < best[0]:
                    best = (key, tk)
        return best[1] if best else None

    def _dispatch(self, w: _Win, now: float) -> None:
        """A free window calls the next ticket, or goes idle (or closes at day end)."""
        tk = self._eligible(w)
        if tk is None:
            if self.day_over:
                self._close(w, now)
            else:
                w.state, w.idle_since = "idle", now
            return
        rng, sc = self._draws(("ticket", tk.seq)), self.sc
        self.queue.remove(tk)
        tk.in_queue = False
        w.state, w.current = "busy", tk
        second_leg = tk.transferred
        if second_leg:
            assert tk.transfer is not None
            tk.transfer.update(called=now, window=w.spec.id)
        else:
            tk.called, tk.window = now, w.spec.id
        self.emit(now, "ticket.called", ticket=tk.label, window=w.spec.id)
        if now >= tk.leave_at:  # the holder left silently: nobody comes
            cost = sc.no_show_cost_s * rng.uniform(0.8, 1.2)
            if rng.random() < sc.no_show_recall_share:
                self.schedule(now + cost * rng.uniform(0.4, 0.6), "recall", (w, tk))
            self.schedule(now + cost, "finish", (w, tk, "no_show"))
            return
        start = now
        if tk.slow and not second_leg:
            recall_at = now + rng.uniform(20.0, 40.0)
            self.schedule(recall_at, "recall", (w, tk))
            start = recall_at + rng.uniform(10.0, 40.0)
        service = self.hall.service(tk.service)
        dur = service_time(rng, service) * w.speed
        if tk.transfer_to is not None and not second_leg:
            self.schedule(start + dur * rng.uniform(0.3, 0.7), "finish", (w, tk, "transfer"))
        else:
            self.schedule(start + dur, "finish", (w, tk, "served"))

    def finish(self, w: _Win, tk: _Ticket, how: str, now: float) -> None:
        if how == "served":
            self.emit(now, "ticket.served", ticket=tk.label, window=w.spec.id)
            tk.status, tk.ended = "served", now
        elif how == "no_show":
            self.emit(now, "ticket.no_show", ticket=tk.label)
            tk.status, tk.ended = "no_show", now
        else:  # transfer: waits again, in the other service, from now on
            assert tk.transfer_to is not None
            self.emit(now, "ticket.transferred", ticket=tk.label, service=tk.transfer_to)
            tk.transfer = {"at": now, "from_window": w.spec.id, "service": tk.transfer_to}
            tk.transferred, tk.in_queue = True, True
            tk.service, tk.queue_key, tk.leave_at = tk.transfer_to, now, INF
            self.queue.append(tk)
        w.current = None
        if w.closing is not None:
            reason = w.closing
            self._close(w, now)
            if reason == "break":
                w.on_break = True
                self.schedule(now + w.break_s, "reopen", w)
        else:
            self._dispatch(w, now)
        if how == "transfer":
            self._offer(tk, now)

    def plan(self, k: int, now: float, delay: float = 0.0) -> None:
        for w in self.wins:
            want = w.index < k
            if want and not w.wanted:
                w.wanted = True
                if w.state == "closed" and not w.on_break and not w.away:
                    if delay > 0:
                        self.schedule(now + delay, "open", w)
                    else:
                        self._open(w, now)
                elif w.closing == "plan":
                    w.closing = None
            elif not want and w.wanted:
                w.wanted = False
                if w.state == "idle":
                    self._close(w, now)
                elif w.state == "busy":
                    w.closing = "plan"

    def break_(self, w: _Win, now: float) -> None:
        if not w.wanted or w.state == "closed" or w.closing is not None or self.day_over:
            return
        w.break_s = self.sc.break_s * self._draws(("break", w.index)).uniform(0.9, 1.25)
        if w.state == "idle":
            self._close(w, now)
            w.on_break = True
            self.schedule(now + w.break_s, "reopen", w)
        else:
            w.closing = "break"

    def reopen(self, w: _Win, now: float) -> None:
        w.on_break = False
        if not w.wanted or w.state != "closed" or w.away:
            return
        if self.day_over and self._eligible(w) is None:
            return
        self._open(w, now)

    def open_later(self, w: _Win, now: float) -> None:
        if w.wanted and w.state == "closed" and not w.on_break and not w.away:
            self._open(w, now)

    def away(self, w: _Win, now: float) -> None:
        w.away = True
        if w.state == "idle":
            self._close(w, now)
        elif w.state == "busy":
            w.closing = "away"  # after this visit; a break due then is not taken

    def back(self, w: _Win, now: float) -> None:
        w.away = False
        if w.state == "busy" and w.closing == "away":
            # back before the last visit ended: never left (unless the plan has closed it since)
            w.closing = None if w.wanted else "plan"
        elif not w.on_break:  # a break in progress reopens the window when it ends
            self.reopen(w, now)

    def control(self, now: float) -> None:
        assert self.controller is not None and self.limits is not None and self.on_control
        staffed = sum(w.wanted for w in self.wins)
        # A customer still to come or a visit in progress will emit an event later on, so the
        # controller can be shown the clock ticks right up to now.
        goes_on = self.arrivals_left > 0 or any(w.state == "busy" for w in self.wins)
        wanted = self.controller(now, self.on_control(now, goes_on), staffed)
        self.control_log["calls"] += 1
        k = min(self.limits.clamp(int(wanted), now), len(self.wins))
        if k > staffed:
            self.control_log["opens"] += k - staffed
        elif k < staffed:
            self.control_log["closes"] += staffed - k
        self.plan(k, now, delay=self.limits.open_delay_s)
        if self.day_over:
            # After closing time a controller may cut windows that still have customers to
            # serve; as in open loop, a clerk comes back for anyone nobody would serve.
            for tk in list(self.queue):
                self._offer(tk, now)
        busy = any(w.state == "busy" for w in self.wins)
        if now > self.close_s + RUNAWAY_S:  # a benchmark must fail, not hang
            raise RuntimeError(f"controlled day still has {len(self.queue)} waiting "
                               f"{RUNAWAY_S / 3600:g} h after closing")
        if not (self.day_over and not self.queue and not busy):
            self.schedule(now + TICK_S, "control")

    def close_day(self, now: float) -> None:
        self.day_over = True
        for w in self.wins:
            if w.state == "idle":
                self._close(w, now)

    # -- run ------------------------------------------------------------------------------
    def run(self) -> None:
        self.setup()
        while self.heap:
            ev = heapq.heappop(self.heap)
            now, kind, d = ev.t, ev.kind, ev.data
            if kind == "arrival":
                self.arrival(now)
            elif kind == "finish":
                self.finish(d[0], d[1], d[2], now)
            elif kind == "recall":
                self.emit(now, "ticket.recalled", ticket=d[1].label, window=d[0].spec.id)
            elif kind == "cancel":
                self.cancel(d, now)
            elif kind == "plan":
                self.plan(d, now)
            elif kind == "break":
                self.break_(self.wins[d], now)
            elif kind == "reopen":
                self.reopen(d, now)
            elif kind == "close":
                self.close_day(now)
            elif kind == "control":
                self.control(now)
            elif kind == "open":
                self.open_later(d, now)
            elif kind == "away":
                self.away(d, now)
            elif kind == "back":
                self.back(d, now)
            else:  # pragma: no cover - programming error
                raise AssertionError(kind)


def _ms(t: float) -> int:
    return int(round(t * 1000.0))


def _truth_of(tk: _Ticket, original_service: str) -> dict[str, Any]:
    rec: dict[str, Any] = {"service": original_service, "issued": _ms(tk.issued) / 1000.0,
                           "priority": tk.priority}
    if tk.status == "cancelled":
        rec.update(status="cancelled", cancelled=_ms(tk.cancelled or 0.0) / 1000.0)
        return rec
    rec.update(called=_ms(tk.called or 0.0) / 1000.0, window=tk.window, status=tk.status,
               ended=_ms(tk.ended or 0.0) / 1000.0)
    if tk.transfer is not None:
        rec["transfer"] = {k: (_ms(v) / 1000.0 if isinstance(v, float) else v)
                           for k, v in tk.transfer.items()}
    return rec


class _Wire:
    """Turns the simulation's output into wire events, incrementally.

    hall.reset leads; clock ticks every 30 s from the windows' opening to the last event come
    before other events at the same millisecond. Ids number the merged stream, so what is
    built up to a time is always a prefix of the finished day: a controller sees exactly the
    events a server would have received by then.
    """

    def __init__(self, out: list[tuple[float, dict[str, Any]]], t0: dt.datetime, prefix: str):
        self.out = out
        self.tz = t0.tzinfo
        self.t0_utc = t0.astimezone(dt.timezone.utc)
        self.prefix = prefix
        self.events: list[dict[str, Any]] = []
        self.done = 0  # sim.out entries already converted
        self.next_tick: int | None = None
        self.at_cache: dict[int, str] = {}

    def upto(self, now: float, goes_on: bool = False) -> list[dict[str, Any]]:
        """The wire events up to ``now`` (seconds after opening); all of them for ``INF``.

        ``goes_on``: the day certainly has an event after ``now``, so the ticks up to ``now``
        exist; otherwise they wait until an event proves the day lasts that long.
        """
        out = self.out
        if not out:
            return self.events
        if self.next_tick is None:
            self.next_tick = _ms(out[0][0])
        step = int(TICK_S * 1000)
        # Ticks run to the last event of the day; beyond the last event so far they may not exist.
        last_ms = _ms(out[-1][0])
        if now == INF:
            tick_limit = last_ms
        else:
            tick_limit = _ms(now) if goes_on else min(_ms(now), last_ms)
        while self.done < len(out):
            t, ev = out[self.done]
            m = _ms(t)
            if self.done > 0:  # hall.reset goes before the tick at its millisecond
                while self.next_tick <= min(m, tick_limit):
                    self._add(self.next_tick, {"type": "clock.tick"})
                    self.next_tick += step
            self._add(m, ev)
            self.done += 1
        while self.next_tick <= tick_limit:
            self._add(self.next_tick, {"type": "clock.tick"})
            self.next_tick += step
        return self.events

    def _add(self, m: int, ev: dict[str, Any]) -> None:
        at = self.at_cache.get(m)
        if at is None:
            at = (self.t0_utc + dt.timedelta(milliseconds=m)).astimezone(self.tz).isoformat(
                timespec="milliseconds")
            self.at_cache[m] = at
        wire = {"id": f"{self.prefix}-{len(self.events) + 1:05d}", "type": ev["type"], "at": at}
        wire.update((k, v) for k, v in ev.items() if k != "type")
        self.events.append(wire)


def simulate_day(
    scenario: str | Scenario = "normal",
    seed: int = 0,
    date: dt.date | str | None = None,
    hall: Hall | None = None,
    plan_scale: float | None = None,
    controller: Controller | None = None,
    limits: ClerkLimits | None = None,
) -> Day:
    """Simulate one hall day; pure: same arguments, same events and truth.

    ``hall`` defaults to the sample hall with the scenario's number of windows; ``plan_scale``
    scales the scenario's counter plan (e.g. ``len(hall.windows) / scenario.windows``).

    With a ``controller`` the day is closed-loop: it starts with the plan's first count and
    the controller then decides, every 30 s, how many windows are staffed (see
    :data:`Controller`); ``limits`` (default: the scenario's :func:`clerk_limits`) caps and
    floors its wish and delays every opening. Without one, the output is the open-loop day.
    """
    sc = get_scenario(scenario) if isinstance(scenario, str) else scenario
    if date is None:
        date = DEFAULT_DATES.get(sc.name, dt.date(2026, 11, 18))
    elif isinstance(date, str):
        date = dt.date.fromisoformat(date)
    if plan_scale is not None and plan_scale != 1.0:
        sc = sc.scaled(plan_scale)
    if hall is None:
        hall = hall_for(sc)
    if controller is not None and limits is None:
        limits = clerk_limits(sc, len(hall.windows))
    tz = ZoneInfo(hall.timezone)
    t0 = dt.datetime.combine(date, hall.open_time, tzinfo=tz)
    sim = _Sim(hall, sc, seed, date, controller, limits)
    wire = _Wire(sim.out, t0, f"{sc.name}-{seed}-{date.isoformat()}")
    sim.on_control = wire.upto
    sim.run()
    events = wire.upto(INF)

    tickets = {tk.label: _truth_of(tk, tk.original) for tk in sim.tickets}
    return Day(sc.name, seed, date, t0, events, tickets, hall.id,
               tuple(w.id for w in hall.windows),
               control=dict(sim.control_log) if controller is not None else None)


def simulate_days(
    start: dt.date | str,
    n: int,
    seed: int = 0,
    scenario: str | Scenario | None = None,
    hall: Hall | None = None,
    plan_scale: float | None = None,
) -> list[Day]:
    """N consecutive days of the same hall (history for learning).

    With ``scenario`` None each date gets its calendar kind (month end/start, weekend quiet,
    else normal) in one hall sized for the busiest kind, so staffing differs by day but the
    hall, its services and its clerks' speeds do not.
    """
    if isinstance(start, str):
        start = dt.date.fromisoformat(start)
    if hall is None:
        used = _scenarios_used(start, n, scenario)
        hall = hall_for(used[0], max(s.windows for s in used))
    days = []
    for i in range(n):
        date = start + dt.timedelta(days=i)
        if scenario is not None:
            sc, scale = scenario, plan_scale
        else:
            sc = get_scenario(scenario_for_date(date))
            scale = min(1.0, len(hall.windows) / sc.windows) if plan_scale is None else plan_scale
        days.append(simulate_day(sc, seed, date, hall=hall, plan_scale=scale))
    return days


def _scenarios_used(start: dt.date, n: int, scenario: str | Scenario | None) -> list[Scenario]:
    if scenario is not None:
        return [get_scenario(scenario) if isinstance(scenario, str) else scenario]
    return [get_scenario(scenario_for_date(start + dt.timedelta(days=i))) for i in range(n)]


def summarize(day: Day) -> dict[str, Any]:
    """Realised volumes and waits of a day (waits: issue to first call, over called tickets)."""
    tk = day.tickets.values()
    called = [t for t in tk if "called" in t]
    waits = sorted(t["called"] - t["issued"] for t in called)
    n_w = len(waits)
    # Waiting per open window, as a display would count it, replayed from the events.
    waiting: set[str] = set()
    open_w: set[str] = set()
    worst = 0.0
    over5_s = 0.0
    last_t: float | None = None
    last_ratio = 0.0
    t0 = day.t0
    for ev in day.events:
        t = (dt.datetime.fromisoformat(ev["at"]) - t0).total_seconds()
        if last_t is not None and last_ratio >= 5.0:
            over5_s += t - last_t
        et = ev["type"]
        if et == "ticket.issued" or et == "ticket.transferred":
            waiting.add(ev["ticket"])
        elif et in ("ticket.called", "ticket.cancelled"):
            waiting.discard(ev["ticket"])
        elif et == "window.opened":
            open_w.add(ev["window"])
        elif et == "window.closed":
            open_w.discard(ev["window"])
        elif et == "hall.reset":
            waiting.clear()
            open_w.clear()
        last_ratio = len(waiting) / len(open_w) if open_w else 0.0
        if open_w:
            worst = max(worst, last_ratio)
        last_t = t

    def share(x: float) -> float:
        return sum(1 for w in waits if w > x) / n_w if n_w else 0.0

    statuses: dict[str, int] = {}
    for ticket in tk:
        statuses[ticket["status"]] = statuses.get(ticket["status"], 0) + 1
    return {
        "scenario": day.scenario,
        "seed": day.seed,
        "day": day.date.isoformat(),
        "events": len(day.events),
        "tickets": len(day.tickets),
        "served": statuses.get("served", 0),
        "no_show": statuses.get("no_show", 0),
        "cancelled": statuses.get("cancelled", 0),
        "transferred": sum(1 for t in tk if "transfer" in t),
        "priority": sum(1 for t in tk if t["priority"]),
        "mean_wait_min": round(sum(waits) / n_w / 60.0, 2) if n_w else 0.0,
        "p90_wait_min": round(waits[int(0.9 * (n_w - 1))] / 60.0, 2) if n_w else 0.0,
        "max_wait_min": round(waits[-1] / 60.0, 2) if n_w else 0.0,
        "share_wait_over_15": round(share(900.0), 4),
        "share_wait_over_30": round(share(1800.0), 4),
        "max_waiting_per_open_window": round(worst, 2),
        "minutes_at_5_per_window": round(over5_s / 60.0, 1),
    }
