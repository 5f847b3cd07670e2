"""The Qmatic Orchestra adapter: its published events as WaitWell events, and the shared secret.

Written from the documented envelope of Orchestra's event publishing (github qmatic/orchestra-events,
``QPEvent.java`` and its README; event and parameter names from the Orchestra counter web app, as
summarised in the research notes, section 3.2): a POST of ``{"eventName", "eventTime",
"eventType", "unitId", "parameters"}`` per event, from the ``qp-events`` webhook (or the same
envelope over STOMP).

Pure: the shell passes the decoded body and ``now``. Only ``visitId``, ``ticket``, ``queueId``,
``servicePointId`` and ``branchId`` are read from ``parameters``: customer names, phone numbers,
e-mails and custom visit parameters are never read, so they cannot leave the adapter.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..events import EventType, QueueEvent
from .core import AdapterError, SourceMap, build_event, source_time


__all__ = ["OrchestraConfig", "translate", "secret_ok", "HANDLED", "SECRET_HEADER"]

SECRET_HEADER = "X-WaitWell-Secret"
"""The header a reverse proxy (or a sender that can set headers) puts the shared secret in."""

# eventName -> (WaitWell type, the parameter naming what the id is about)
_EVENTS: dict[str, EventType] = {
    "VISIT_CREATE": EventType.TICKET_ISSUED,
    "VISIT_CALL": EventType.TICKET_CALLED,
    "VISIT_END": EventType.TICKET_SERVED,
    "VISIT_NOSHOW": EventType.TICKET_NO_SHOW,
    "VISIT_REMOVE": EventType.TICKET_CANCELLED,
    "VISIT_TRANSFER_TO_QUEUE": EventType.TICKET_TRANSFERRED,
    "SERVICE_POINT_OPEN": EventType.WINDOW_OPENED,
    "SERVICE_POINT_CLOSE": EventType.WINDOW_CLOSED,
    "RESET": EventType.HALL_RESET,
}
HANDLED = tuple(_EVENTS)
"""The event names that become WaitWell events; every other public event is acknowledged and ignored."""

_SOURCES = {"ticket": "parameters.ticket", "service": "parameters.queueId",
            "window": "parameters.servicePointId"}


@dataclass(frozen=True)
class OrchestraConfig:
    """ADAPTER.yaml of an Orchestra branch: its queues (services), service points (windows), the secret.

    Attributes:
        secret: what every POST must carry (Basic auth password, the header, or ``?secret=``).
        branch: only this ``branchId``'s events are taken (one Orchestra serves many branches);
            ``None`` takes every branch.
    """

    secret: str
    source: SourceMap = field(default_factory=SourceMap)
    branch: str | None = None


def secret_ok(secret: str, authorization: str | None, header: str | None, query: str | None) -> bool:
    """True when one of the three carries ``secret`` (constant-time compare).

    ``qp-events`` registers a webhook by URL alone and sends no signature, so the secret rides
    in what a URL can hold (``https://waitwell:SECRET@host/`` as Basic auth, or ``?secret=``), or
    in :data:`SECRET_HEADER` added by a reverse proxy.
    """
    offered: list[str] = [v for v in (header, query) if v]
    if authorization and authorization[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        offered.append(decoded.partition(":")[2])
    want = secret.encode("utf-8")
    # Every candidate is compared, so the time taken does not tell which one was tried.
    results = [hmac.compare_digest(want, value.encode("utf-8")) for value in offered]
    return any(results)


def translate(obj: Any, config: OrchestraConfig, now: str) -> list[QueueEvent]:
    """One published event as WaitWell events: one, or none for an event WaitWell does not show.

    The id is ``orchestra:<visitId or servicePointId or branchId>:<eventName>:<eventTime>``:
    a redelivered event is a duplicate. ``now`` is unused for an event with its ``eventTime``
    (every documented one has it) and kept for the translators' common shape.

    Raises:
        AdapterError: an unmapped queue or service point, a missing field, a bad time.
    """
    del now
    if not isinstance(obj, Mapping):
        raise AdapterError("not_an_object", "an Orchestra event must be a JSON object")
    name = obj.get("eventName")
    if not isinstance(name, str) or not name:
        raise AdapterError("missing_field", "the event has no 'eventName'")
    params = obj.get("parameters")
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise AdapterError("invalid_field", "field 'parameters' must be an object")
    if name not in _EVENTS:
        return []
    if config.branch is not None and params.get("branchId") is not None \
            and str(params.get("branchId")) != config.branch:
        return []
    stamp = obj.get("eventTime")
    if stamp is None:
        raise AdapterError("missing_field", "field 'eventTime' is missing")
    at = source_time(stamp, config.source.timezone, "field 'eventTime'")
    event_type = _EVENTS[name]
    src = config.source
    values: dict[str, Any] = {}
    if name.startswith("VISIT_"):
        subject = _required(params, "visitId")
        values["ticket"] = params.get("ticket")
    elif name == "RESET":
        subject = str(params.get("branchId", obj.get("unitId") or "branch"))
    else:
        subject = "sp" + src.window(_required(params, "servicePointId"), "field 'parameters.servicePointId'")
    if event_type in (EventType.TICKET_ISSUED, EventType.TICKET_TRANSFERRED):
        queue = params.get("queueId")
        if queue is not None:
            values["service"] = src.service(queue, "field 'parameters.queueId'")
    if event_type in (EventType.TICKET_CALLED, EventType.TICKET_SERVED,
                      EventType.WINDOW_OPENED, EventType.WINDOW_CLOSED):
        point = params.get("servicePointId")
        if point is not None:
            values["window"] = src.window(point, "field 'parameters.servicePointId'")
    event_id = f"orchestra:{subject}:{name}:{stamp}"[:128]
    return [build_event(event_id, event_type, at, values, _SOURCES)]


def _required(params: Mapping[str, Any], key: str) -> str:
    value = params.get(key)
    if value is None or isinstance(value, (bool, dict, list)):
        raise AdapterError("missing_field", f"field 'parameters.{key}' is missing")
    return str(value)
