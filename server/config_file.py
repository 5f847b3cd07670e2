"""The hall config file: YAML in, :class:`~server.config.HallConfig` out, errors that name the line.

The shell side of the settings: commands and tests read files with it; the pure hall gets
the dataclasses of config.py only.

A hall.yaml written by hand is refused rather than half-read: an unknown key (with the nearest
valid one), a key given twice, duplicate ids, prefixes, PINs or names, a window serving a
service nobody defined and a PIN YAML reads as a number are errors of one line,
``FILE:LINE: where: what is wrong — what to do``. docs/config.md lists the keys and checks.
"""

from __future__ import annotations

import difflib
import math
import zoneinfo
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError

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


__all__ = ["DEFAULT_CONFIG_PATH", "KEYS", "load_config", "parse_config"]

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parents[1] / "content" / "hall.yaml"
"""The sample hall, used when no --config is given."""

_ALERT_KEYS = ("care_first_min", "care_second_min", "open_windows_per_window",
               "open_windows_clear_per_window", "care_soon_probability")

KEYS: dict[str, tuple[str, ...]] = {
    "": ("hall", "services", "windows", "alerts", "staffing", "tokens", "staff", "data_dir", "phone", "hq",
         "keep_days", "trusted_network"),
    "hall": ("id", "name", "name_en", "timezone"),
    "services[]": ("id", "prefix", "name", "name_en", "mean_service_s", "cv"),
    "windows[]": ("id", "services", "hours"),
    "alerts": _ALERT_KEYS,
    "staffing": ("enabled", "target_wait_min", "target_share", "close_after_min", "arrival_window_min",
                 "lookahead_min", "minimums"),
    "staffing.minimums[]": ("from", "to", "windows", "share"),
    "tokens": ("queue", "staff", "display"),
    "staff": ("pins",),
    "phone": ("almost_at",),
    "hq": ("url", "hall_id", "token"),
}
"""The valid keys of each mapping of the file (``[]``: every item of that list); a new setting is added here."""


def load_config(path: str | Path | None = None) -> HallConfig:
    """Read a hall config file; ``None`` reads the sample hall.

    A relative ``data_dir`` is taken relative to the file's folder, so the hall finds its
    journal and tokens wherever it is started from.

    Raises:
        ConfigError: the file is missing, not YAML, or a field is wrong; one line naming file and line.
    """
    path = Path(path) if path is not None else DEFAULT_CONFIG_PATH
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text — save the config as UTF-8") from None
    data = _load_yaml(text, str(path))
    if data is None:
        raise ConfigError(f"{path}: the config is empty — start from content/hall.yaml")
    config = parse_config(data, source=str(path))
    if config.data_dir is not None:
        data_dir = Path(config.data_dir).expanduser()
        config = replace(config, data_dir=str(data_dir if data_dir.is_absolute()
                                              else (path.parent / data_dir).resolve()))
    return config


