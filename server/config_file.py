"""The hall config file: YAML in, :class:`~server.config.HallConfig` out, errors that name the field.

The shell side of the settings: commands and tests read files with it; the pure hall gets
the dataclasses of config.py only.
"""

from __future__ import annotations

import math
import zoneinfo
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .config import (
    DEFAULT_SERVICE_MEAN_S,
    AlertSettings,
    HallConfig,
    Minimum,
    ServiceConfig,
    StaffingSettings,
    WindowConfig,
)
from .errors import ConfigError
from .window_plan import parse_hours


__all__ = ["DEFAULT_CONFIG_PATH", "load_config", "parse_config"]

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parents[1] / "content" / "hall.yaml"
"""The sample hall, used when no --config is given."""


def load_config(path: str | Path | None = None) -> HallConfig:
    """Read a hall config file; ``None`` reads the sample hall.

    Raises:
        ConfigError: the file is missing, not YAML, or a field is wrong.
    """
    path = Path(path) if path is not None else DEFAULT_CONFIG_PATH
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    return parse_config(data if data is not None else {}, source=str(path))


def parse_config(data: Any, *, source: str = "config") -> HallConfig:
    """Build a :class:`HallConfig` from decoded YAML.

    Raises:
        ConfigError: naming ``source`` and the dotted path of the wrong field.
    """
    reader = _Reader(source)
    root = reader.mapping(data, "")
    hall = reader.mapping(root.get("hall", {}), "hall")
    timezone = reader.string(hall, "hall.timezone", "timezone", "Asia/Shanghai")
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{source}: hall.timezone: unknown IANA time zone {timezone!r}") from None

    services = []
    seen: set[str] = set()
    for i, raw in enumerate(reader.sequence(root.get("services", []), "services")):
        where = f"services[{i}]"
        item = reader.mapping(raw, where)
        service_id = reader.string(item, f"{where}.id", "id")
        if service_id in seen:
            raise ConfigError(f"{source}: {where}.id: service {service_id!r} is listed twice")
        seen.add(service_id)
        mean = reader.number(item, f"{where}.mean_service_s", "mean_service_s", DEFAULT_SERVICE_MEAN_S)
        if mean <= 0:
            raise ConfigError(f"{source}: {where}.mean_service_s: must be positive")
        services.append(ServiceConfig(
            id=service_id,
            name=reader.string(item, f"{where}.name", "name", service_id),
            name_en=reader.string(item, f"{where}.name_en", "name_en", service_id),
            prefix=reader.string(item, f"{where}.prefix", "prefix", ""),
            mean_service_s=mean,
        ))

    windows = []
    for i, raw in enumerate(reader.sequence(root.get("windows", []), "windows")):
        where = f"windows[{i}]"
        item = reader.mapping(raw, where)
        window_services = item.get("services")
        if window_services is not None:
            listed = reader.sequence(window_services, f"{where}.services")
            if not all(isinstance(s, str) for s in listed):
                raise ConfigError(f"{source}: {where}.services: must be a list of service ids")
            window_services = tuple(listed)
        hours = None
        if item.get("hours") is not None:
            hours = tuple(reader.hours(span, f"{where}.hours[{j}]")
                          for j, span in enumerate(reader.sequence(item["hours"], f"{where}.hours")))
        windows.append(WindowConfig(id=reader.string(item, f"{where}.id", "id"), services=window_services,
                                    hours=hours))

    raw_alerts = reader.mapping(root.get("alerts", {}), "alerts")
    defaults = AlertSettings()
    alerts = AlertSettings(**{
        name: reader.number(raw_alerts, f"alerts.{name}", name, getattr(defaults, name))
        for name in ("care_first_min", "care_second_min", "open_windows_per_window",
                     "open_windows_clear_per_window", "care_soon_probability")
    })
    if not 0 < alerts.care_first_min < alerts.care_second_min:
        raise ConfigError(f"{source}: alerts: need 0 < care_first_min < care_second_min")
    if not 0 < alerts.open_windows_clear_per_window <= alerts.open_windows_per_window:
        raise ConfigError(f"{source}: alerts: need 0 < open_windows_clear_per_window <= open_windows_per_window")
    if not 0 <= alerts.care_soon_probability < 1:
        raise ConfigError(f"{source}: alerts.care_soon_probability: must be at least 0 (off) and below 1")
    staffing = _staffing(reader, root.get("staffing", {}) or {}, alerts)

    tokens = reader.mapping(root.get("tokens", {}) or {}, "tokens")
    staff = reader.mapping(root.get("staff", {}) or {}, "staff")
    pins_raw = reader.mapping(staff.get("pins", {}) or {}, "staff.pins")
    pins = {str(pin): str(name) for pin, name in pins_raw.items()}
    data_dir = root.get("data_dir")
    if data_dir is not None and not isinstance(data_dir, str):
        raise ConfigError(f"{source}: data_dir: must be a path string")

    return HallConfig(
        id=reader.string(hall, "hall.id", "id", "hall"),
        name=reader.string(hall, "hall.name", "name", "营业厅"),
        name_en=reader.string(hall, "hall.name_en", "name_en", "Service Hall"),
        timezone=timezone,
        services=tuple(services),
        windows=tuple(windows),
        alerts=alerts,
        staffing=staffing,
        queue_token=reader.optional_string(tokens, "tokens.queue", "queue"),
        staff_token=reader.optional_string(tokens, "tokens.staff", "staff"),
        display_token=reader.optional_string(tokens, "tokens.display", "display"),
        staff_pins=pins,
        data_dir=data_dir,
    )


