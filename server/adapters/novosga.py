"""The Novo SGA adapter: its thin Mercure updates name an attendance; its REST record says what happened.

Written from Novo SGA's source (github novosga/novosga, MIT): ``src/Service/AtendimentoService.php``
publishes ``{"id": <attendance id>}`` to ``/atendimentos`` (a new ticket) and
``/atendimentos/{id}`` (a call, start, end, no-show, cancel, transfer), and
``{"originalId", "novoId"}`` on a redirect; ``/api/atendimentos/{id}`` returns the record
(``senha``, ``servico``, ``status``, ``dataChegada``, ``dataChamada``, ``dataFim``,
``numeroLocal``, ``prioridade``), its dates without an offset. As summarised in the research
notes, section 3.3.

Pure: the shell fetches the record and passes it with ``now``. ``cliente`` (name, document
number) and ``usuario`` are never read, so they cannot leave the adapter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..events import EventType, QueueEvent
from .core import AdapterError, SourceMap, build_event, lookup, source_time


__all__ = ["NovoSGAConfig", "wanted", "translate", "label", "DEFAULT_TOPICS", "STATUSES"]

DEFAULT_TOPICS = ("/atendimentos", "/atendimentos/{id}")
"""Every update on these names an attendance; ``/unidades/{u}/fila`` also carries a unit's id (a reset), so it is not read."""

# status -> (WaitWell type, the record's date for it); None: nothing WaitWell shows.
STATUSES: dict[str, tuple[EventType, str] | None] = {
    "emitida": (EventType.TICKET_ISSUED, "dataChegada"),
    "chamado": (EventType.TICKET_CALLED, "dataChamada"),
    "iniciado": None,       # service began: the hall already shows the ticket called at its window
    "encerrado": (EventType.TICKET_SERVED, "dataFim"),
    "nao_compareceu": (EventType.TICKET_NO_SHOW, "dataFim"),
    "cancelada": (EventType.TICKET_CANCELLED, "dataFim"),
    "erro_triagem": None,   # the original of a redirect; the new attendance carries the transfer
}

_SOURCES = {"ticket": "senha", "service": "servico.id", "window": "numeroLocal"}


@dataclass(frozen=True)
class NovoSGAConfig:
    """ADAPTER.yaml of a Novo SGA unit.

    Attributes:
        hub_url: the Mercure hub (``https://sga.example/.well-known/mercure``).
        api_url: the REST API base (``https://sga.example/api``): records at ``/atendimentos/{id}``.
        token: the OAuth2 bearer token for the API.
        unidade: only this unit's attendances are shown; ``None`` shows every unit's.
        hub_token: the Mercure subscriber JWT, when the hub requires one.
        topics: the topics subscribed to.
    """

    hub_url: str
    api_url: str
    token: str
    unidade: str | None = None
    hub_token: str | None = None
    topics: tuple[str, ...] = DEFAULT_TOPICS
    source: SourceMap = field(default_factory=SourceMap)


def wanted(update: Any) -> tuple[str, bool] | None:
    """The attendance an update names and whether it is a redirect's new one; None for others."""
    if not isinstance(update, Mapping):
        return None
    if update.get("novoId") is not None:
        return str(update["novoId"]), True
    if update.get("id") is not None and update.get("@type") in (None, "attendance", "panel.general", "panel.unit"):
        return str(update["id"]), False
    return None


def label(senha: Any) -> str | None:
    """The ticket as Novo SGA's panel shows it: the prefix and the number padded to 3 (``A007``)."""
    if isinstance(senha, str) and senha:
        return senha
    if isinstance(senha, Mapping) and isinstance(senha.get("numero"), int):
        return f"{senha.get('sigla') or ''}{senha['numero']:03d}"
    return None


def translate(record: Any, config: NovoSGAConfig, now: str, redirected: bool = False) -> list[QueueEvent]:
    """An attendance record as WaitWell events: one, or none for a status WaitWell does not show.

    The id is ``novosga:<id>:<status>:<the status's date>``, so the same record fetched again
    (every change of an attendance is published to several topics) is a duplicate; a redirect's
    new attendance is ``novosga:<id>:redirect``.

    Raises:
        AdapterError: an unknown status, an unmapped service or local, a missing field.
    """
    if not isinstance(record, Mapping):
        raise AdapterError("not_an_object", "an attendance record must be a JSON object")
    record_id = record.get("id")
    if record_id is None or isinstance(record_id, (bool, dict, list)):
        raise AdapterError("missing_field", "field 'id' (the attendance id) is missing")
    unit = lookup(record, "unidade.id")
    if config.unidade is not None and unit is not None and str(unit) != config.unidade:
        return []
    status = record.get("status")
    if not isinstance(status, str) or status not in STATUSES:
        shown = str(status)[:40]
        raise AdapterError("unknown_type", f"attendance status {shown!r} (field 'status') is not known "
                           f"(known: {', '.join(STATUSES)})", shown)
    src = config.source
    values: dict[str, Any] = {"ticket": label(record.get("senha"))}
    if redirected:
        event_type, date_field = EventType.TICKET_TRANSFERRED, "dataChegada"
    else:
        entry = STATUSES[status]
        if entry is None:
            return []
        event_type, date_field = entry
    if event_type in (EventType.TICKET_ISSUED, EventType.TICKET_TRANSFERRED):
        service = lookup(record, "servico.id")
        if service is not None:
            values["service"] = src.service(service, "field 'servico.id'")
        weight = lookup(record, "prioridade.peso")
        values["priority"] = isinstance(weight, int) and not isinstance(weight, bool) and weight > 0
    if event_type in (EventType.TICKET_CALLED, EventType.TICKET_SERVED) and record.get("numeroLocal") is not None:
        values["window"] = src.window(record["numeroLocal"], "field 'numeroLocal'")
    stamp = record.get(date_field)
    at = now if stamp is None else source_time(stamp, src.timezone, f"field {date_field!r}")
    if redirected:
        event_id = f"novosga:{record_id}:redirect"
    else:
        # Without its date a status is still reached once per attendance (a reactivation aside).
        event_id = f"novosga:{record_id}:{status}" + ("" if stamp is None else f":{stamp}")
    return [build_event(event_id[:128], event_type, at, values, _SOURCES)]
