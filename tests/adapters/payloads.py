"""Recorded payloads, written by hand from each system's documented format (not captured from a
live installation): the generic dispenser from the issue's ADAPTER.yaml example, Qminder from
developer.qminder.com ("Webhooks overview", "Tickets"), whose ticket_called sample this copies."""

from __future__ import annotations

GENERIC_YAML = """\
timezone: Asia/Shanghai
fields:
  type: event
  ticket: data.number
  service: data.biz
  window: data.counter
  at: data.time
  id: data.seq
types: {TAKE: ticket.issued, CALL: ticket.called, RECALL: ticket.recalled, DONE: ticket.served,
        PASS: ticket.no_show, CANCEL: ticket.cancelled, OPEN: window.opened, CLOSE: window.closed}
services: {"01": quick, "02": standard}
windows: {"3": "3"}
"""


def dispenser(event: str, seq: int, **data: object) -> dict[str, object]:
    """One message of a local ticket dispenser, as the issue's example maps it."""
    return {"event": event, "data": {"seq": seq, "time": "2026-12-07 09:00:00", **data}}


QMINDER_YAML = """\
timezone: Europe/Tallinn
secret: whsec-test-1234
webhook_url: https://hall.example.com/qminder
services: {"37338": quick, "37339": standard}
windows: {"3": "3", "4": "4"}
"""

_TICKET = {
    "id": "123456789", "status": "NEW", "source": "MANUAL", "line": 37338, "publicId": "A-42",
    "firstName": "Jane", "lastName": "Eyre", "phoneNumber": 12125551234, "email": "jane@example.com",
    "languageCode": "en", "created": {"date": "2020-05-15T00:15:24Z"},
    "extra": [{"title": "Account", "value": "EE12 3456"}],
}


def qminder(kind: str, **changes: object) -> dict[str, object]:
    """A Qminder webhook body of ``kind`` for the ticket above, with ``changes`` to its data."""
    return {"type": kind, "data": {**_TICKET, **changes}}


CALLED = {"date": "2020-05-15T00:20:04Z", "caller": 14267, "desk": 3}


def event_schema_check(event: dict[str, object]) -> None:
    """Validate a translated event against the ``event`` JSON Schema published in docs/protocol.md."""
    import json
    import re
    from pathlib import Path

    import jsonschema

    doc = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")
    body = re.search(r"```json schema:event\n(.*?)\n```", doc, re.S)
    assert body is not None
    jsonschema.Draft202012Validator(json.loads(body.group(1))).validate(event)


ORCHESTRA_YAML = """\
timezone: Europe/Stockholm
secret: orch-secret-5678
branch: 1
services: {"3": quick, "4": standard}
windows: {"12": "3", "13": "4"}
"""


def orchestra(name: str, time: str = "2026-12-07T08:00:00.000+0000", **parameters: object) -> dict[str, object]:
    """One event as qp-events publishes it (the envelope of QPEvent.java, its README's sample shape),
    for visit 4711 of branch 1 unless ``parameters`` say otherwise; the customer's personal data
    rides along in custom visit parameters, as Orchestra allows."""
    base: dict[str, object] = {"branchId": 1, "branchName": "Centrum", "visitId": 4711, "ticket": "A012",
                               "queueId": 3, "queueName": "Kassa", "firstName": "Astrid",
                               "lastName": "Lindgren", "phoneNumber": "+46701234567",
                               "email": "astrid@example.se"}
    return {"eventName": name, "eventTime": time, "eventType": "PUBLIC", "unitId": None,
            "parameters": {**base, **parameters}}


NOVOSGA_YAML_TEMPLATE = """\
timezone: America/Sao_Paulo
hub_url: {hub}/.well-known/mercure
api_url: {hub}/api
token: sga-oauth-token
unidade: 1
services: {{"1": quick, "2": standard}}
windows: {{"3": "3", "4": "4"}}
"""


def atendimento(ident: int, status: str, **changes: object) -> dict[str, object]:
    """An attendance record as Novo SGA's REST API returns it (the fields AbstractAtendimento
    serialises), with the client's name and document that must never leave the adapter."""
    record: dict[str, object] = {
        "id": ident, "senha": {"sigla": "A", "numero": 7}, "servico": {"id": 1, "nome": "Caixa"},
        "unidade": {"id": 1, "nome": "Centro"}, "prioridade": {"id": 1, "nome": "Normal", "peso": 0},
        "status": status, "resolucao": None, "numeroLocal": None,
        "dataChegada": "2026-12-07T09:00:00", "dataChamada": None, "dataInicio": None, "dataFim": None,
        "tempoEspera": None, "cliente": {"nome": "Maria da Silva", "documento": "123.456.789-00"},
        "triagem": "triagem", "usuario": None,
    }
    return {**record, **changes}
