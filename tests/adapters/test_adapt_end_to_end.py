"""A real ``waitwell serve`` and a real ``waitwell adapt`` process: a dispenser's POSTs reach the
hall, a redelivery is a duplicate, an outage is spooled and delivered in order afterwards."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from server.adapters.qminder import signature

from tests.adapters.payloads import CALLED, GENERIC_YAML, QMINDER_YAML, dispenser, qminder
from tests.processes import Process, free_port


def serve(tmp: Path, port: int) -> Process:
    return Process(["serve", "--port", str(port), "--data-dir", str(tmp / "hall"), "--clock", "event",
                 "--queue-token", "q", "--staff-token", "s", "--log-level", "WARNING"], f"http://127.0.0.1:{port}", tmp / "server.log")


def adapt(tmp: Path, kind: str, yaml_text: str, server_port: int) -> Process:
    config = tmp / f"{kind}.yaml"
    config.write_text(yaml_text)
    port = free_port()
    return Process(["adapt", kind, "--config", str(config), "--server", f"http://127.0.0.1:{server_port}",
                 "--queue-token", "q", "--listen", f"127.0.0.1:{port}", "--spool", str(tmp / f"{kind}.spool"),
                 "--retry-seconds", "0.2"], f"http://127.0.0.1:{port}", tmp / f"adapt-{kind}.log")


@contextlib.contextmanager
def hall(tmp: Path, kind: str, yaml_text: str) -> Iterator[tuple[Process, Process]]:
    """A server and an adapter of ``kind`` forwarding to it, stopped afterwards; the test starts them."""
    server_port = free_port()
    server, adapter = serve(tmp, server_port), adapt(tmp, kind, yaml_text, server_port)
    try:
        yield server, adapter
    finally:
        adapter.stop()
        server.stop()


async def post(session: aiohttp.ClientSession, url: str, body: Any, **kw: Any) -> tuple[int, dict[str, Any]]:
    async with session.post(url, json=body, **kw) as resp:
        return resp.status, await resp.json()


async def ticket(session: aiohttp.ClientSession, server: Process, label: str) -> dict[str, Any] | None:
    async with session.get(f"{server.url}/api/tickets/{label}?token=q") as resp:
        return await resp.json() if resp.status == 200 else None


async def state(session: aiohttp.ClientSession, server: Process) -> dict[str, Any]:
    async with session.get(f"{server.url}/api/state?token=s") as resp:
        assert resp.status == 200
        return await resp.json()


async def spooled(session: aiohttp.ClientSession, adapter: Process) -> int:
    async with session.get(adapter.url + "/healthz") as resp:
        return int((await resp.json())["spooled"])


async def drained(session: aiohttp.ClientSession, adapter: Process) -> None:
    """Returns once the adapter's spool is empty (delivered); fails after 10 s."""
    for _ in range(200):
        if await spooled(session, adapter) == 0:
            return
        await asyncio.sleep(0.05)
    assert await spooled(session, adapter) == 0


async def test_a_dispensers_take_call_done_reach_the_hall_and_a_redelivery_is_a_duplicate(tmp_path):
    server_port = free_port()
    server, adapter = serve(tmp_path, server_port), adapt(tmp_path, "generic", GENERIC_YAML, server_port)
    try:
        await server.start()
        await adapter.start()
        async with aiohttp.ClientSession() as session:
            take = dispenser("TAKE", 1, number="A001", biz="01")
            assert (await post(session, adapter.url + "/dispenser", take))[0] == 200
            waiting = (await state(session, server))["waiting"]
            assert [(t["ticket"], t["service"]) for t in waiting] == [("A001", "quick")]
            # The dispenser retries a POST whose answer it lost: the hall sees one ticket.
            status, body = await post(session, adapter.url + "/dispenser", take)
            assert status == 200 and body["forwarded"] == 1
            assert (await state(session, server))["waiting_total"] == 1

            status, body = await post(session, adapter.url + "/", [
                dispenser("OPEN", 2, counter="3"),
                dispenser("CALL", 3, number="A001", counter="3", time="2026-12-07 09:01:00")])
            assert status == 200 and body["forwarded"] == 2
            assert (await ticket(session, server, "A001")) is not None
            assert (await ticket(session, server, "A001"))["status"] == "called"  # type: ignore[index]
            assert (await ticket(session, server, "A001"))["window"] == "3"  # type: ignore[index]

            # What cannot be translated is a 400 naming it, and nothing reaches the hall.
            status, body = await post(session, adapter.url + "/", dispenser("TAKE", 4, number="A002", biz="07"))
            assert status == 400 and body["error"]["code"] == "unmapped_service" and "'07'" in body["error"]["message"]
            status, body = await post(session, adapter.url + "/", [
                dispenser("TAKE", 5, number="A003", biz="01"), dispenser("FLY", 6, number="A003")])
            assert status == 400 and body["error"]["message"].startswith("item 1:")
            assert await ticket(session, server, "A002") is None and await ticket(session, server, "A003") is None

            done = {"event": "DONE", "data": {"seq": 7, "number": "A001", "counter": "3",
                                              "time": "2026-12-07 09:06:00"}}
            assert (await post(session, adapter.url + "/", done))[0] == 200
            assert (await ticket(session, server, "A001"))["status"] == "served"  # type: ignore[index]
    finally:
        adapter.stop()
        server.stop()
    log = (tmp_path / "adapt-generic.log").read_text()
    assert log.count("'07' is not in the adapter config") == 1