def _staffing(reader: "_Reader", raw: Any, alerts: AlertSettings) -> StaffingSettings:
    item = reader.mapping(raw, "staffing")
    target_wait = reader.number(item, "staffing.target_wait_min", "target_wait_min", alerts.care_first_min)
    share = reader.number(item, "staffing.target_share", "target_share", 0.05)
    close_after = reader.number(item, "staffing.close_after_min", "close_after_min", 10.0)
    window = reader.number(item, "staffing.arrival_window_min", "arrival_window_min", 15.0)
    lookahead = reader.number(item, "staffing.lookahead_min", "lookahead_min", 30.0)
    if target_wait <= 0:
        raise reader.fail("staffing.target_wait_min", "must be positive")
    if not 0 < share < 1:
        raise reader.fail("staffing.target_share", "must be a share between 0 and 1, e.g. 0.05")
    if close_after < 0 or window <= 0:
        raise reader.fail("staffing", "close_after_min must be >= 0 and arrival_window_min > 0")
    if lookahead < 0:
        raise reader.fail("staffing.lookahead_min", "must be 0 (off) or a number of minutes")
    minimums = []
    for i, raw_min in enumerate(reader.sequence(item.get("minimums", []) or [], "staffing.minimums")):
        where = f"staffing.minimums[{i}]"
        entry = reader.mapping(raw_min, where)
        start, end = reader.hours(f"{reader.string(entry, f'{where}.from', 'from')}-"
                                  f"{reader.string(entry, f'{where}.to', 'to')}", where)
        if ("windows" in entry) == ("share" in entry):
            raise reader.fail(where, "give either 'windows' (a count) or 'share' (e.g. 0.5 for half)")
        if "windows" in entry:
            count = reader.number(entry, f"{where}.windows", "windows", 0)
            if count < 0 or count != int(count):
                raise reader.fail(f"{where}.windows", "must be a whole number of windows")
            minimums.append(Minimum(from_s=start, to_s=end, windows=int(count)))
        else:
            part = reader.number(entry, f"{where}.share", "share", 0)
            if not 0 < part <= 1:
                raise reader.fail(f"{where}.share", "must be a share between 0 and 1")
            minimums.append(Minimum(from_s=start, to_s=end, share=part))
    enabled = item.get("enabled", True)
    if not isinstance(enabled, bool):
        raise reader.fail("staffing.enabled", f"must be true or false, got {enabled!r}")
    return StaffingSettings(enabled=enabled, target_wait_min=target_wait, target_share=share, close_after_min=close_after,
                            arrival_window_min=window, lookahead_min=lookahead, minimums=tuple(minimums))


class _Reader:
    """Typed field access that raises ConfigError with the source and dotted path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> ConfigError:
        return ConfigError(f"{self.source}: {where or 'top level'}: {message}")

    def mapping(self, value: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(where, "must be a mapping of names to values")
        return value

    def sequence(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(where, "must be a list")
        return value

    def string(self, item: Mapping[str, Any], where: str, key: str, default: str | None = None) -> str:
        value = item.get(key, default)
        if value is None:
            raise self.fail(where, "is required")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, "must be a non-empty string")
        return value.strip()

    def optional_string(self, item: Mapping[str, Any], where: str, key: str) -> str | None:
        if item.get(key) is None:
            return None
        return self.string(item, where, key)

    def hours(self, value: Any, where: str) -> tuple[int, int]:
        if not isinstance(value, str):
            raise self.fail(where, f"must be a time range like '08:55-12:00', got {value!r}")
        try:
            return parse_hours(value)
        except ValueError as exc:
            raise self.fail(where, str(exc)) from None

    def number(self, item: Mapping[str, Any], where: str, key: str, default: float) -> float:
        value = item.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(where, f"must be a number, got {value!r}")
        if not math.isfinite(value):
            raise self.fail(where, f"must be a finite number, got {value!r}")
        return float(value)
