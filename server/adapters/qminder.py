"""The Qminder adapter: its ticket webhooks as WaitWell events, and its signature check.

Written from Qminder's published webhook documentation (developer.qminder.com, "Webhooks
overview" and "Tickets"): a POST of ``{"type": ..., "data": TICKET}`` signed in the header
``X-Qminder-Signature`` with hex HMAC-SHA256 over the webhook URL followed by the body.

Pure: the shell passes the raw body, the URL, the secret and ``now``. Names, phone numbers
and e-mails in the ticket are never read, so they cannot leave the adapter.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..events import EventType, QueueEvent
from .core import AdapterError, SourceMap, build_event, content_id, lookup, source_time


__all__ = ["QminderConfig", "QminderState", "translate", "signature", "signature_ok", "HANDLED"]

HANDLED = ("ticket_created", "ticket_called", "ticket_recalled", "ticket_served", "ticket_cancelled",
           "ticket_changed")
"""The webhook types that become WaitWell events; location/line changes are acknowledged and ignored."""

_IGNORED = ("location_created", "location_changed", "line_changed")

# type -> (WaitWell type, where the payload's own time for it sits, in order of preference)
_SIMPLE: dict[str, tuple[EventType, tuple[str, ...]]] = {
    "ticket_created": (EventType.TICKET_ISSUED, ("data.created.date",)),
    "ticket_called": (EventType.TICKET_CALLED, ("data.called.date",)),
    "ticket_recalled": (EventType.TICKET_RECALLED, ("data.recalled.date",)),
    "ticket_served": (EventType.TICKET_SERVED, ("data.served.date",)),
    "ticket_cancelled": (EventType.TICKET_CANCELLED, ("data.cancelled.date",)),
}


@dataclass(frozen=True)
class QminderConfig:
    """ADAPTER.yaml of a Qminder location: its lines (services) and desks (windows), the webhook secret."""

    secret: str
    source: SourceMap = field(default_factory=SourceMap)
    webhook_url: str | None = None
    """The URL registered at Qminder (what it signs); None: the URL the request came to."""


MEMORY_LIMIT = 20_000
"""Tickets whose line is remembered: a busy hall's several days, the oldest forgotten first."""


@dataclass
class QminderState:
    """The line each ticket was last seen in: ``ticket_changed`` carries the whole ticket, not what
    changed, so a transfer is told from an edit by comparing lines. The shell keeps it in a
    file beside the spool, so a restart forgets nothing."""

    lines: dict[str, str] = field(default_factory=dict)

    def remember(self, ticket: str, line: str) -> None:
        self.lines.pop(ticket, None)
        self.lines[ticket] = line
        while len(self.lines) > MEMORY_LIMIT:
            del self.lines[next(iter(self.lines))]


def signature(secret: str, url: str, body: bytes) -> str:
    """Qminder's ``X-Qminder-Signature`` for ``body`` posted to ``url``."""
    return hmac.new(secret.encode(), url.encode() + body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, url: str, body: bytes, header: str | None) -> bool:
    """True when ``header`` is the signature of ``body`` at ``url`` (constant-time compare)."""
    if not header:
        return False
    return hmac.compare_digest(signature(secret, url, body), header.strip().lower())


def translate(obj: Any, config: QminderConfig, state: QminderState, now: str) -> list[QueueEvent]:
    """One webhook as WaitWell events: one, or none for a change WaitWell does not show.

    The event id is ``qminder:<type>:<ticket id>:<the payload's time>``, or a digest of the
    payload when it has no time for this event, so a redelivered webhook is a duplicate.

    Raises:
        AdapterError: an unknown type, an unmapped line or desk, a missing field.
    """
    if not isinstance(obj, Mapping):
        raise AdapterError("not_an_object", "a Qminder webhook must be a JSON object")
    kind = obj.get("type")
    if not isinstance(kind, str):
        raise AdapterError("missing_field", "the webhook has no 'type'")
    if kind in _IGNORED:
        return []
    if kind not in HANDLED:
        raise AdapterError("unknown_type", f"Qminder webhook type {kind[:40]!r} is not handled "
                           f"(handled: {', '.join(HANDLED)})", kind[:40])
    data = obj.get("data")
    if not isinstance(data, Mapping):
        raise AdapterError("missing_field", "the webhook has no 'data' object")
    ticket_id = data.get("id")
    if ticket_id is None or isinstance(ticket_id, (bool, dict, list)):
        raise AdapterError("missing_field", "field 'data.id' (the ticket id) is missing")
    ticket_key = str(ticket_id)
    label = data.get("publicId") if data.get("publicId") not in (None, "") else ticket_id
    sources = {"ticket": "data.publicId", "service": "data.line", "window": "data.called.desk"}
    values: dict[str, Any] = {"ticket": label}
    src = config.source
    time_paths: tuple[str, ...]

    if kind == "ticket_changed":
        status = data.get("status")
        line = data.get("line")
        if status == "NOSHOW":
            event_type, time_paths = EventType.TICKET_NO_SHOW, ("data.noshow.date",)
        elif line is not None and ticket_key in state.lines and state.lines[ticket_key] != str(line):
            event_type, time_paths = EventType.TICKET_TRANSFERRED, ()
            values["service"] = src.service(line, "field 'data.line'")
        else:
            if line is not None:
                state.remember(ticket_key, str(line))
            return []
    else:
        event_type, time_paths = _SIMPLE[kind]
        if event_type in (EventType.TICKET_ISSUED,) and data.get("line") is not None:
            values["service"] = src.service(data["line"], "field 'data.line'")
        if event_type in (EventType.TICKET_CALLED, EventType.TICKET_RECALLED, EventType.TICKET_SERVED):
            desk = lookup(data, "called.desk")
            if desk is not None:
                values["window"] = src.window(desk, "field 'data.called.desk'")

    stamp = next((v for p in time_paths if (v := lookup(obj, p)) is not None), None)
    if stamp is not None:
        at = source_time(stamp, src.timezone, "the webhook's time")
        event_id = f"qminder:{kind}:{ticket_key}:{stamp}"
    else:
        at = now
        event_id = content_id(f"qminder:{kind}:{ticket_key}", obj)
    event = build_event(event_id[:128], event_type, at, values, sources)
    # Only a translated change moves the remembered line, so one refused above is seen again.
    if data.get("line") is not None and kind != "ticket_cancelled":
        state.remember(ticket_key, str(data["line"]))
    return [event]