def parse_config(data: Any, *, source: str = "config") -> HallConfig:
    """Build a :class:`HallConfig` from decoded YAML (or plain data, then errors have no line).

    Raises:
        ConfigError: naming ``source``, the line when known and the dotted path of the wrong field.
    """
    reader = _Reader(source)
    reader.no_duplicate_keys(data, "")
    root = reader.mapping(data, "")
    hall = reader.mapping(root.get("hall", {}), "hall", root, "hall")
    timezone = reader.string(hall, "hall.timezone", "timezone", "Asia/Shanghai")
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise reader.fail("hall.timezone", f"unknown time zone {timezone!r} — use an IANA name such as "
                          "'Asia/Shanghai'", hall, "timezone") from None

    services = _services(reader, root)
    windows = _windows(reader, root, services)
    raw_alerts = reader.mapping(root.get("alerts", {}), "alerts", root, "alerts")
    defaults = AlertSettings()
    alerts = AlertSettings(**{name: reader.number(raw_alerts, f"alerts.{name}", name, getattr(defaults, name))
                              for name in _ALERT_KEYS})
    if not 0 < alerts.care_first_min < alerts.care_second_min:
        raise reader.fail("alerts", "need 0 < care_first_min < care_second_min", raw_alerts, "care_first_min")
    if not 0 < alerts.open_windows_clear_per_window <= alerts.open_windows_per_window:
        raise reader.fail("alerts", "need 0 < open_windows_clear_per_window <= open_windows_per_window",
                          raw_alerts, "open_windows_clear_per_window")
    if not 0 <= alerts.care_soon_probability < 1:
        raise reader.fail("alerts.care_soon_probability", "must be at least 0 (off) and below 1",
                          raw_alerts, "care_soon_probability")
    staffing = _staffing(reader, root.get("staffing", {}) or {}, alerts, root)

    tokens = reader.mapping(root.get("tokens", {}) or {}, "tokens", root, "tokens")
    staff = reader.mapping(root.get("staff", {}) or {}, "staff", root, "staff")
    pins = _pins(reader, staff)
    phone = reader.mapping(root.get("phone", {}) or {}, "phone", root, "phone")
    almost_at = reader.number(phone, "phone.almost_at", "almost_at", 3)
    if almost_at != int(almost_at) or not 0 <= almost_at <= 50:
        raise reader.fail("phone.almost_at", "must be a whole number of people from 0 to 50", phone, "almost_at")
    data_dir = root.get("data_dir")
    if data_dir is not None and not isinstance(data_dir, str):
        raise reader.fail("data_dir", "must be a path string", root, "data_dir")
    hq = reader.mapping(root.get("hq", {}) or {}, "hq", root, "hq")
    hq_url = reader.optional_string(hq, "hq.url", "url")
    if hq_url is not None and not hq_url.startswith(("http://", "https://")):
        raise reader.fail("hq.url", f"{hq_url!r} is not an http:// or https:// address of head office", hq, "url")
    trusted_network = root.get("trusted_network", False)
    if not isinstance(trusted_network, bool):
        raise reader.fail("trusted_network", f"must be true or false, got {trusted_network!r}", root, "trusted_network")
    keep_days = reader.number(root, "keep_days", "keep_days", 90.0)
    if keep_days <= 0:
        raise reader.fail("keep_days", "must be a positive number of days", root, "keep_days")

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
        phone_almost_at=int(almost_at),
        hq_url=hq_url,
        hq_hall_id=reader.optional_string(hq, "hq.hall_id", "hall_id"),
        hq_token=reader.optional_string(hq, "hq.token", "token"),
        keep_days=keep_days,
        trusted_network=trusted_network,
    )


def _services(reader: "_Reader", root: Mapping[str, Any]) -> list[ServiceConfig]:
    services: list[ServiceConfig] = []
    first_line: dict[str, int | None] = {}
    prefixes: dict[str, tuple[str, int | None]] = {}
    raw_list = reader.sequence(root.get("services", []), "services", root, "services")
    for i, raw in enumerate(raw_list):
        where = f"services[{i}]"
        item = reader.mapping(raw, where, raw_list, i, keys="services[]")
        service_id = _unique_id(reader, item, where, "service", first_line)
        mean = reader.number(item, f"{where}.mean_service_s", "mean_service_s", DEFAULT_SERVICE_MEAN_S)
        if mean <= 0:
            raise reader.fail(f"{where}.mean_service_s", "must be positive", item, "mean_service_s")
        cv = None
        if item.get("cv") is not None:
            cv = reader.number(item, f"{where}.cv", "cv", 0.0)
            if cv <= 0:
                raise reader.fail(f"{where}.cv", "must be positive, e.g. 0.4", item, "cv")
        prefix = reader.string(item, f"{where}.prefix", "prefix")
        if prefix in prefixes:
            owner, owner_line = prefixes[prefix]
            raise reader.fail(f"{where}.prefix", f"prefix {prefix!r} is already service {owner!r}'s"
                              f"{_first(owner_line, 'line')} — give each service its own ticket prefix",
                              item, "prefix")
        prefixes[prefix] = (service_id, _line(item, "prefix"))
        services.append(ServiceConfig(
            id=service_id,
            name=reader.string(item, f"{where}.name", "name", service_id),
            name_en=reader.string(item, f"{where}.name_en", "name_en", service_id),
            prefix=prefix,
            mean_service_s=mean,
            cv=cv,
        ))
    return services


