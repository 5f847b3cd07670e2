"""Replaying event streams for the benchmarks: the hall config, the stream-only baselines, scoring.

Everything here reads only what a server would receive (wire events), never the simulator's
truth, so the same code scores simulated days and any recorded JSONL log.
"""

from __future__ import annotations

import json
import math
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from server.config import HallConfig
from server.config_file import DEFAULT_CONFIG_PATH, parse_config
from server.errors import InvalidEvent
from server.events import EventType, QueueEvent, parse_event
from server.hall import Hall

RECENT_SERVICES = 30
"""The vendor formula's rolling average: the last this-many completed services, any type."""

FIXED_SERVICE_S = 330.0
"""The vendor formula's constant: 5.5 min, the sample hall's configured overall mean."""

TIME_BANDS = (("09-12", 0, 12), ("12-14", 12, 14), ("14+", 14, 24))
"""Splits by the local hour of issue."""

ESTIMATORS = ("ours", "les", "hol", "vendor_recent", "vendor_fixed")


# -- hall config -------------------------------------------------------------------------------

def sample_config_data() -> dict[str, Any]:
    """content/hall.yaml as plain data, to adjust before parsing."""
    return yaml.safe_load(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))


def hall_config(windows: Iterable[tuple[str, Iterable[str] | None]], *,
                staffing: Mapping[str, Any] | None = None, base: Mapping[str, Any] | None = None,
                services: Iterable[Mapping[str, Any]] | None = None,
                source: str = "bench") -> HallConfig:
    """The sample hall's config with the given windows (id, services or None for all).

    A simulated month-end hall has 15 windows where content/hall.yaml lists 8; configuring
    them up front keeps the estimator from guessing what an unknown window serves.
    ``staffing`` entries override the config's ``staffing`` section (for parameter sweeps);
    ``services`` (config entries) replace the sample hall's, for another service catalogue.
    """
    data = dict(base if base is not None else sample_config_data())
    if services is not None:
        data["services"] = [dict(s) for s in services]
    data["windows"] = [{"id": wid} if services is None else {"id": wid, "services": list(services)}
                       for wid, services in windows]
    if staffing:
        data["staffing"] = {**(data.get("staffing") or {}), **staffing}
    return parse_config(data, source=source)


def sim_hall_windows(sim_hall: Any) -> list[tuple[str, tuple[str, ...] | None]]:
    return [(w.id, w.services) for w in sim_hall.windows]


def sim_hall_services(sim_hall: Any) -> list[dict[str, Any]] | None:
    """Config entries for a simulated hall's services; None when they are content/hall.yaml's.

    Only the mean is configured, as a hall would write it; the spread and any long tail of
    the simulated service times are for the hall to learn.
    """
    sample = {(s["id"], s["prefix"], float(s["mean_service_s"]))
              for s in sample_config_data()["services"]}
    if {(s.id, s.prefix, float(s.mean_s)) for s in sim_hall.services} == sample:
        return None
    return [{"id": s.id, "prefix": s.prefix, "name": s.id, "name_en": s.id,
             "mean_service_s": s.mean_s} for s in sim_hall.services]


def configured_mean_s(config: HallConfig, mix: Mapping[str, float] | None = None) -> float:
    """The one service time a vendor box would be set to: the configured means weighted by ``mix``.

    Without a mix (a recorded log) the sample hall's 5.5 min, its configured overall mean.
    """
    if not mix:
        return FIXED_SERVICE_S
    total = sum(mix.get(s.id, 0.0) for s in config.services)
    if total <= 0:
        return FIXED_SERVICE_S
    return sum(mix.get(s.id, 0.0) * s.mean_service_s for s in config.services) / total


def stream_windows(events: Iterable[QueueEvent]) -> list[tuple[str, tuple[str, ...] | None]]:
    """The windows a recorded stream uses, with the services their window.opened announced."""
    found: dict[str, tuple[str, ...] | None] = {}
    for ev in events:
        if ev.window is None:
            continue
        if ev.type is EventType.WINDOW_OPENED and ev.services is not None:
            found[ev.window] = ev.services
        else:
            found.setdefault(ev.window, None)
    return sorted(found.items(), key=lambda kv: (len(kv[0]), kv[0]))


