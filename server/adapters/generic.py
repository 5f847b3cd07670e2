"""The generic adapter: any queue machine that POSTs JSON, mapped by ADAPTER.yaml alone.

Pure: a decoded object in, WaitWell events out (or an :class:`AdapterError`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..events import EventType, QueueEvent, fields_of
from .core import AdapterError, SourceMap, build_event, content_id, lookup, source_time


__all__ = ["GenericConfig", "translate", "FIELD_NAMES"]

FIELD_NAMES = ("type", "ticket", "service", "window", "at", "id")
"""The keys of ADAPTER.yaml's ``fields``: where each value sits in the posted object."""


@dataclass(frozen=True)
class GenericConfig:
    """ADAPTER.yaml of a generic source.

    Attributes:
        fields: WaitWell field -> dotted path in the posted object (``type`` required).
        types: source type value -> WaitWell event type.
        source: SourceMap of timezone, services, windows.
    """

    fields: Mapping[str, str]
    types: Mapping[str, EventType]
    source: SourceMap = field(default_factory=SourceMap)


def translate(obj: Any, config: GenericConfig, now: str) -> QueueEvent:
    """One posted object as a WaitWell event.

    ``now`` (ISO with offset) is the time when the config maps no ``at``. The id is
    ``generic:<date of at>:<id value>``; without an ``id`` path it is derived from the
    object, so a redelivered POST is a duplicate.

    Raises:
        AdapterError: naming the source field or value that is wrong.
    """
    if not isinstance(obj, Mapping):
        raise AdapterError("not_an_object", "each posted event must be a JSON object")
    paths = config.fields
    raw_type = lookup(obj, paths["type"])
    if raw_type is None:
        raise AdapterError("missing_field", f"the type field {paths['type']!r} is missing")
    type_text = str(raw_type)
    if type_text not in config.types:
        raise AdapterError("unknown_type", f"type value {type_text[:40]!r} (field {paths['type']!r}) is not in "
                           f"the adapter config's 'types': known {sorted(config.types)}", type_text[:40])
    event_type = config.types[type_text]
    if "at" in paths:
        raw_at = lookup(obj, paths["at"])
        if raw_at is None:
            raise AdapterError("missing_field", f"the time field {paths['at']!r} is missing")
        at = source_time(raw_at, config.source.timezone, f"field {paths['at']!r}")
    else:
        at = now
    if "id" in paths:
        raw_id = lookup(obj, paths["id"])
        if raw_id is None or isinstance(raw_id, (bool, dict, list)):
            raise AdapterError("missing_field", f"the id field {paths['id']!r} is missing or not a value")
        # Dispensers restart their sequence each morning, and the server keeps ids for good:
        # the day makes yesterday's "seq 17" a different event from today's.
        event_id = f"generic:{at[:10]}:{raw_id}"
    else:
        event_id = content_id("generic", obj)
    values: dict[str, Any] = {}
    for name in ("ticket", "service", "window"):
        if name not in paths:
            continue
        raw = lookup(obj, paths[name])
        if raw is None or not _used(event_type, name):
            continue
        where = f"field {paths[name]!r}"
        if name == "service":
            values[name] = config.source.service(raw, where)
        elif name == "window":
            values[name] = config.source.window(raw, where)
        else:
            values[name] = raw
    return build_event(event_id, event_type, at, values, paths)


def _used(event_type: EventType, name: str) -> bool:
    # A dispenser may put a counter number on every message; only map what the event carries,
    # or an unmapped kiosk number would refuse a good ticket.issued.
    required, optional = fields_of(event_type)
    return name in required or name in optional
