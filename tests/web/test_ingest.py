"""Queue events over the WebSocket and POST: acks in order, duplicates, bad input, auth."""

from __future__ import annotations

import json
from datetime import timedelta

import aiohttp
import pytest

from tests.halltools import at, raw
from tests.web.conftest import QUEUE, STAFF, receive_json


async def test_every_event_gets_an_ack_in_order(server):
    """Pipelined events are each acknowledged, in the order they were sent."""
    ws = await server.queue_socket()
    events = [raw("window.opened", at(0), window="1")] + [
        raw("ticket.issued", at(n / 10), ticket=f"A{n:03}", service="quick") for n in range(50)]
    for event in events:
        await ws.send_str(json.dumps(event))
    replies = [await receive_json(ws) for _ in events]
    assert replies == [{"type": "ack", "id": e["id"]} for e in events]
    assert (await server.state())["waiting_total"] == 50


async def test_duplicate_id_is_acked_as_duplicate_with_no_second_effect(server):
    """Resending an event id gets duplicate:true and changes nothing."""
    ws = await server.queue_socket()
    event = raw("ticket.issued", at(0), ticket="A001", service="quick")
    await ws.send_str(json.dumps(event))
    assert await receive_json(ws) == {"type": "ack", "id": event["id"]}
    version = server.hub.hall.version
    await ws.send_str(json.dumps(event))
    assert await receive_json(ws) == {"type": "ack", "id": event["id"], "duplicate": True}
    assert server.hub.hall.version == version


@pytest.mark.parametrize(("frame", "code"), [
    ("{nope", "invalid_json"),
    ("[1,2]", "not_an_object"),
    (json.dumps({"id": "x1", "type": "ticket.flew", "at": "2026-11-30T09:00:00+08:00"}), "unknown_type"),
    (json.dumps({"id": "x2", "type": "ticket.issued", "at": "2026-11-30T09:00:00+08:00"}), "missing_field"),
    (json.dumps({"id": "x3", "type": "clock.tick", "at": "2026-11-30T09:00:00"}), "naive_timestamp"),
    (json.dumps({"id": "x4", "type": "ticket.no_show", "at": "2026-11-30T09:00:00+08:00",
                 "ticket": "A" * 5000}), "field_too_long"),
])
async def test_bad_event_gets_a_named_error_and_the_socket_stays_usable(server, frame, code):
    """A bad frame is answered with an error naming it; the next good event is processed."""
    ws = await server.queue_socket()
    version = server.hub.hall.version
    await ws.send_str(frame)
    reply = await receive_json(ws)
    assert reply["type"] == "error" and reply["code"] == code and reply["message"]
    assert server.hub.hall.version == version
    good = raw("ticket.issued", at(0), ticket="A001", service="quick")
    await ws.send_str(json.dumps(good))
    assert await receive_json(ws) == {"type": "ack", "id": good["id"]}


async def test_error_reply_carries_the_event_id_when_it_has_one(server):
    """A rejected event with a readable id gets that id back."""
    ws = await server.queue_socket()
    await ws.send_str(json.dumps({"id": "e77", "type": "ticket.called", "at": "2026-11-30T09:00:00+08:00",
                                  "ticket": "A1"}))
    assert (await receive_json(ws))["id"] == "e77"


async def test_binary_frame_is_rejected_without_closing(server):
    """Binary frames get an error; the socket stays open."""
    ws = await server.queue_socket()
    await ws.send_bytes(b"\x00\x01")
    reply = await receive_json(ws)
    assert reply["code"] == "binary_frame" and reply["id"] is None
    tick = raw("clock.tick", at(1))
    await ws.send_str(json.dumps(tick))
    assert (await receive_json(ws))["type"] == "ack"