def _windows(reader: "_Reader", root: Mapping[str, Any], services: list[ServiceConfig]) -> list[WindowConfig]:
    known = [s.id for s in services]
    windows: list[WindowConfig] = []
    first_line: dict[str, int | None] = {}
    raw_list = reader.sequence(root.get("windows", []), "windows", root, "windows")
    for i, raw in enumerate(raw_list):
        where = f"windows[{i}]"
        item = reader.mapping(raw, where, raw_list, i, keys="windows[]")
        window_id = _unique_id(reader, item, where, "window", first_line)
        window_services = None
        if item.get("services") is not None:
            listed = reader.sequence(item["services"], f"{where}.services", item, "services")
            names = []
            for j, name in enumerate(listed):
                if not isinstance(name, str):
                    raise reader.fail(f"{where}.services", "must be a list of service ids", listed, j)
                if name not in known:
                    raise reader.fail(f"{where}.services", f"no service {name!r} — {_suggest(name, known)}",
                                      listed, j)
                names.append(name)
            window_services = tuple(names)
        hours = None
        if item.get("hours") is not None:
            spans = reader.sequence(item["hours"], f"{where}.hours", item, "hours")
            hours = tuple(reader.hours(_text(spans, j), f"{where}.hours[{j}]", spans, j) for j in range(len(spans)))
        windows.append(WindowConfig(id=window_id, services=window_services, hours=hours))
    return windows


def _suggest(name: str, known: list[str]) -> str:
    """What to write instead of service ``name``: the nearest defined id, else where services come from."""
    if not known:
        return "define it under services first"
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f"did you mean {close[0]!r}? (services: {', '.join(known)})"
    return f"define it under services, or use one of: {', '.join(known)}"


def _pins(reader: "_Reader", staff: Mapping[str, Any]) -> dict[str, str]:
    raw = reader.mapping(staff.get("pins", {}) or {}, "staff.pins", staff, "pins", keys=None)
    pins: dict[str, str] = {}
    named: dict[str, int | None] = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            written = _key_text(raw, key)
            if isinstance(key, bool) or key is None:
                read_as = "null" if key is None else str(key).lower()
            elif isinstance(key, (int, float)):
                read_as = f"the number {key}" if written != str(key) else "a number"
            else:
                read_as = f"a {type(key).__name__}"
            raise reader.fail("staff.pins", f"PIN {written} (YAML reads it as {read_as})"
                              f" — write PINs in quotes: '{written}'", raw, key)
        pin = key.strip()
        if not pin:
            raise reader.fail("staff.pins", "a PIN is empty — write each PIN in quotes, e.g. '2468'", raw, key)
        if pin in pins:
            raise reader.fail("staff.pins", f"PIN {pin!r} is given twice — give each person their own PIN", raw, key)
        name = reader.string(raw, f"staff.pins.{pin}", key)
        if name in named:
            raise reader.fail("staff.pins", f"{name!r} already has a PIN{_first(named[name], 'line')}"
                              " — give each person one PIN and their own name", raw, key)
        named[name] = _line(raw, key)
        pins[pin] = name
    return pins


def _staffing(reader: "_Reader", raw: Any, alerts: AlertSettings, root: Mapping[str, Any]) -> StaffingSettings:
    item = reader.mapping(raw, "staffing", root, "staffing")
    target_wait = reader.number(item, "staffing.target_wait_min", "target_wait_min", alerts.care_first_min)
    share = reader.number(item, "staffing.target_share", "target_share", 0.05)
    close_after = reader.number(item, "staffing.close_after_min", "close_after_min", 10.0)
    window = reader.number(item, "staffing.arrival_window_min", "arrival_window_min", 15.0)
    lookahead = reader.number(item, "staffing.lookahead_min", "lookahead_min", 30.0)
    if target_wait <= 0:
        raise reader.fail("staffing.target_wait_min", "must be positive", item, "target_wait_min")
    if not 0 < share < 1:
        raise reader.fail("staffing.target_share", "must be a share between 0 and 1, e.g. 0.05", item, "target_share")
    if close_after < 0 or window <= 0:
        raise reader.fail("staffing", "close_after_min must be >= 0 and arrival_window_min > 0", item,
                          "close_after_min" if close_after < 0 else "arrival_window_min")
    if lookahead < 0:
        raise reader.fail("staffing.lookahead_min", "must be 0 (off) or a number of minutes", item, "lookahead_min")
    minimums = []
    raw_list = reader.sequence(item.get("minimums", []) or [], "staffing.minimums", item, "minimums")
    for i, raw_min in enumerate(raw_list):
        where = f"staffing.minimums[{i}]"
        entry = reader.mapping(raw_min, where, raw_list, i, keys="staffing.minimums[]")
        span = (f"{reader.string(entry, f'{where}.from', 'from')}-"
                f"{reader.string(entry, f'{where}.to', 'to')}")
        start, end = reader.hours(span, where, raw_list, i)
        if ("windows" in entry) == ("share" in entry):
            raise reader.fail(where, "give either 'windows' (a count) or 'share' (e.g. 0.5 for half)", raw_list, i)
        if "windows" in entry:
            count = reader.number(entry, f"{where}.windows", "windows", 0)
            if count < 0 or count != int(count):
                raise reader.fail(f"{where}.windows", "must be a whole number of windows", entry, "windows")
            minimums.append(Minimum(from_s=start, to_s=end, windows=int(count)))
        else:
            part = reader.number(entry, f"{where}.share", "share", 0)
            if not 0 < part <= 1:
                raise reader.fail(f"{where}.share", "must be a share between 0 and 1", entry, "share")
            minimums.append(Minimum(from_s=start, to_s=end, share=part))
    enabled = item.get("enabled", True)
    if not isinstance(enabled, bool):
        raise reader.fail("staffing.enabled", f"must be true or false, got {enabled!r}", item, "enabled")
    return StaffingSettings(enabled=enabled, target_wait_min=target_wait, target_share=share, close_after_min=close_after,
                            arrival_window_min=window, lookahead_min=lookahead, minimums=tuple(minimums))


