"""The hall's settings: what the hall config file holds, as frozen dataclasses.

Reading and checking the file (YAML) is config_file.py's job; the pure hall only sees these.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any


__all__ = [
    "AlertSettings",
    "HallConfig",
    "Minimum",
    "ServiceConfig",
    "StaffingSettings",
    "WindowConfig",
    "DEFAULT_SERVICE_MEAN_S",
    "HALL_SHAPING",
    "hall_settings",
    "with_hall_settings",
    "changed_settings",
]

DEFAULT_SERVICE_MEAN_S = 330.0
"""Prior mean service time for a service nobody configured (5.5 min, the field's average)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceConfig:
    id: str
    name: str
    name_en: str
    prefix: str = ""
    mean_service_s: float = DEFAULT_SERVICE_MEAN_S
    cv: float | None = None
    """Spread of service times (coefficient of variation) for the simulator; the hall learns its own."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowConfig:
    id: str
    services: tuple[str, ...] | None = None
    """Services this window serves when opened without a list; ``None``: all."""
    hours: tuple[tuple[int, int], ...] | None = None
    """Planned opening hours in local seconds of the day; ``None``: learned from history."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertSettings:
    care_first_min: float = 15.0
    care_second_min: float = 30.0
    open_windows_per_window: float = 5.0
    open_windows_clear_per_window: float = 4.0
    care_soon_probability: float = 0.5
    """Raise care_soon when a ticket's chance of passing care_first_min exceeds this; 0: off."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Minimum:
    """Keep at least ``windows`` (or ``share`` of the hall's windows) open from ``from_s`` to ``to_s``."""

    from_s: int
    to_s: int
    windows: int | None = None
    share: float | None = None

    def windows_at(self, local_s: float, known_windows: int) -> int:
        if not self.from_s <= local_s < self.to_s:
            return 0
        if self.windows is not None:
            return self.windows
        assert self.share is not None
        return -int(-self.share * known_windows // 1)  # ceil: "half of 15" keeps 8


@dataclass(frozen=True, slots=True, kw_only=True)
class StaffingSettings:
    enabled: bool = True
    """False: no staffing alerts (open_windows alerts still carry the advised count)."""
    target_wait_min: float = 15.0
    target_share: float = 0.05
    close_after_min: float = 10.0
    arrival_window_min: float = 15.0
    lookahead_min: float = 30.0
    """Also staff for the arrival rate earlier days had over the next this-many minutes (0: off)."""
    minimums: tuple[Minimum, ...] = ()

    def minimum_at(self, local_s: float, known_windows: int) -> int:
        return max((m.windows_at(local_s, known_windows) for m in self.minimums), default=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class HallConfig:
    id: str = "hall"
    name: str = "营业厅"
    name_en: str = "Service Hall"
    timezone: str = "Asia/Shanghai"
    services: tuple[ServiceConfig, ...] = ()
    windows: tuple[WindowConfig, ...] = ()
    alerts: AlertSettings = field(default_factory=AlertSettings)
    staffing: StaffingSettings = field(default_factory=StaffingSettings)
    queue_token: str | None = None
    staff_token: str | None = None
    display_token: str | None = None
    staff_pins: Mapping[str, str] = field(default_factory=dict)
    data_dir: str | None = None
    phone_almost_at: int = 3
    """People ahead at which a phone following its ticket says "almost your turn" (not hall-shaping)."""
    hq_url: str | None = None
    """Head office to forward the journal to (``hq.url``; ``serve --hq`` wins). Not hall-shaping."""
    hq_hall_id: str | None = None
    hq_token: str | None = None
    keep_days: float = 90.0
    """Days of journal the hall keeps (never a record head office has not acknowledged)."""
    trusted_network: bool = False
    """Staff tablets may send a PIN over plain HTTP to a host other than localhost (``trusted_network``).
    Not hall-shaping."""

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def service(self, service_id: str) -> ServiceConfig | None:
        for service in self.services:
            if service.id == service_id:
                return service
        return None


HALL_SHAPING = ("timezone", "services", "windows", "alerts", "staffing")
"""The settings the hall's rules run on: a replay under others rebuilds another day (names, tokens,
PINs and the data dir change what people see or may do, not what the hall did)."""


def hall_settings(config: HallConfig) -> dict[str, Any]:
    """The hall-shaping settings as JSON-ready data (the journal keeps them with each day)."""
    return {name: _plain(getattr(config, name)) for name in HALL_SHAPING}


def with_hall_settings(config: HallConfig, settings: Mapping[str, Any]) -> HallConfig:
    """``config`` with the hall-shaping settings :func:`hall_settings` returned."""
    staffing = dict(settings["staffing"])
    staffing["minimums"] = tuple(Minimum(**m) for m in staffing.get("minimums", ()))
    return replace(
        config,
        timezone=settings["timezone"],
        services=tuple(ServiceConfig(**s) for s in settings["services"]),
        windows=tuple(WindowConfig(
            id=w["id"],
            services=None if w.get("services") is None else tuple(w["services"]),
            hours=None if w.get("hours") is None else tuple((int(a), int(b)) for a, b in w["hours"]))
            for w in settings["windows"]),
        alerts=AlertSettings(**settings["alerts"]),
        staffing=StaffingSettings(**staffing))


def changed_settings(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Which hall-shaping settings differ, as dotted names (``alerts.care_second_min``, ``windows``)."""
    changed = []
    for name in HALL_SHAPING:
        a, b = old.get(name), new.get(name)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            changed += [f"{name}.{key}" for key in sorted(a.keys() | b.keys()) if a.get(key) != b.get(key)]
        else:
            changed.append(name)
    return changed


def _plain(value: Any) -> Any:
    """Dataclasses and tuples as the dicts and lists JSON gives back."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