def read_jsonl(path: str | Path) -> list[tuple[int, QueueEvent]]:
    """The events of a JSONL log with their line numbers, in file order.

    Raises:
        ValueError: naming the file and line of the first line that is not a valid event.
    """
    events = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"{path}:{n}: not a JSON line ({exc})") from None
            try:
                events.append((n, parse_event(obj)))
            except InvalidEvent as exc:
                raise ValueError(f"{path}:{n}: not a queue event: {exc}") from None
    if not events:
        raise ValueError(f"{path}: no events")
    return events


# -- the hall as the stream shows it -----------------------------------------------------------

@dataclass(slots=True)
class Waiter:
    label: str
    service: str
    priority: bool
    since: datetime
    order: int

    def call_key(self) -> tuple[bool, datetime, int]:
        return (not self.priority, self.since, self.order)


def _serves(services: tuple[str, ...] | None, service: str) -> bool:
    return services is None or service in services


class StreamView:
    """Waiting tickets, open windows and recent services, rebuilt from events alone.

    Independent of server.hall on purpose: the baselines must not inherit the estimator's
    view of the hall, and count-k needs only what a manager sees on the floor.
    """

    def __init__(self, window_services: Mapping[str, tuple[str, ...] | None] | None = None,
                 recent: int = RECENT_SERVICES, fixed_service_s: float = FIXED_SERVICE_S) -> None:
        self.window_services = dict(window_services or {})
        self.fixed_service_s = fixed_service_s
        self.durations: deque[float] = deque(maxlen=recent)  # outlives the day, as in a vendor box
        self.day: date | None = None
        self.now: datetime | None = None
        self._new_day()

    def _new_day(self) -> None:
        self.waiting: dict[str, Waiter] = {}
        self.open: dict[str, tuple[str, ...] | None] = {}
        self.serving: dict[str, str] = {}  # window -> ticket at it
        self.leg_start: dict[str, datetime] = {}  # ticket -> call that started its current visit
        self.last_entry_wait: float | None = None
        self._order = 0

    def receive(self, ev: QueueEvent) -> None:
        local_day = ev.at.astimezone(ev.at.tzinfo).date()
        if ev.type is EventType.HALL_RESET or (self.day is not None and local_day != self.day):
            self._new_day()
        self.day, self.now = local_day, ev.at
        kind = ev.type
        if kind is EventType.TICKET_ISSUED:
            self._wait(ev.ticket, ev.service, ev.priority, ev.at)
        elif kind is EventType.TICKET_CALLED:
            waiter = self.waiting.pop(ev.ticket, None)
            if waiter is not None:
                self.last_entry_wait = (ev.at - waiter.since).total_seconds()
                self.leg_start[ev.ticket] = ev.at
            self._free(ev.ticket)
            self.serving[ev.window] = ev.ticket
        elif kind in (EventType.TICKET_SERVED, EventType.TICKET_TRANSFERRED):
            start = self.leg_start.pop(ev.ticket, None)
            if start is not None:
                self.durations.append((ev.at - start).total_seconds())
            self._free(ev.ticket)
            if kind is EventType.TICKET_TRANSFERRED:
                self._wait(ev.ticket, ev.service, False, ev.at)
        elif kind is EventType.TICKET_NO_SHOW:
            self.leg_start.pop(ev.ticket, None)
            self._free(ev.ticket)
        elif kind is EventType.TICKET_CANCELLED:
            self.waiting.pop(ev.ticket, None)
        elif kind is EventType.WINDOW_OPENED:
            services = ev.services if ev.services is not None else self.window_services.get(ev.window)
            self.open[ev.window] = services
        elif kind is EventType.WINDOW_CLOSED:
            self.open.pop(ev.window, None)

    def _wait(self, label: str, service: str, priority: bool, at: datetime) -> None:
        self._order += 1
        self.waiting[label] = Waiter(label, service, priority, at, self._order)

    def _free(self, label: str) -> None:
        for window, at in list(self.serving.items()):
            if at == label:
                del self.serving[window]

    # -- what a floor manager or a vendor display can see ---------------------------------

    def open_windows(self, service: str | None = None) -> int:
        return sum(1 for s in self.open.values() if service is None or _serves(s, service))

    def idle_windows(self) -> int:
        return sum(1 for w in self.open if w not in self.serving)

    def line_ahead(self, label: str) -> list[Waiter]:
        """Tickets that will be called before ``label``, in call order.

        Those waiting for a service that some open window of ``label``'s service also serves,
        priority first then first come: the order the hall's windows call in.
        """
        me = self.waiting[label]
        mine = [s for s in self.open.values() if _serves(s, me.service)]
        key = me.call_key()
        ahead = [w for w in self.waiting.values()
                 if w.label != label and w.call_key() < key
                 and (not mine or any(_serves(s, w.service) for s in mine))]
        ahead.sort(key=Waiter.call_key)
        return ahead

    def baselines(self, label: str) -> dict[str, float]:
        """The stream-only estimates for the ticket just issued as ``label``, in seconds."""
        me = self.waiting[label]
        assert self.now is not None
        ahead = self.line_ahead(label)
        windows = max(1, self.open_windows(me.service))
        recent = (sum(self.durations) / len(self.durations)) if self.durations else self.fixed_service_s
        return {
            "les": self.last_entry_wait or 0.0,
            "hol": (self.now - ahead[0].since).total_seconds() if ahead else 0.0,
            "vendor_recent": len(ahead) * recent / windows,
            "vendor_fixed": len(ahead) * self.fixed_service_s / windows,
        }


