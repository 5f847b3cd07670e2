"""Queue events: the wire format the hall's queue system sends, parsed and validated."""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .errors import InvalidEvent


__all__ = [
    "EventType",
    "QueueEvent",
    "parse_event",
    "fields_of",
    "parse_json",
    "text_problem",
    "MAX_ID_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_JSON_DEPTH",
    "EARLIEST_AT",
    "LATEST_AT",
]

MAX_ID_LENGTH = 128
"""Longest accepted event id; longer ones are someone's bug, not a real id."""

MAX_NAME_LENGTH = 64
"""Longest accepted ticket label, service id or window id."""

MAX_SERVICES = 64
"""Most services one window.opened may list."""

MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays and objects accepted; an event needs 3 (a POSTed array of events
with a services list). The decoder recurses per level, so thousands of levels would exhaust
the stack."""

EARLIEST_AT = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST_AT = datetime(9999, 1, 1, tzinfo=timezone.utc)
"""An event's ``at`` lies in [EARLIEST_AT, LATEST_AT): a year of margin on either side, so the
time converts to any zone and the hall can add a day or a review interval without overflow."""

_ESCAPE = re.compile(r"\\.", re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f]")
_UNSHOWABLE = re.compile("[\x00-\x1f\ud800-\udfff]")
"""Either problem: one C-speed scan finds that a name has neither (nearly always)."""


class EventType(enum.StrEnum):
    """The ``type`` of a queue event."""

    TICKET_ISSUED = "ticket.issued"
    TICKET_CALLED = "ticket.called"
    TICKET_RECALLED = "ticket.recalled"
    TICKET_SERVED = "ticket.served"
    TICKET_NO_SHOW = "ticket.no_show"
    TICKET_CANCELLED = "ticket.cancelled"
    TICKET_TRANSFERRED = "ticket.transferred"
    WINDOW_OPENED = "window.opened"
    WINDOW_CLOSED = "window.closed"
    CLOCK_TICK = "clock.tick"
    HALL_RESET = "hall.reset"


# (required fields, optional fields) beyond id/type/at. A field's kind is fixed by name.
_FIELDS: dict[EventType, tuple[tuple[str, ...], tuple[str, ...]]] = {
    EventType.TICKET_ISSUED: (("ticket", "service"), ("priority",)),
    EventType.TICKET_CALLED: (("ticket", "window"), ()),
    EventType.TICKET_RECALLED: (("ticket", "window"), ()),
    EventType.TICKET_SERVED: (("ticket",), ("window",)),
    EventType.TICKET_NO_SHOW: (("ticket",), ()),
    EventType.TICKET_CANCELLED: (("ticket",), ()),
    EventType.TICKET_TRANSFERRED: (("ticket", "service"), ()),
    EventType.WINDOW_OPENED: (("window",), ("services",)),
    EventType.WINDOW_CLOSED: (("window",), ()),
    EventType.CLOCK_TICK: ((), ()),
    EventType.HALL_RESET: ((), ()),
}


def fields_of(event_type: EventType) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(required, optional) fields of ``event_type`` beyond id/type/at: what an adapter must fill."""
    return _FIELDS[event_type]


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueEvent:
    """One validated queue event.

    Attributes:
        id: the sender's unique event id (duplicates are acknowledged, not applied).
        type: what happened.
        at: when it happened, timezone-aware.
        ticket, service, window: the labels the type carries, else ``None``.
        priority: for ``ticket.issued``; ``False`` when absent.
        services: for ``window.opened``; ``None`` means every service.
    """

    id: str
    type: EventType
    at: datetime
    ticket: str | None = None
    service: str | None = None
    window: str | None = None
    priority: bool = False
    services: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the canonical wire form (what the journal stores)."""
        out: dict[str, Any] = {"id": self.id, "type": str(self.type), "at": self.at.isoformat()}
        for name in ("ticket", "service", "window"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.type is EventType.TICKET_ISSUED and self.priority:
            out["priority"] = True
        if self.services is not None:
            out["services"] = list(self.services)
        return out


def parse_json(text: str | bytes) -> Any:
    """Decode one JSON document, turning decoder errors into :class:`InvalidEvent`.

    Raises:
        InvalidEvent: ``invalid_json``, also for nesting deeper than :data:`MAX_JSON_DEPTH`.
    """
    try:
        if isinstance(text, (bytes, bytearray)):
            text = text.decode(json.detect_encoding(text), "surrogatepass")
        _check_depth(text)
        return json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidEvent("invalid_json", f"not valid JSON: {exc}") from None


def _check_depth(text: str) -> None:
    # Counting brackets is a C-speed pass; only text with many of them gets the exact scan.
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return
    depth = deepest = 0
    # Valid JSON has escapes only inside strings; without them every quote opens or closes a
    # string, so the even pieces between quotes are the structure (linear time, no backtracking).
    outside = _ESCAPE.sub("", text).split('"')[::2]
    for bracket in _NOT_BRACKET.sub("", "".join(outside)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    if deepest > MAX_JSON_DEPTH:
        raise InvalidEvent("invalid_json",
                           f"not valid JSON: nested {deepest} deep; the limit is {MAX_JSON_DEPTH} levels")


def parse_event(obj: Any) -> QueueEvent:
    """Validate a decoded JSON value as a queue event.

    Unknown extra fields are ignored so that senders can add their own.

    Raises:
        InvalidEvent: naming the first problem found.
    """
    if not isinstance(obj, Mapping):
        raise InvalidEvent("not_an_object", f"an event must be a JSON object, got {_kind(obj)}")
    event_id = _label(obj, "id", MAX_ID_LENGTH)
    raw_type = obj.get("type")
    if not isinstance(raw_type, str):
        raise InvalidEvent("missing_field" if raw_type is None else "invalid_field",
                           "field 'type' must be a string naming the event type")
    try:
        event_type = EventType(raw_type)
    except ValueError:
        raise InvalidEvent("unknown_type", f"unknown event type {_short(raw_type)!r}") from None
    at = _timestamp(obj)
    required, optional = _FIELDS[event_type]
    fields: dict[str, Any] = {}
    for name in required:
        fields[name] = _field(obj, name)
    for name in optional:
        if obj.get(name) is not None:
            fields[name] = _field(obj, name)
    return QueueEvent(id=event_id, type=event_type, at=at, **fields)


def _field(obj: Mapping[str, Any], name: str) -> Any:
    if name == "priority":
        value = obj.get(name)
        if not isinstance(value, bool):
            raise InvalidEvent("invalid_field", f"field 'priority' must be true or false, got {_kind(value)}")
        return value
    if name == "services":
        value = obj.get(name)
        if not isinstance(value, list) or len(value) > MAX_SERVICES:
            raise InvalidEvent("invalid_field",
                               f"field 'services' must be a list of at most {MAX_SERVICES} service ids")
        items = []
        for item in value:
            if not isinstance(item, str) or not item.strip() or len(item) > MAX_NAME_LENGTH:
                raise InvalidEvent("invalid_field",
                                   f"field 'services' must hold non-empty strings of at most {MAX_NAME_LENGTH} characters")
            items.append(_clean_text("services", item.strip()))
        return tuple(dict.fromkeys(items))
    return _label(obj, name, MAX_NAME_LENGTH)


def _label(obj: Mapping[str, Any], name: str, limit: int) -> str:
    value = obj.get(name)
    if value is None:
        raise InvalidEvent("missing_field", f"missing field {name!r}")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidEvent("invalid_field", f"field {name!r} must be a string, got {_kind(value)}")
    # Some queue systems send window numbers as integers; the label is the same.
    text = str(value).strip()
    if not text:
        raise InvalidEvent("invalid_field", f"field {name!r} must not be empty")
    if len(text) > limit:
        raise InvalidEvent("field_too_long", f"field {name!r} is {len(text)} characters long; the limit is {limit}")
    return _clean_text(name, text)


def text_problem(text: str) -> str | None:
    """Say why ``text`` cannot be a name shown on screens and tablets, or ``None`` if it can."""
    if not _UNSHOWABLE.search(text):
        return None
    if _CONTROL.search(text):
        return "contains control characters"
    # A \ud800 escape decodes to a lone surrogate, which has no UTF-8 form: screens, tablets
    # and the journal could not carry it.
    if _SURROGATE.search(text):
        return "contains a lone surrogate (not valid Unicode text)"
    return None


def _clean_text(name: str, text: str) -> str:
    problem = text_problem(text)
    if problem is not None:
        raise InvalidEvent("invalid_field", f"field {name!r} {problem}")
    return text


def _timestamp(obj: Mapping[str, Any]) -> datetime:
    value = obj.get("at")
    if value is None:
        raise InvalidEvent("missing_field", "missing field 'at'")
    if not isinstance(value, str):
        raise InvalidEvent("invalid_field", f"field 'at' must be an ISO-8601 string, got {_kind(value)}")
    if len(value) > 64:
        raise InvalidEvent("field_too_long", "field 'at' is too long for a timestamp")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidEvent("invalid_timestamp", f"field 'at' is not an ISO-8601 timestamp: {value!r}") from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidEvent("naive_timestamp",
                           f"field 'at' must carry a UTC offset (e.g. +08:00 or Z): {value!r}")
    try:
        in_range = EARLIEST_AT <= at.astimezone(timezone.utc) < LATEST_AT
    except OverflowError:  # before year 1 or after 9999 once converted to UTC
        in_range = False
    if not in_range:
        raise InvalidEvent("invalid_timestamp",
                           f"field 'at' is out of range (years {EARLIEST_AT.year}-{LATEST_AT.year - 1}, UTC): "
                           f"{value!r}")
    return at


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
