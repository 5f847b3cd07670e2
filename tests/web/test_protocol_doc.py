"""docs/protocol.md holds a JSON Schema per message; real server output must match each one."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import jsonschema
import pytest

from server.simulator.day import simulate_day
from tests.halltools import at, raw
from tests.web.conftest import QUEUE, receive_json


DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


@functools.cache
def schemas() -> dict[str, dict]:
    found = re.findall(r"```json schema:(\w+)\n(.*?)\n```", DOC.read_text(encoding="utf-8"), re.S)
    return {name: json.loads(body) for name, body in found}


@functools.cache
def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = schemas()[name]
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def check(name: str, instance) -> None:
    validator(name).validate(instance)


def test_doc_has_a_schema_per_message():
    """The protocol page documents every message kind with a schema."""
    assert set(schemas()) == {"event", "reply", "alert", "staff_message", "display_state", "state", "ticket", "phone", "forecast"}


def test_simulated_events_match_the_event_schema():
    """Every event our simulator emits is valid against the documented event schema."""
    for event in simulate_day("quiet", seed=3).events:
        check("event", event)


def test_event_schema_rejects_what_the_server_rejects():
    """The schema refuses an event missing a required field, like the server."""
    with pytest.raises(jsonschema.ValidationError):
        check("event", {"id": "1", "type": "ticket.called", "at": "2026-11-30T09:00:00+08:00", "ticket": "A1"})


async def test_server_output_matches_the_documented_schemas(server):
    """Replies, staff messages, alerts, display states, state and ticket answers all validate."""
    staff = await server.staff_socket()
    display = await server.session.ws_connect(server.ws_url("/ws/display"))
    check("staff_message", await receive_json(staff))
    check("display_state", await receive_json(display))
    replies = await server.post([
        raw("window.opened", at(0), window="1"),
        raw("ticket.issued", at(0), ticket="A001", service="quick"),
        raw("ticket.issued", at(0), ticket="A002", service="quick", priority=True),
        {"id": "bad", "type": "nope", "at": "x"}, "junk",
        raw("ticket.called", at(1), ticket="A002", window="1"),
        raw("clock.tick", at(31)),
    ])
    for reply in replies:
        check("reply", reply)
    seen = []
    while len(seen) < 2:  # care_15 and care_30 of A001
        message = await receive_json(staff)
        check("staff_message", message)
        check("alert", message["alert"])
        seen.append(message["alert"]["kind"])
    await staff.send_str(json.dumps({"type": "alert.ack", "id": "missing", "by": "x"}))
    check("staff_message", await receive_json(staff))
    check("display_state", await receive_json(display))
    state = await server.state()
    check("state", state)
    for alert in state["alerts"]:
        check("alert", alert)
    for label in ("A001", "A002"):
        async with server.session.get(f"{server.url}/api/tickets/{label}?token={QUEUE}") as resp:
            check("ticket", await resp.json())
    await display.close()


async def test_alert_updated_matches_the_documented_schemas(server):
    """A hall-wide alert whose numbers change goes out as alert.updated: same id, the whole ALERT, updated_at."""
    staff = await server.staff_socket()
    await receive_json(staff)  # snapshot
    await server.post([raw("ticket.issued", at(0), ticket=f"A{n:03}", service="quick") for n in range(2)])
    raised_msg = await receive_json(staff)
    assert raised_msg["type"] == "alert.raised" and raised_msg["alert"]["kind"] == "open_windows"
    updated = await receive_json(staff)
    check("staff_message", updated)
    check("alert", updated["alert"])
    assert updated["type"] == "alert.updated" and updated["alert"]["id"] == raised_msg["alert"]["id"]
    assert updated["alert"]["waiting"] == 2 and updated["updated_at"] == updated["alert"]["updated_at"]