# -- scoring one stream ------------------------------------------------------------------------

@dataclass(slots=True)
class Issued:
    day: int
    label: str
    hour: float  # local hour of issue
    issued: datetime
    ours: float
    low: float
    high: float
    baselines: dict[str, float]
    realised: float | None = None


@dataclass(slots=True)
class Episode:
    """One wait of a ticket: from issue or transfer to its call (or to leaving, or day end)."""

    start: datetime
    end: datetime | None = None
    flagged_at: datetime | None = None


@dataclass
class Scorer:
    """Feeds a Hall and a StreamView one stream; records estimates at issue and care_soon flags.

    ``scoring`` off replays history: the hall learns, nothing is recorded.
    """

    hall: Hall
    view: StreamView
    care_first_s: float
    scoring: bool = True
    issued: list[Issued] = field(default_factory=list)
    episodes: list[Episode] = field(default_factory=list)
    _open: dict[tuple[int, str], Issued] = field(default_factory=dict)
    _episode: dict[tuple[int, str], Episode] = field(default_factory=dict)
    _day: int = 0
    _date: date | None = None
    _last: datetime | None = None

    def feed(self, ev: QueueEvent) -> None:
        local = ev.at.astimezone(self.hall.tz)
        new_day = ev.type is EventType.HALL_RESET or (self._date is not None and local.date() != self._date)
        if new_day and self._last is not None:
            self._close_day()
        self._date, self._last = local.date(), ev.at
        self.hall.receive(ev)
        self.view.receive(ev)
        key = (self._day, ev.ticket or "")
        if ev.type is EventType.TICKET_ISSUED:
            self._issue(ev, local, key)
        elif ev.type is EventType.TICKET_TRANSFERRED and self.scoring:
            self._episode[key] = Episode(ev.at)
            self.episodes.append(self._episode[key])
        # Before the wait's end below: a flag raised while the hall caught up to this event
        # belongs to a wait the event may end.
        for change, alert in self.hall.alerts_to_send():
            if str(alert.kind) == "care_soon" and str(change) == "raised":
                episode = self._episode.get((self._day, alert.ticket or ""))
                if episode is not None and episode.flagged_at is None:
                    episode.flagged_at = alert.raised_at
        if ev.type in (EventType.TICKET_CALLED, EventType.TICKET_CANCELLED):
            rec = self._open.pop(key, None)
            if rec is not None and ev.type is EventType.TICKET_CALLED:
                rec.realised = (ev.at - rec.issued).total_seconds()
            episode = self._episode.pop(key, None)
            if episode is not None:
                episode.end = ev.at

    def _issue(self, ev: QueueEvent, local: datetime, key: tuple[int, str]) -> None:
        if not self.scoring:
            return
        estimate = self.hall.estimates().get(ev.ticket)
        if estimate is None:  # issued and called within one event is impossible; never score a guess
            raise RuntimeError(f"{ev.ticket}: the hall has no estimate right after its ticket.issued")
        est = estimate[1]
        rec = Issued(self._day, ev.ticket, local.hour + local.minute / 60.0, ev.at,
                     float(est.expected_s), float(est.low_s), float(est.high_s),
                     self.view.baselines(ev.ticket))
        self.issued.append(rec)
        self._open[key] = rec
        self._episode[key] = Episode(ev.at)
        self.episodes.append(self._episode[key])

    def _close_day(self) -> None:
        # A wait still open when the day ends lasted until its last event.
        for episode in self._episode.values():
            episode.end = self._last
        self._open.clear()
        self._episode.clear()
        self._day += 1

    def finish(self) -> None:
        self._close_day()

    # -- results --------------------------------------------------------------------------

    def result(self) -> "Scored":
        """What was recorded, without the hall: small enough to send between processes."""
        return Scored(list(self.issued), list(self.episodes), self.care_first_s)

    def scored(self) -> list[Issued]:
        return self.result().scored()

    def care_soon_sets(self, lead_s: float = 0.0) -> tuple[set[int], set[int]]:
        return self.result().care_soon_sets(lead_s)

    def care_soon_lead_min(self) -> list[float]:
        return self.result().care_soon_lead_min()


