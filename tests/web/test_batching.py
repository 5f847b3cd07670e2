"""Inputs of one event-loop turn go to the journal as one batch, and none is acknowledged before it
is on disk; a queue socket's acks go out as plain frames, in order, many to a write."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from server.config_file import load_config
from server.web.hub import Hub
from server.web.journal import Record, SQLiteJournal

from tests.halltools import at, raw
from tests.web.conftest import QUEUE, receive_json


class GatedJournal(SQLiteJournal):
    """The real SQLite journal, whose appends report durable only once the test opens the gate."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.gate = asyncio.Event()
        self.appends: list[list[Record]] = []

    def append(self, records: list[Record]) -> asyncio.Future[None]:
        self.appends.append(list(records))
        written = super().append(records)
        gated: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def release() -> None:
            await self.gate.wait()
            try:
                await written
            except Exception as exc:  # noqa: BLE001 - handed on as it came
                gated.set_exception(exc)
            else:
                gated.set_result(None)

        asyncio.ensure_future(release())
        return gated


@pytest_asyncio.fixture
async def gated(tmp_path: Path) -> AsyncIterator[tuple[Hub, GatedJournal]]:
    journal = GatedJournal(tmp_path / "journal.sqlite3")
    hub = Hub(load_config(), journal, clock="event")
    await hub.start()
    journal.gate.set()
    await asyncio.sleep(0.05)  # the start's own config record
    journal.gate.clear()
    journal.appends.clear()
    yield hub, journal
    journal.gate.set()
    await hub.stop()


async def test_inputs_of_one_turn_are_one_journal_batch_acked_only_once_durable(gated):
    hub, journal = gated
    events = [raw("ticket.issued", at(n / 10), ticket=f"A{n:03}", service="quick") for n in range(5)]
    pending = [hub.submit(e) for e in events]
    await asyncio.sleep(0.1)
    assert len(journal.appends) == 1
    assert [r.event_id for r in journal.appends[0] if r.kind == "event"] == [e["id"] for e in events]
    assert not any(p.done() for p in pending)  # on its way to disk: no ack yet
    journal.gate.set()
    replies = [await asyncio.wait_for(p, 5) for p in pending]
    assert replies == [{"type": "ack", "id": e["id"]} for e in events]
    assert {e["id"] for e in events} <= {r.event_id for r in journal.load()[1]}


async def test_inputs_of_later_turns_are_later_batches_and_resolve_in_order(gated):
    hub, journal = gated
    first = hub.submit(raw("ticket.issued", at(0), ticket="A001", service="quick"))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    second = hub.submit(raw("ticket.issued", at(1), ticket="A002", service="quick"))
    await asyncio.sleep(0.1)
    assert len(journal.appends) == 2
    order: list[str] = []
    first.add_done_callback(lambda _: order.append("A001"))
    second.add_done_callback(lambda _: order.append("A002"))
    journal.gate.set()
    await asyncio.wait_for(asyncio.gather(first, second), 5)
    assert order == ["A001", "A002"]


async def test_a_failed_batch_fails_every_input_in_it_and_the_hall_forgets_them(tmp_path):
    journal = SQLiteJournal(tmp_path / "journal.sqlite3")
    hub = Hub(load_config(), journal, clock="event")
    await hub.start()
    try:
        kept = await hub.submit(raw("ticket.issued", at(0), ticket="A001", service="quick"))
        assert kept["type"] == "ack"
        # A record the journal cannot encode fails its whole batch (a lone surrogate has no UTF-8 form).
        hub._commit([Record("ack", {"by": "\ud800"})], {"type": "x"})
        lost = [hub.submit(raw("ticket.issued", at(1 + n), ticket=f"A{2 + n:03}", service="quick"))
                for n in range(3)]
        replies = [await asyncio.wait_for(p, 5) for p in lost]
        assert [r.get("code") for r in replies] == ["storage_error"] * 3
        assert set(hub.hall.tickets) == {"A001"}
    finally:
        await hub.stop()


async def test_queue_socket_negotiates_no_compression_and_acks_a_burst_frame_by_frame(server):
    ws = await server.session.ws_connect(server.ws_url("/ws/queue", QUEUE), compress=15)
    server.sockets.append(ws)
    assert ws.compress == 0
    events = [raw("ticket.issued", at(n / 10), ticket=f"A{n:03}", service="quick") for n in range(40)]
    for event in events:
        await ws.send_str(json.dumps(event))
    replies = [await receive_json(ws) for _ in events]
    assert replies == [{"type": "ack", "id": e["id"]} for e in events]
    assert len((await server.state())["waiting"]) == 40
