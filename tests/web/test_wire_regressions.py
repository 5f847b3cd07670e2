"""Frames that once crashed the queue socket or broke the protocol, each sent over a real socket."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest

from tests.halltools import at, raw
from tests.web.conftest import QUEUE, receive_json
from tests.web.test_protocol_doc import check
from tests.web.test_wire_fuzz import STAFF_ERROR_CODES


async def _still_acks(server, ws) -> None:
    good = raw("clock.tick", at(1))
    await ws.send_str(json.dumps(good))
    assert await receive_json(ws) == {"type": "ack", "id": good["id"]}


async def test_deeply_nested_json_gets_invalid_json_and_the_socket_stays_open(server):
    """A JSON value nested 5,000 deep is answered with invalid_json; the next event is acked."""
    ws = await server.queue_socket()
    await ws.send_str("[" * 5000 + "]" * 5000)
    reply = await receive_json(ws)
    assert reply["type"] == "error" and reply["code"] == "invalid_json" and "deep" in reply["message"]
    await _still_acks(server, ws)


async def test_deeply_nested_post_body_is_400_invalid_json(server):
    """POST /api/events with a body nested 5,000 deep is a 400 invalid_json, not a 500."""
    async with server.session.post(server.url + "/api/events", data="[" * 5000 + "]" * 5000,
                                   headers={"Authorization": f"Bearer {QUEUE}"}) as resp:
        assert resp.status == 400
        assert (await resp.json())["error"]["code"] == "invalid_json"


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00+14:00", "9999-12-31T20:00:00+00:00"])
async def test_unconvertible_timestamp_is_rejected_and_the_socket_stays_open(server, stamp):
    """An 'at' that cannot be converted to the hall's zone or UTC is invalid_timestamp, not a close."""
    ws = await server.queue_socket()
    await ws.send_str(json.dumps(raw("clock.tick", at(0))))
    assert (await receive_json(ws))["type"] == "ack"  # the hall has a day: the check compares against it
    await ws.send_str(json.dumps({"id": "far", "type": "clock.tick", "at": stamp}))
    reply = await receive_json(ws)
    assert reply == {"type": "error", "id": "far", "code": "invalid_timestamp", "message": reply["message"]}
    assert "out of range" in reply["message"]
    await _still_acks(server, ws)


SURROGATE_ID = '{"id":"\\ud800","type":"ticket.issued","at":"2026-11-30T09:00:00+08:00"}'


async def test_lone_surrogate_id_is_echoed_escaped_on_the_queue_socket(server):
    """An id holding a lone surrogate gets an error reply carrying it (as a JSON escape); no crash."""
    ws = await server.queue_socket()
    await ws.send_str(SURROGATE_ID)
    reply = await receive_json(ws)
    assert reply["type"] == "error" and reply["id"] == "\ud800" and reply["code"] == "invalid_field"
    await _still_acks(server, ws)


async def test_lone_surrogate_id_is_answered_200_by_post(server):
    """POST with that event answers 200 and its error reply, not a 500."""
    async with server.session.post(server.url + "/api/events", data=SURROGATE_ID,
                                   headers={"Authorization": f"Bearer {QUEUE}"}) as resp:
        assert resp.status == 200
        [reply] = await resp.json()
    assert reply["id"] == "\ud800" and reply["code"] == "invalid_field"


async def test_lone_surrogate_alert_id_is_answered_on_the_staff_socket(server):
    """A tablet acknowledging an alert id with a lone surrogate gets unknown_alert; the socket stays open."""
    ws = await server.staff_socket()
    assert (await receive_json(ws))["type"] == "snapshot"
    for frame in ('{"type":"alert.ack","id":"\\udfff","by":"Li"}', '{"type":"nope","id":"\\udfff"}'):
        await ws.send_str(frame)
        reply = await receive_json(ws)
        assert reply["type"] == "error" and reply["id"] == "\udfff"
    await ws.send_str('{"type":"alert.ack","id":"x","by":"Li"}')
    assert (await receive_json(ws))["code"] == "unknown_alert"


