"""The display.state wire message, parsed into frozen values (pure)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from signage.errors import InvalidState


__all__ = ["Call", "Service", "HallInfo", "NearbyHall", "DisplayState", "parse_message", "parse_state", "STATE_TYPE", "CARE_FIRST_MIN"]

STATE_TYPE = "display.state"
# A server from before the field existed: the hall config's default threshold.
CARE_FIRST_MIN = 15.0


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    """One call of a ticket to a window; a recall is a separate entry with recall=True."""

    ticket: str
    window: str
    called_at: datetime
    recall: bool = False
    service: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        """Identity of the call across states and reconnects."""
        return (self.ticket, self.window, self.called_at.isoformat())


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Service:
    """Waiting figures of one service."""

    id: str
    name: str
    name_en: str
    prefix: str
    waiting: int
    expected_wait_s: float | None
    expected_wait_range_s: tuple[float, float] | None
    open_windows: int


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class HallInfo:
    """Identity of the hall."""

    id: str
    name: str
    name_en: str
    timezone: str
    date: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class NearbyHall:
    """A calmer nearby hall, live from head office (display.state ``nearby``)."""

    name: str
    name_en: str
    distance: str
    waiting: int
    expected_wait_s: float
    as_of: datetime
    """When head office last heard from it, in this hall's offset."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class DisplayState:
    """A full display.state: everything a lobby screen shows from the server."""

    seq: int
    at: datetime | None  # None before the hall has any time (an event clock with no event yet)
    hall: HallInfo
    calls: tuple[Call, ...]
    services: tuple[Service, ...]
    waiting_total: int
    open_windows: int
    busy: bool
    care_first_min: float = CARE_FIRST_MIN
    """The hall's care threshold: a wait past it is "over" (coloured as such)."""
    quiet_hours: tuple[str, str] | None = None
    """The next quiet hours, as words ("明天 14:00–16:00", "tomorrow 14:00–16:00"), for the ticker."""
    nearby: tuple[NearbyHall, ...] | None = None
    """Calmer nearby halls while busy; None: no live list, the content's static nearby halls are shown."""


def _get(d: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    value = d.get(key)
    # JSON's true is not a number: bool is an int subclass in Python only.
    if not isinstance(value, kinds) or isinstance(value, bool) and bool not in kinds:
        raise InvalidState(f"{where}.{key}: expected {' or '.join(k.__name__ for k in kinds)}, got {value!r}")
    return value


def _count(value: Any) -> int:
    """An optional count: an integer, else 0 (the page's rule too)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _time(d: Mapping[str, Any], key: str, where: str) -> datetime:
    raw = _get(d, key, str, where)
    try:
        t = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidState(f"{where}.{key}: not an ISO time: {raw!r}") from exc
    if t.tzinfo is None:
        raise InvalidState(f"{where}.{key}: time without UTC offset: {raw!r}")
    return t


def _opt_num(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidState(f"{where}: expected a number or null, got {value!r}")
    return float(value)


def _objects(msg: Mapping[str, Any], key: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Yield (where, item) for the list ``msg[key]`` whose items must be objects."""
    for i, item in enumerate(_get(msg, key, list, "state")):
        where = f"state.{key}[{i}]"
        if not isinstance(item, dict):
            raise InvalidState(f"{where}: expected an object")
        yield where, item


def parse_state(msg: Mapping[str, Any]) -> DisplayState:
    """Parse a display.state message; unknown extra fields are ignored.

    Raises:
        InvalidState: a required field is missing or has the wrong type.
    """
    hall = _get(msg, "hall", dict, "state")
    calls = []
    for where, c in _objects(msg, "calls"):
        service = c.get("service")
        calls.append(
            Call(
                ticket=str(_get(c, "ticket", str, where)),
                window=str(_get(c, "window", (str, int), where)),
                called_at=_time(c, "called_at", where),
                recall=c.get("recall") is True,
                service=service if isinstance(service, str) else None,
            )
        )
    services = []
    for where, s in _objects(msg, "services"):
        rng = s.get("expected_wait_range_s")
        if rng is not None:
            if not isinstance(rng, list) or len(rng) != 2:
                raise InvalidState(f"{where}.expected_wait_range_s: expected [low, high] or null")
            lo, hi = (_opt_num(v, f"{where}.expected_wait_range_s") for v in rng)
            rng = None if lo is None or hi is None else (min(lo, hi), max(lo, hi))
        services.append(
            Service(
                id=str(_get(s, "id", str, where)),
                name=str(s.get("name") or s.get("id")),
                name_en=str(s.get("name_en") or ""),
                prefix=str(s.get("prefix") or ""),
                waiting=int(_get(s, "waiting", int, where)),
                expected_wait_s=_opt_num(s.get("expected_wait_s"), f"{where}.expected_wait_s"),
                expected_wait_range_s=rng,
                open_windows=_count(s.get("open_windows")),
            )
        )
    alerts = msg.get("alerts")
    care = msg.get("care_first_min")
    if isinstance(care, bool) or not isinstance(care, (int, float)) or not care > 0:
        care = CARE_FIRST_MIN  # absent or off-contract: the default, as the page reads it
    return DisplayState(
        seq=int(_get(msg, "seq", int, "state")),
        at=None if msg.get("at") is None else _time(msg, "at", "state"),
        hall=HallInfo(
            id=str(hall.get("id") or ""),
            name=str(hall.get("name") or ""),
            name_en=str(hall.get("name_en") or ""),
            timezone=str(hall.get("timezone") or "UTC"),
            date=str(hall.get("date") or ""),
        ),
        calls=tuple(calls),
        services=tuple(services),
        waiting_total=_count(msg.get("waiting_total")),
        open_windows=_count(msg.get("open_windows")),
        busy=isinstance(alerts, dict) and alerts.get("open_windows") is True,
        care_first_min=float(care),
        quiet_hours=_quiet_hours(msg.get("quiet_hours")),
        nearby=_nearby(msg.get("nearby")),
    )


def _quiet_hours(value: Any) -> tuple[str, str] | None:
    """Optional: absent, null or off-contract, the ticker simply goes without it."""
    if isinstance(value, dict) and isinstance(value.get("zh"), str) and isinstance(value.get("en"), str):
        return value["zh"], value["en"]
    return None


def _nearby(value: Any) -> tuple[NearbyHall, ...] | None:
    """Optional: not a list is no live list; an off-contract hall in it is left out (the page's rule too)."""
    if not isinstance(value, list):
        return None
    out = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or type(item.get("waiting")) is not int:
            continue
        wait, raw = item.get("expected_wait_s"), item.get("as_of")
        try:
            as_of = datetime.fromisoformat(raw) if isinstance(raw, str) else None
        except ValueError:
            continue
        if as_of is None:
            continue
        if isinstance(wait, bool) or not isinstance(wait, (int, float)) or as_of.tzinfo is None:
            continue
        out.append(NearbyHall(name=item["name"], name_en=str(item.get("name_en") or item["name"]),
                              distance=str(item.get("distance") or ""), waiting=item["waiting"],
                              expected_wait_s=float(wait), as_of=as_of))
    return tuple(out)


def parse_message(msg: Any) -> DisplayState | None:
    """Return the state in a decoded wire message, or None for any other message type.

    Raises:
        InvalidState: the message is a display.state but malformed.
    """
    if not isinstance(msg, dict) or msg.get("type") != STATE_TYPE:
        return None
    return parse_state(msg)
