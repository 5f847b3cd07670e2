"""What every adapter shares: the error it raises, the mapping of source ids, times and event ids.

Pure: standard library only, no sockets, clocks or disks; the shell passes ``now`` in.
"""

from __future__ import annotations

import hashlib
import json
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import InvalidEvent
from ..events import EventType, QueueEvent, fields_of, parse_event


__all__ = ["AdapterError", "SourceMap", "lookup", "source_time", "content_id", "build_event"]

_NAIVE = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?$")


class AdapterError(Exception):
    """A source event the adapter cannot translate; nothing is forwarded for it.

    Attributes:
        code: ``unknown_type``, ``unmapped_service``, ``unmapped_window``, ``missing_field``,
            ``invalid_field``, ``invalid_time`` or ``not_an_object``.
        message: one sentence naming the field and, for a value, the value.
        value: the unmapped source value (for logging it once), else ``None``.
    """

    def __init__(self, code: str, message: str, value: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.value = code, message, value


@dataclass(frozen=True)
class SourceMap:
    """Source ids onto the hall's: ``services`` and ``windows`` (empty: the source already uses the hall's ids)."""

    timezone: str = "Asia/Shanghai"
    services: Mapping[str, str] = field(default_factory=dict)
    windows: Mapping[str, str] = field(default_factory=dict)

    def service(self, value: Any, where: str) -> str:
        return _mapped(self.services, value, where, "service")

    def window(self, value: Any, where: str) -> str:
        return _mapped(self.windows, value, where, "window")


def _mapped(table: Mapping[str, str], value: Any, where: str, what: str) -> str:
    text = _text(value, where)
    if not table:
        return text
    if text not in table:
        raise AdapterError(f"unmapped_{what}", f"{where} {text!r} is not in the adapter config's "
                           f"'{what}s' map — add it (\"{text}\": <hall {what} id>)", text)
    return table[text]


def _text(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise AdapterError("invalid_field", f"{where} must be a string or an integer")
    return str(value)


def lookup(obj: Any, path: str) -> Any:
    """The value at dotted ``path`` in ``obj`` (``data.number``), or ``None`` when any step is absent."""
    for step in path.split("."):
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(step)
    return obj


def source_time(value: Any, zone: str, where: str) -> str:
    """An ISO 8601 time with offset; a naive "YYYY-MM-DD HH:MM:SS" is taken in ``zone`` (the hall's)."""
    if not isinstance(value, str):
        raise AdapterError("invalid_time", f"{where} must be a time string, got {type(value).__name__}")
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise AdapterError("invalid_time", f"{where} is not an ISO 8601 time or 'YYYY-MM-DD HH:MM:SS': "
                           f"{value[:40]!r}") from None
    if at.tzinfo is None:
        if not _NAIVE.match(text):
            raise AdapterError("invalid_time", f"{where} is not an ISO 8601 time: {value[:40]!r}")
        # fold=0: in a repeated hour (a DST fall-back) the first occurrence, as a dispenser's log reads.
        at = at.replace(tzinfo=zoneinfo.ZoneInfo(zone))
    return at.isoformat()


def content_id(prefix: str, obj: Any) -> str:
    """An id derived from the content: the same payload redelivered gives the same id."""
    canonical = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return f"{prefix}:{hashlib.sha256(canonical.encode('utf-8', 'surrogatepass')).hexdigest()[:32]}"


def build_event(event_id: str, event_type: EventType, at: str, values: Mapping[str, Any],
                where: Mapping[str, str]) -> QueueEvent:
    """The WaitWell event, validated exactly as the server will (``parse_event``).

    ``values`` holds the hall's ticket/service/window; ``where`` names each one's source field
    so that a missing one is reported as the source calls it.
    """
    required, optional = fields_of(event_type)
    obj: dict[str, Any] = {"id": event_id, "type": str(event_type), "at": at}
    for name in required:
        if values.get(name) is None:
            raise AdapterError("missing_field", f"{event_type} needs {name!r}: the source field "
                               f"{where.get(name, name)!r} is missing")
        obj[name] = values[name]
    for name in optional:
        if values.get(name) is not None:
            obj[name] = values[name]
    try:
        return parse_event(obj)
    except InvalidEvent as exc:
        raise AdapterError("invalid_field", exc.message) from None
