"""A real ``waitwell serve`` and a real ``waitwell adapt novosga`` process against a small stand-in
for Novo SGA: it serves Mercure server-sent events and REST records written from Novo SGA's
documented source (AtendimentoService.php publishes ``{"id"}`` / ``{"originalId", "novoId"}``;
``/api/atendimentos/{id}`` returns the record). Nothing here runs a real Novo SGA or Mercure hub."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.adapters.payloads import NOVOSGA_YAML_TEMPLATE, atendimento
from tests.adapters.test_adapt_end_to_end import adapt, serve, spooled, state, ticket
from tests.processes import Process, free_port


class StandInSGA:
    """The hub keeps every update (as a hub with history does) and resumes a subscriber after
    its Last-Event-ID; :meth:`drop` ends every open stream, as a restarted hub or a lost link does."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.updates: list[tuple[str, str]] = []
        self.resumed_from: list[str | None] = []
        self.fetched: list[str] = []
        self.topics: list[list[str]] = []
        self._changed = asyncio.Event()
        self._generation = 0

    def publish(self, update: dict[str, Any], *records: dict[str, Any]) -> str:
        for record in records:
            self.records[str(record["id"])] = record
        event_id = f"urn:uuid:00000000-0000-0000-0000-{len(self.updates) + 1:012d}"
        self.updates.append((event_id, json.dumps(update)))
        self._changed.set()
        return event_id

    def drop(self) -> None:
        self._generation += 1
        self._changed.set()

    async def hub(self, request: web.Request) -> web.StreamResponse:
        last = request.headers.get("Last-Event-ID")
        self.resumed_from.append(last)
        self.topics.append(request.query.getall("topic", []))
        ids = [i for i, _ in self.updates]
        pos = ids.index(last) + 1 if last in ids else 0
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await resp.prepare(request)
        await resp.write(b":\n\n")
        generation = self._generation
        while generation == self._generation:
            while pos < len(self.updates):
                event_id, data = self.updates[pos]
                await resp.write(f"id: {event_id}\ndata: {data}\n\n".encode())
                pos += 1
            self._changed.clear()
            await self._changed.wait()
        return resp

    async def record(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer sga-oauth-token":
            return web.json_response({"error": "invalid_token"}, status=401)
        ident = request.match_info["id"]
        self.fetched.append(ident)
        if ident not in self.records:
            return web.json_response({"error": "not found"}, status=404)
        return web.json_response(self.records[ident])

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/.well-known/mercure", self.hub)
        app.router.add_get("/api/atendimentos/{id}", self.record)
        return app


async def until(check: Callable[[], Any], what: str) -> None:
    for _ in range(300):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


@contextlib.asynccontextmanager
async def novosga_hall(tmp_path: Path) -> AsyncIterator[tuple[StandInSGA, Process, Process]]:
    """The stand-in running; a server and an adapter subscribed to it, for the test to start."""
    sga = StandInSGA()
    hub = TestServer(sga.app(), host="127.0.0.1", port=free_port())
    await hub.start_server()
    server_port = free_port()
    server = serve(tmp_path, server_port)
    adapter = adapt(tmp_path, "novosga", NOVOSGA_YAML_TEMPLATE.format(hub=str(hub.make_url("")).rstrip("/")),
                    server_port)
    try:
        yield sga, server, adapter
    finally:
        adapter.stop()
        server.stop()
        await hub.close()


async def hub_connected(session: aiohttp.ClientSession, adapter: Any) -> bool:
    async with session.get(adapter.url + "/healthz") as resp:
        return bool((await resp.json())["hub"]["connected"])


async def test_novosga_changes_reach_the_hall_once_across_a_dropped_stream(tmp_path):
    async with novosga_hall(tmp_path) as (sga, server, adapter):
        await server.start()
        await adapter.start()
        async with aiohttp.ClientSession() as session:
            await until(lambda: hub_connected(session, adapter), "the adapter subscribed")
            assert sga.topics[0] == ["/atendimentos", "/atendimentos/{id}"]
            sga.publish({"id": 41}, atendimento(41, "emitida"))
            await until(lambda: ticket(session, server, "A007"), "A007 issued")
            # Novo SGA publishes one change to several topics: the same record again is a duplicate.
            second = sga.publish({"id": 41})
            await until(lambda: asyncio.sleep(0, len(sga.fetched) == 2), "the second fetch")
            assert (await state(session, server))["waiting_total"] == 1

            sga.drop()
            sga.publish({"id": 41}, atendimento(41, "chamado", numeroLocal=3, dataChamada="2026-12-07T09:10:00"))

            async def called() -> bool:
                now = await ticket(session, server, "A007")
                return now is not None and now["status"] == "called"
            await until(called, "A007 called after the hub came back")
            assert sga.resumed_from[0] is None and sga.resumed_from[-1] == second
            assert sga.fetched == ["41", "41", "41"], "no update handled twice"
            assert (await ticket(session, server, "A007"))["window"] == "3"  # type: ignore[index]

            unmapped = atendimento(44, "chamado", senha={"sigla": "A", "numero": 8}, numeroLocal=9,
                                   dataChamada="2026-12-07T09:11:00")
            sga.publish({"id": 44}, unmapped)
            sga.publish({"id": 44})
            sga.publish({"originalId": 41, "novoId": 45},
                        atendimento(45, "emitida", servico={"id": 2, "nome": "Gerente"}, dataChegada="2026-12-07T09:12:00"))

            async def moved() -> bool:
                now = await ticket(session, server, "A007")
                return now is not None and now["service"] == "standard"
            await until(moved, "A007 transferred by the redirect")
            assert await ticket(session, server, "A008") is None
    log = (tmp_path / "adapt-novosga.log").read_text()
    assert log.count("'9' is not in the adapter config") == 1
    assert "Maria" not in log and "123.456" not in log and "sga-oauth-token" not in log


async def test_novosga_changes_while_the_server_is_down_are_spooled_and_delivered_in_order(tmp_path):
    async with novosga_hall(tmp_path) as (sga, server, adapter):
        await adapter.start()
        async with aiohttp.ClientSession() as session:
            await until(lambda: hub_connected(session, adapter), "the adapter subscribed")
            issued = atendimento(50, "emitida", senha={"sigla": "B", "numero": 1})
            sga.publish({"id": 50}, issued)
            await until(lambda: asyncio.sleep(0, len(sga.fetched) == 1), "the first fetch")
            sga.publish({"id": 50}, {**issued, "status": "cancelada", "dataFim": "2026-12-07T09:03:00"})
            await until(lambda: asyncio.sleep(0, len(sga.fetched) == 2), "the second fetch")

            async def two_spooled() -> bool:
                return await spooled(session, adapter) == 2
            await until(two_spooled, "both changes spooled")
            await server.start()

            async def drained() -> bool:
                return await spooled(session, adapter) == 0
            await until(drained, "the spool delivered")
            done = await ticket(session, server, "B001")
            assert done is not None and done["status"] == "cancelled"