async def test_while_the_server_is_down_events_are_spooled_and_delivered_in_order(tmp_path):
    server_port = free_port()
    server, adapter = serve(tmp_path, server_port), adapt(tmp_path, "generic", GENERIC_YAML, server_port)
    try:
        await adapter.start()  # the server is not up yet
        async with aiohttp.ClientSession() as session:
            take = dispenser("TAKE", 1, number="B001", biz="02")
            cancel = {"event": "CANCEL", "data": {"seq": 2, "number": "B001", "time": "2026-12-07 09:02:00"}}
            for body in (take, cancel):
                status, reply = await post(session, adapter.url + "/", body)
                assert status == 200 and reply["spooled"] == 1
            assert await spooled(session, adapter) == 2
            await server.start()
            await drained(session, adapter)
            # A cancel delivered before its ticket would have been refused: the order held.
            assert (await ticket(session, server, "B001"))["status"] == "cancelled"  # type: ignore[index]
            take2 = dispenser("TAKE", 3, number="B002", biz="02")
            status, reply = await post(session, adapter.url + "/", take2)
            assert status == 200 and reply["forwarded"] == 1
    finally:
        adapter.stop()
        server.stop()
    assert adapter.proc is not None and adapter.proc.returncode == 0, "SIGTERM is a clean stop"
    assert "cannot reach the server" in (tmp_path / "adapt-generic.log").read_text()


async def test_qminder_webhooks_need_their_signature(tmp_path):
    server_port = free_port()
    server, adapter = serve(tmp_path, server_port), adapt(tmp_path, "qminder", QMINDER_YAML, server_port)
    url = "https://hall.example.com/qminder"

    def signed(body: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        raw = __import__("json").dumps(body).encode()
        return raw, {"X-Qminder-Signature": signature("whsec-test-1234", url, raw),
                     "Content-Type": "application/json"}

    try:
        await server.start()
        await adapter.start()
        async with aiohttp.ClientSession() as session:
            created = qminder("ticket_created", created={"date": "2026-12-07T07:00:00Z"})
            raw, headers = signed(created)
            async with session.post(adapter.url + "/qminder", data=raw,
                                    headers={**headers, "X-Qminder-Signature": "0" * 64}) as resp:
                assert resp.status == 401
            async with session.post(adapter.url + "/qminder", data=raw,
                                    headers={"Content-Type": "application/json"}) as resp:
                assert resp.status == 401
            assert await ticket(session, server, "A-42") is None
            async with session.post(adapter.url + "/qminder", data=raw, headers=headers) as resp:
                assert resp.status == 200
            assert (await ticket(session, server, "A-42"))["service"] == "quick"  # type: ignore[index]

            raw, headers = signed(qminder("ticket_called", called={**CALLED, "desk": 9,
                                                                      "date": "2026-12-07T07:05:00Z"}))
            async with session.post(adapter.url + "/qminder", data=raw, headers=headers) as resp:
                assert resp.status == 400 and (await resp.json())["error"]["code"] == "unmapped_window"
            raw, headers = signed(qminder("ticket_called", called={**CALLED, "date": "2026-12-07T07:05:00Z"}))
            for _ in range(2):  # the second is Qminder redelivering
                async with session.post(adapter.url + "/qminder", data=raw, headers=headers) as resp:
                    assert resp.status == 200
            called = await ticket(session, server, "A-42")
            assert called is not None and (called["status"], called["window"]) == ("called", "3")
    finally:
        adapter.stop()
        server.stop()
    assert "Jane" not in (tmp_path / "adapt-qminder.log").read_text()


async def test_a_qminder_line_change_after_an_adapter_restart_moves_the_ticket(tmp_path):
    server_port = free_port()
    server = serve(tmp_path, server_port)
    url = "https://hall.example.com/qminder"

    async def send(adapter: Process, session: aiohttp.ClientSession, body: dict[str, Any]) -> int:
        raw = __import__("json").dumps(body).encode()
        async with session.post(adapter.url + "/qminder", data=raw, headers={
                "X-Qminder-Signature": signature("whsec-test-1234", url, raw),
                "Content-Type": "application/json"}) as resp:
            return resp.status

    first = adapt(tmp_path, "qminder", QMINDER_YAML, server_port)
    second = adapt(tmp_path, "qminder", QMINDER_YAML, server_port)
    try:
        await server.start()
        await first.start()
        async with aiohttp.ClientSession() as session:
            # A ticket_changed has no time of its own (the receive time is used): issue it today.
            today = datetime.now(timezone.utc).isoformat()
            assert await send(first, session, qminder("ticket_created", created={"date": today})) == 200
            first.stop()
            await second.start()  # the same spool, so the same memory beside it
            assert await send(second, session, qminder("ticket_changed", line=37339)) == 200
            moved = await ticket(session, server, "A-42")
            assert moved is not None and moved["service"] == "standard"
    finally:
        first.stop()
        second.stop()
        server.stop()