async def test_staff_ping_is_answered_with_a_documented_pong(server):
    """A tablet's {"type":"ping"} gets {"type":"pong"}, a message the staff_message schema documents."""
    ws = await server.staff_socket()
    await receive_json(ws)
    await ws.send_str('{"type":"ping"}')
    pong = await receive_json(ws)
    assert pong == {"type": "pong"}
    check("staff_message", pong)


async def test_staff_refusals_of_bad_frames_use_documented_codes(server):
    """Frames that are not staff messages are refused with codes that docs/protocol.md lists."""
    ws = await server.staff_socket()
    await receive_json(ws)
    for frame in ("{nope", "[1]", '{"type":"alert.snooze","id":"a1"}', "[" * 5000):
        await ws.send_str(frame)
    await ws.send_bytes(b"\x00")
    codes = [(await receive_json(ws))["code"] for _ in range(5)]
    assert codes == ["invalid_json", "not_an_object", "unknown_type", "invalid_json", "binary_frame"]
    assert set(codes) <= STAFF_ERROR_CODES


@pytest.mark.parametrize("path", ["/ws/queue", "/ws/staff", "/ws/display"])
async def test_text_frame_that_is_not_utf8_closes_with_1007(server, path):
    """A text frame whose bytes are not UTF-8 closes the socket with 1007, as protocol.md says."""
    import aiohttp

    from tests.web.conftest import STAFF

    token = {"/ws/queue": QUEUE, "/ws/staff": STAFF}.get(path)
    ws = await server.session.ws_connect(server.ws_url(path, token))
    if path != "/ws/queue":
        await receive_json(ws)  # the snapshot or first state
    await ws.send_frame(b"\xff\xfe{}", aiohttp.WSMsgType.TEXT)
    msg = await ws.receive()
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert ws.close_code == 1007
    assert "1007" in (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")
    async with server.session.get(server.url + "/healthz") as resp:
        assert resp.status == 200


async def test_post_body_over_the_limit_is_a_json_413(server):
    """A POST body over 16 MiB gets a JSON error naming the limit, like every other refusal."""
    from server.web.app import MAX_POST_BYTES

    version = server.hub.hall.version
    body = io.BytesIO(b"[" + b"1," * (MAX_POST_BYTES // 2) + b"1]")
    async with server.session.post(server.url + "/api/events", data=body,
                                   headers={"Authorization": f"Bearer {QUEUE}"}) as resp:
        assert resp.status == 413
        error = (await resp.json())["error"]
    assert error["code"] == "body_too_large" and str(MAX_POST_BYTES) in error["message"]
    assert server.hub.hall.version == version


def _event_of_size(size: int) -> str:
    head = json.dumps(raw("clock.tick", at(1)))[:-1] + ',"pad":"'
    return head + "x" * (size - len(head) - 2) + '"}'


@pytest.mark.parametrize("compress", [0, 15], ids=["plain", "deflate"])
@pytest.mark.parametrize("path", ["/ws/queue", "/ws/display"])
async def test_a_frame_of_exactly_64_kib_is_answered_and_one_byte_more_closes_1009(server, compress, path):
    """The limit is "over 64 KiB" with and without permessage-deflate: 65,536 bytes pass, 65,537 close."""
    import aiohttp

    url = server.ws_url(path, QUEUE if path == "/ws/queue" else None)
    ws = await server.session.ws_connect(url, compress=compress)
    if path == "/ws/display":
        await receive_json(ws)
    frame = _event_of_size(65_536)
    assert len(frame.encode()) == 65_536
    await ws.send_str(frame)
    if path == "/ws/queue":
        assert (await receive_json(ws))["type"] == "ack"
    await ws.send_str('{"type":"ping"}' if path == "/ws/display" else json.dumps(raw("clock.tick", at(2))))
    assert (await receive_json(ws))["type"] in ("ack", "pong")
    await ws.send_str(_event_of_size(65_537))
    msg = await ws.receive()
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED) and ws.close_code == 1009


@pytest.mark.parametrize("by", ["\ud800", "Li\udfff", "Li\x00", "a\nb"])
async def test_acknowledgement_by_a_name_that_is_not_text_is_refused(server, by):
    """An alert.ack whose 'by' holds a lone surrogate or a control character is invalid_field, and the
    journal and a queue event committed with it are unharmed."""
    await server.post([raw("ticket.issued", at(0), ticket="A001", service="quick"), raw("clock.tick", at(16))])
    [alert] = [a for a in (await server.state())["alerts"] if a["kind"] == "care_15"]
    ws = await server.staff_socket()
    await receive_json(ws)
    queue = await server.queue_socket()
    tick = raw("clock.tick", at(17))
    await ws.send_str(json.dumps({"type": "alert.ack", "id": alert["id"], "by": by}))
    await queue.send_str(json.dumps(tick))
    reply = await receive_json(ws)
    assert reply["type"] == "error" and reply["code"] == "invalid_field" and "'by'" in reply["message"]
    assert await receive_json(queue) == {"type": "ack", "id": tick["id"]}
    await ws.send_str(json.dumps({"type": "alert.ack", "id": alert["id"], "by": "Li"}))
    assert (await receive_json(ws))["type"] == "alert.acknowledged"


async def test_a_record_the_journal_cannot_encode_fails_its_batch_not_the_writer(tmp_path):
    """A record with text SQLite cannot encode fails with JournalError; the writer thread lives on."""
    from server.web.journal import JournalError, Record, SQLiteJournal

    journal = SQLiteJournal(tmp_path / "journal.sqlite3")
    try:
        with pytest.raises(JournalError):
            await asyncio.wait_for(journal.append([Record("ack", {"by": "\ud800"})]), 5)
        await asyncio.wait_for(journal.append([Record("event", {"id": "e1"}, "e1")]), 5)
        assert journal.contains("e1")
    finally:
        await journal.close()


async def test_an_id_from_two_days_ago_reused_today_is_a_duplicate_not_a_storage_error(server):
    """An id seen before two day changes, sent again on a new event dated today, is acked as a
    duplicate; the events committed beside it are acked, not failed with storage_error."""
    from datetime import timedelta

    first = raw("ticket.issued", at(0), ticket="A001", service="quick")
    await server.post([first])
    await server.post([raw("clock.tick", at(0) + timedelta(days=1)), raw("hall.reset", at(0) + timedelta(days=1))])
    reused = dict(raw("ticket.issued", at(1) + timedelta(days=1), ticket="A002", service="quick"), id=first["id"])
    beside = raw("ticket.issued", at(1) + timedelta(days=1), ticket="A003", service="quick")
    replies = await server.post([reused, beside])
    assert replies == [{"type": "ack", "id": first["id"], "duplicate": True}, {"type": "ack", "id": beside["id"]}]
    assert [t["ticket"] for t in (await server.state())["waiting"]] == ["A003"]


@pytest.mark.parametrize("type_", ["ticket.cancelled", "ticket.no_show", "ticket.transferred"])
async def test_yesterdays_ticket_finished_on_a_new_day_is_unknown_ticket(server, type_):
    """A cancel, no-show or transfer that is the first event of a new day names a ticket today does
    not have: unknown_ticket, nothing changes, and the socket stays open (it used to crash the hub)."""
    from datetime import timedelta

    ws = await server.queue_socket()
    await ws.send_str(json.dumps(raw("ticket.issued", at(0), ticket="A001", service="quick")))
    assert (await receive_json(ws))["type"] == "ack"
    version, day = server.hub.hall.version, server.hub.hall.day
    late = raw(type_, at(0) + timedelta(days=1), ticket="A001", service="standard")
    await ws.send_str(json.dumps(late))
    reply = await receive_json(ws)
    assert reply["type"] == "error" and reply["code"] == "unknown_ticket" and reply["id"] == late["id"]
    assert (server.hub.hall.version, server.hub.hall.day) == (version, day)
    await _still_acks(server, ws)