async def test_frame_over_64_kib_closes_with_1009(server):
    """An oversized frame closes the socket with 1009 and changes nothing."""
    ws = await server.queue_socket()
    version = server.hub.hall.version
    await ws.send_str(json.dumps(raw("clock.tick", at(1), padding="x" * 70_000)))
    msg = await ws.receive()
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
    assert ws.close_code == 1009
    assert server.hub.hall.version == version


async def test_event_from_an_earlier_day_is_rejected(server):
    """After events of the 30th, one dated the 29th is refused as stale_day."""
    ws = await server.queue_socket()
    await ws.send_str(json.dumps(raw("clock.tick", at(0))))
    await receive_json(ws)
    await ws.send_str(json.dumps({"id": "old", "type": "clock.tick", "at": "2026-11-29T17:00:00+08:00"}))
    reply = await receive_json(ws)
    assert reply["code"] == "stale_day" and "2026-11-29" in reply["message"]


@pytest.mark.parametrize("token", [None, "wrong", STAFF])
async def test_queue_socket_without_the_queue_token_is_closed_4401(server, token):
    """No token, a wrong one, or the staff token: the queue socket closes with 4401."""
    url = server.ws_url("/ws/queue", token)
    ws = await server.session.ws_connect(url)
    msg = await ws.receive()
    assert msg.type is aiohttp.WSMsgType.CLOSE and ws.close_code == 4401


async def test_post_answers_replies_in_order(server):
    """POST takes one event or an array and answers every reply in order."""
    good = raw("ticket.issued", at(0), ticket="A001", service="quick")
    replies = await server.post([good, good, {"id": "bad", "type": "x", "at": "2026-11-30T09:00:00+08:00"}, 7])
    assert replies[0] == {"type": "ack", "id": good["id"]}
    assert replies[1]["duplicate"] is True
    assert replies[2]["code"] == "unknown_type" and replies[3]["code"] == "not_an_object"
    single = await server.post(raw("clock.tick", at(1)))
    assert single[0]["type"] == "ack"


async def test_post_errors(server):
    """A body that is not JSON is 400; no or a wrong token is 401."""
    url = server.url + "/api/events"
    async with server.session.post(url, data=b"{bad", headers={"Authorization": f"Bearer {QUEUE}"}) as resp:
        assert resp.status == 400
        assert (await resp.json())["error"]["code"] == "invalid_json"
    async with server.session.post(url, json=[]) as resp:
        assert resp.status == 401
    async with server.session.post(url + "?token=nope", json=[]) as resp:
        assert resp.status == 401


async def test_http_endpoints(server):
    """healthz, state (staff token), public ticket status and metrics answer as documented."""
    await server.post([raw("window.opened", at(0), window="1"),
                       raw("ticket.issued", at(0), ticket="A001", service="quick"),
                       raw("ticket.issued", at(0), ticket="A002", service="quick")])
    async with server.session.get(server.url + "/healthz") as resp:
        assert resp.status == 200
    async with server.session.get(server.url + "/api/state") as resp:
        assert resp.status == 401
    state = await server.state()
    assert [t["ticket"] for t in state["waiting"]] == ["A001", "A002"]
    assert all(t["expected_wait_s"] is not None for t in state["waiting"])
    async with server.session.get(server.url + "/api/tickets/A002") as resp:
        assert resp.status == 401
    async with server.session.get(server.url + "/api/tickets/A002", headers={"Authorization": f"Bearer {STAFF}"}) as resp:
        ticket = await resp.json()
    assert ticket["status"] == "waiting" and ticket["position"] == 2
    lo, hi = ticket["expected_wait_range_s"]
    assert lo <= ticket["expected_wait_s"] <= hi
    async with server.session.get(server.url + "/api/tickets/Z404?token=" + QUEUE) as resp:
        assert resp.status == 404
    async with server.session.get(server.url + "/metrics") as resp:
        text = await resp.text()
    assert 'waitwell_events_total{type="ticket.issued"} 2.0' in text
    assert "waitwell_journal_commit_seconds_count" in text
    assert 'waitwell_connections{feed="queue"}' in text or "waitwell_connections" in text