# --- YAML with lines ---------------------------------------------------------------------------

class _Map(dict[Any, Any]):
    """A YAML mapping that remembers, per key, its line and the text of key and value as written."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.lines: dict[Any, int] = {}
        self.key_texts: dict[Any, str] = {}
        self.value_texts: dict[Any, str] = {}
        self.duplicates: list[tuple[Any, int, int]] = []
        """(key, first line, repeated line) of every key given twice; the repeat's value is kept."""


class _Seq(list[Any]):
    """A YAML sequence that remembers each item's line and, for scalars, its text as written."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.lines: list[int] = []
        self.texts: list[str | None] = []


class _LineLoader(yaml.SafeLoader):
    """SafeLoader building _Map and _Seq, so that every error can name its line."""


def _scalar_text(node: yaml.Node) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> Iterator[_Map]:
    data = _Map(node.start_mark.line + 1)
    yield data
    # Merged keys (<<: *base) may be overridden; only keys written twice in this mapping clash.
    own = {id(key_node) for key_node, _ in node.value}
    written: dict[Any, int] = {}
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node)
        if not isinstance(key, Hashable):
            raise ConstructorError(None, None, "a key here cannot be a list or a mapping",
                                                    key_node.start_mark)
        line = key_node.start_mark.line + 1
        if id(key_node) in own:
            if key in written:
                data.duplicates.append((key, written[key], line))
            else:
                written[key] = line
        data.lines[key] = line
        data[key] = loader.construct_object(value_node)
        key_text, value_text = _scalar_text(key_node), _scalar_text(value_node)
        if key_text is not None:
            data.key_texts[key] = key_text
        if value_text is not None:
            data.value_texts[key] = value_text


def _construct_seq(loader: _LineLoader, node: yaml.SequenceNode) -> Iterator[_Seq]:
    data = _Seq(node.start_mark.line + 1)
    yield data
    for child in node.value:
        data.append(loader.construct_object(child))
        data.lines.append(child.start_mark.line + 1)
        data.texts.append(_scalar_text(child))


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def _load_yaml(text: str, source: str) -> Any:
    loader = _LineLoader(text)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        context = exc.context or ""
        if context and exc.context_mark is not None and exc.context_mark.line != getattr(mark, "line", None):
            context += f" started at line {exc.context_mark.line + 1}"
        what = ": ".join(part for part in (context, exc.problem) if part)
        raise ConfigError(f"{where}: not valid YAML: {what} — check the indentation and quoting on this line"
                          " or the one before") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {_one_line(str(exc))}") from None
    finally:
        loader.dispose()


def _unique_id(reader: "_Reader", item: Mapping[str, Any], where: str, kind: str,
               first_line: dict[str, int | None]) -> str:
    """The ``id`` of a service or window, refused when an earlier one has it (both lines named)."""
    item_id = reader.string(item, f"{where}.id", "id")
    if item_id in first_line:
        raise reader.fail(f"{where}.id", f"{kind} {item_id!r} is listed twice{_first(first_line[item_id])}"
                          f" — give each {kind} its own id", item, "id")
    first_line[item_id] = _line(item, "id")
    return item_id


def _line(container: Any, key: Any) -> int | None:
    """The line of ``key`` in a _Map (or of item ``key`` in a _Seq); None for plain data."""
    if isinstance(container, _Map):
        return container.lines.get(key, container.line)
    if isinstance(container, _Seq):
        return container.lines[key] if isinstance(key, int) and 0 <= key < len(container.lines) else container.line
    return None


def _text(container: Any, key: Any) -> Any:
    """The value at ``key`` as written, when YAML turned a scalar into something else (``010`` into 8)."""
    value = container[key]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(container, _Map) and key in container.value_texts:
            return container.value_texts[key]
        if isinstance(container, _Seq) and container.texts[key] is not None:
            return container.texts[key]
        return str(value)
    return value


def _key_text(mapping: Mapping[Any, Any], key: Any) -> str:
    return mapping.key_texts.get(key, str(key)) if isinstance(mapping, _Map) else str(key)


def _first(line: int | None, word: str = "first at line") -> str:
    return f" ({word} {line})" if line is not None else ""


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _Reader:
    """Typed field access that raises ConfigError with the source, the line and the dotted path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str, container: Any = None, key: Any = None) -> ConfigError:
        line = _line(container, key)
        at = f"{self.source}:{line}" if line is not None else self.source
        return ConfigError(_one_line(f"{at}: {where or 'top level'}: {message}"))

    def no_duplicate_keys(self, data: Any, where: str, seen: set[int] | None = None) -> None:
        """Refuse a key given twice anywhere in the file (PyYAML would silently keep the last).

        An alias is the same object as its anchor: each is checked once, so an anchor that holds
        itself ends and aliases of aliases do not multiply the walk.
        """
        seen = set() if seen is None else seen
        if isinstance(data, (_Map, list)):
            if id(data) in seen:
                return
            seen.add(id(data))
        if isinstance(data, _Map):
            for key, first, line in data.duplicates:
                if where == "staff.pins":
                    raise ConfigError(f"{self.source}:{line}: staff.pins: PIN {_key_text(data, key)!r} is given "
                                      f"twice (first at line {first}) — give each person their own PIN")
                raise ConfigError(f"{self.source}:{line}: key {_key_text(data, key)!r} is given twice "
                                  f"{_place(where)} (first at line {first}) — keep one")
            for key, value in data.items():
                self.no_duplicate_keys(value, f"{where}.{key}" if where else str(key), seen)
        elif isinstance(data, list):
            for i, value in enumerate(data):
                self.no_duplicate_keys(value, f"{where}[{i}]", seen)

    def mapping(self, value: Any, where: str, container: Any = None, key: Any = None, *,
                keys: str | None = "") -> Mapping[Any, Any]:
        """``value`` as a mapping whose keys are all valid for ``keys`` (a KEYS entry; default ``where``)."""
        if not isinstance(value, Mapping):
            raise self.fail(where, "must be a mapping of names to values", container, key)
        valid = KEYS.get(where if keys == "" else keys) if keys is not None else None
        if valid is not None:
            for name in value:
                if name not in valid:
                    written = _key_text(value, name)
                    close = difflib.get_close_matches(written, valid, n=1)
                    hint = f"did you mean {close[0]!r}?" if close else f"the keys here are: {', '.join(valid)}"
                    at = _line(value, name)
                    raise ConfigError(f"{self.source}{f':{at}' if at is not None else ''}: unknown key "
                                      f"{written!r} {_place(where)} — {hint}")
        return value

    def sequence(self, value: Any, where: str, container: Any = None, key: Any = None) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(where, "must be a list", container, key)
        return value

    def string(self, item: Mapping[Any, Any], where: str, key: str, default: str | None = None) -> str:
        value = _text(item, key) if key in item else default
        if value is None:
            raise self.fail(where, "is required", item, key if key in item else None)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, "must be a non-empty string", item, key)
        return value.strip()

    def optional_string(self, item: Mapping[Any, Any], where: str, key: str) -> str | None:
        if item.get(key) is None:
            return None
        return self.string(item, where, key)

    def hours(self, value: Any, where: str, container: Any = None, key: Any = None) -> tuple[int, int]:
        if not isinstance(value, str):
            raise self.fail(where, f"must be a time range like '08:55-12:00', got {value!r}", container, key)
        try:
            return parse_hours(value)
        except ValueError as exc:
            raise self.fail(where, str(exc), container, key) from None

    def number(self, item: Mapping[Any, Any], where: str, key: str, default: float) -> float:
        value = item.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(where, f"must be a number, got {value!r}", item, key)
        if not math.isfinite(value):
            raise self.fail(where, f"must be a finite number, got {value!r}", item, key)
        return float(value)


def _place(where: str) -> str:
    return f"in {where}" if where else "at the top level"
