"""Every input to the hub answers with one awaitable type, and awaited in call order the replies come in call order."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from server.config_file import load_config
from server.web.hub import Hub
from server.web.journal import SQLiteJournal

from tests.halltools import at, raw
from tests.web.conftest import receive_json


@pytest_asyncio.fixture
async def hub(tmp_path: Path) -> AsyncIterator[Hub]:
    hub = Hub(load_config(), SQLiteJournal(tmp_path / "journal.sqlite3"), clock="event")
    await hub.start()
    yield hub
    await hub.stop()


async def test_accepted_rejected_and_duplicate_inputs_all_return_a_future(hub):
    """Bad JSON, a bad event, an accepted one, its duplicate and a refused acknowledgement: all futures."""
    issued = raw("ticket.issued", at(0), ticket="A001", service="quick")
    pending = [hub.submit_text("{nope"), hub.submit({"type": "ticket.issued"}), hub.submit(issued),
               hub.submit(issued), hub.acknowledge("no-such-alert", "王芳"), hub.acknowledge(7, "王芳")]
    assert all(isinstance(p, asyncio.Future) for p in pending)
    replies = [await p for p in pending]
    assert [r.get("code") or r["type"] for r in replies] == [
        "invalid_json", "missing_field", "ack", "ack", "unknown_alert", "invalid_field"]
    assert replies[3] == {"type": "ack", "id": issued["id"], "duplicate": True}


async def test_an_immediate_reply_needs_no_task_switch(hub):
    """A rejected event's reply is resolved when submit returns: awaiting it costs no turn of the loop."""
    assert hub.submit_text("{nope").done()


async def test_mixed_replies_over_one_socket_come_in_send_order(server):
    """Good, bad and duplicate events pipelined on one socket are answered in the order sent."""
    ws = await server.queue_socket()
    good = [raw("ticket.issued", at(n / 10), ticket=f"A{n:03}", service="quick") for n in range(6)]
    frames = [json.dumps(good[0]), "{nope", json.dumps(good[1]), json.dumps(good[0]),
              json.dumps({"id": "x1", "type": "nap", "at": at(1).isoformat()}), json.dumps(good[2])]
    for frame in frames:
        await ws.send_str(frame)
    replies = [await receive_json(ws) for _ in frames]
    assert [(r["type"], r.get("id"), r.get("duplicate", r.get("code"))) for r in replies] == [
        ("ack", good[0]["id"], None), ("error", None, "invalid_json"), ("ack", good[1]["id"], None),
        ("ack", good[0]["id"], True), ("error", "x1", "unknown_type"), ("ack", good[2]["id"], None)]