async def test_resent_event_from_an_earlier_day_is_a_duplicate_not_stale(server):
    """An event of yesterday resent today is recognised from the journal as a duplicate."""
    from datetime import timedelta

    yesterday = raw("ticket.issued", at(0), ticket="A001", service="quick")
    await server.post([yesterday])
    await server.post([raw("clock.tick", at(0) + timedelta(days=1))])
    await server.post([raw("clock.tick", at(0) + timedelta(days=2))])  # yesterday's ids leave memory
    replies = await server.post([yesterday])
    assert replies == [{"type": "ack", "id": yesterday["id"], "duplicate": True}]


async def test_a_flood_of_bad_events_logs_a_few_lines_and_a_count(server, caplog):
    """5,000 bad events in one POST: every one is answered, the log gets a handful of lines and
    one line counting the rest, and no line carries more than a short piece of the sender's id."""
    caplog.set_level("WARNING", logger="server.web.hub")
    bad = [{"id": "x" * 60000 if n == 0 else f"bad-{n}", "type": "nope", "at": at(0).isoformat()}
           for n in range(5000)]
    replies = await server.post(bad)
    assert len(replies) == 5000 and {r["code"] for r in replies} == {"field_too_long", "unknown_type"}
    lines = [r.getMessage() for r in caplog.records if r.name == "server.web.hub"]
    assert 2 <= len(lines) <= 25, len(lines)
    assert max(len(line) for line in lines) < 400
    server.clock.now += timedelta(minutes=1, seconds=1)
    await server.post([{"id": "late-bad", "type": "nope", "at": at(0).isoformat()}])
    summary = [r.getMessage() for r in caplog.records if "not logged" in r.getMessage()]
    assert len(summary) == 1 and "unknown_type" in summary[0] and str(5000 - len(lines)) in summary[0]


async def test_a_bug_in_the_hall_costs_one_event_not_the_server(server, caplog):
    """If applying an event raises something unexpected, the sender gets internal_error, the hall
    goes back to what it had accepted before, and the next event is applied as usual."""
    caplog.set_level("ERROR", logger="server.web.hub")
    hall = server.hub.hall
    receive = hall.receive

    def buggy(event):
        receive(event)
        if event.ticket == "A002":
            raise RuntimeError("a bug, halfway through")

    hall.receive = buggy
    replies = await server.post([raw("ticket.issued", at(0), ticket="A001", service="quick"),
                                 raw("ticket.issued", at(1), ticket="A002", service="quick"),
                                 raw("ticket.issued", at(2), ticket="A003", service="quick")])
    assert [r["type"] for r in replies] == ["ack", "error", "ack"]
    assert replies[1]["code"] == "internal_error" and replies[1]["id"]
    waiting = [t["ticket"] for t in (await server.state())["waiting"]]
    assert waiting == ["A001", "A003"]
    assert any("a bug, halfway through" in (r.exc_text or "") for r in caplog.records)


async def test_a_bug_on_a_clock_tick_leaves_the_hall_as_its_inputs_build_it(wall_server, caplog):
    """An unexpected exception while the wall clock moves the hall: the hall is rebuilt from the
    inputs it accepted, and the next tick and event work."""
    caplog.set_level("ERROR", logger="server.web.hub")
    await wall_server.post([raw("ticket.issued", at(0), ticket="A001", service="quick")])
    hall = wall_server.hub.hall

    def buggy(now):
        raise RuntimeError("a bug in a review")

    hall.advance = buggy
    assert wall_server.hub.advance_clock(at(1)) is None
    assert wall_server.hub.hall is not hall
    assert [t["ticket"] for t in (await wall_server.state())["waiting"]] == ["A001"]
    assert wall_server.hub.advance_clock(at(20)) is not None  # care_15 came due
    assert any("a bug in a review" in (r.exc_text or "") for r in caplog.records)