@dataclass
class Scored:
    """The estimates at issue and the waits of one or more scored streams (no hall attached)."""

    issued: list[Issued]
    episodes: list[Episode]
    care_first_s: float

    @classmethod
    def pool(cls, parts: Iterable["Scored"]) -> "Scored":
        """Several streams scored as one: their tickets and waits side by side."""
        parts = list(parts)
        if not parts:
            raise ValueError("nothing to pool")
        if len({p.care_first_s for p in parts}) != 1:
            raise ValueError("pooled streams must share care_first_min")
        return cls([r for p in parts for r in p.issued], [e for p in parts for e in p.episodes],
                   parts[0].care_first_s)

    def scored(self) -> list[Issued]:
        return [r for r in self.issued if r.realised is not None]

    def care_soon_sets(self, lead_s: float = 0.0) -> tuple[set[int], set[int]]:
        """(flagged, truly waited > care_first_min) as sets of episode indexes.

        ``lead_s``: count only flags raised at least this long before the wait reached
        care_first_min. A flag raised at minute 14 is nearly always right and nearly useless,
        so recall at a useful lead is the honest measure of an early warning.
        """
        flagged = {i for i, e in enumerate(self.episodes) if e.flagged_at is not None
                   and (e.flagged_at - e.start).total_seconds() <= self.care_first_s - lead_s}
        long = {i for i, e in enumerate(self.episodes)
                if e.end is not None and (e.end - e.start).total_seconds() > self.care_first_s}
        return flagged, long

    def care_soon_lead_min(self) -> list[float]:
        """For flags that came true: minutes between the flag and the wait reaching care_first_min."""
        out = []
        for e in self.episodes:
            if e.flagged_at is not None and e.end is not None and \
                    (e.end - e.start).total_seconds() > self.care_first_s:
                out.append(self.care_first_s / 60.0 - (e.flagged_at - e.start).total_seconds() / 60.0)
        return out


def iter_parsed(events: Iterable[Mapping[str, Any]]) -> Iterator[QueueEvent]:
    for obj in events:
        yield parse_event(obj)


def finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)
