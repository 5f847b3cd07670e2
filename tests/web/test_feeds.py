"""The staff and display feeds, and the wall clock that fires alerts with no events."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import aiohttp

from tests.halltools import T0, at, raw
from tests.web.conftest import receive_json


async def wait_for(predicate, timeout=5.0):
    """Poll a condition the server reaches asynchronously (not a timing assertion)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


async def test_staff_snapshot_then_raised_ack_resolved(server):
    """A tablet gets the snapshot, then raised; its ack reaches every tablet; a call resolves it."""
    a, b = await server.staff_socket(), await server.staff_socket()
    assert (await receive_json(a)) ["type"] == "snapshot"
    assert (await receive_json(b))["alerts"] == []
    await server.post([raw("window.opened", at(0), window="1"),
                       raw("ticket.issued", at(0), ticket="A001", service="quick"),
                       raw("clock.tick", at(15))])
    raised = await receive_json(a)
    assert raised["type"] == "alert.raised"
    alert = raised["alert"]
    assert alert["kind"] == "care_15" and alert["ticket"] == "A001" and alert["service"] == "quick"
    assert set(alert) >= {"id", "kind", "ticket", "service", "raised_at", "waited_s", "waiting", "open_windows",
                          "recommended_windows", "message", "acknowledged_by"}
    assert (await receive_json(b))["alert"]["id"] == alert["id"]

    await a.send_str(json.dumps({"type": "alert.ack", "id": alert["id"], "by": "王芳"}))
    for ws in (a, b):
        acked = await receive_json(ws)
        assert acked["type"] == "alert.acknowledged" and acked["alert"]["acknowledged_by"] == "王芳"
    await b.send_str(json.dumps({"type": "alert.ack", "id": alert["id"], "by": "Li"}))
    refused = await receive_json(b)
    assert refused["type"] == "error" and refused["code"] == "already_acknowledged"

    await server.post([raw("ticket.called", at(16), ticket="A001", window="1")])
    resolved = await receive_json(a)
    assert resolved["type"] == "alert.resolved" and resolved["alert"]["id"] == alert["id"]
    state = await server.state()
    assert state["alerts"] == []


async def test_reconnecting_tablet_gets_active_alerts_in_its_snapshot(server):
    """A tablet that connects later sees the active alerts, acknowledged ones with their taker."""
    await server.post([raw("ticket.issued", at(0), ticket="A001", service="quick"), raw("clock.tick", at(31))])
    ws = await server.staff_socket()
    snapshot = await receive_json(ws)
    kinds = [a["kind"] for a in snapshot["alerts"]]
    # Most urgent first; care_soon was resolved when care_15 came due; staffing asks for a window.
    assert kinds == ["care_30", "care_15", "open_windows", "staffing"]


async def test_staff_socket_needs_the_staff_token(server):
    """The queue token does not open the staff feed."""
    ws = await server.session.ws_connect(server.ws_url("/ws/staff", "queue-secret"))
    assert (await ws.receive()).type is aiohttp.WSMsgType.CLOSE and ws.close_code == 4401


async def test_bad_staff_messages_get_errors(server):
    """Unknown types, bad JSON and unknown alerts are answered with errors, socket open."""
    ws = await server.staff_socket()
    await receive_json(ws)
    await ws.send_str("{x")
    assert (await receive_json(ws))["code"] == "invalid_json"
    await ws.send_str(json.dumps({"type": "alert.nap"}))
    assert (await receive_json(ws))["code"] == "unknown_type"
    await ws.send_str(json.dumps({"type": "alert.ack", "id": "nope", "by": "x"}))
    assert (await receive_json(ws))["code"] == "unknown_alert"


async def test_display_gets_state_on_connect_and_on_change(server):
    """A screen gets display.state at once and again after a call, newest call first."""
    ws = await server.session.ws_connect(server.ws_url("/ws/display"))
    first = await receive_json(ws)
    assert first["type"] == "display.state"
    await server.post([raw("window.opened", at(0), window="3"),
                       raw("ticket.issued", at(0), ticket="A001", service="quick"),
                       raw("ticket.issued", at(0), ticket="A002", service="quick"),
                       raw("ticket.called", at(1), ticket="A001", window="3"),
                       raw("ticket.called", at(2), ticket="A002", window="3")])
    state = first
    while len(state["calls"]) < 2:
        state = await receive_json(ws)
        assert state["seq"] > first["seq"]
    assert [(c["ticket"], c["window"], c["recall"]) for c in state["calls"]] == [("A002", "3", False),
                                                                                ("A001", "3", False)]
    quick = next(s for s in state["services"] if s["id"] == "quick")
    assert quick["name"] == "缴费查询" and quick["name_en"]
    assert state["hall"]["name"] and state["open_windows"] == 1
    assert "A001" not in json.dumps(state["services"])  # no per-customer data beyond calls
    await ws.close()


async def test_display_calls_keep_only_the_last_ten(server):
    """The display lists at most 10 calls."""
    await server.post([raw("window.opened", at(0), window="1")] + [
        raw("ticket.called", at(n), ticket=f"A{n:03}", window="1") for n in range(15)])
    ws = await server.session.ws_connect(server.ws_url("/ws/display"))
    state = await receive_json(ws)
    assert len(state["calls"]) == 10 and state["calls"][0]["ticket"] == "A014"
    await ws.close()


async def test_display_answers_an_app_level_ping_and_ignores_other_input(server):
    """Browsers cannot send WebSocket pings: {"type":"ping"} gets a pong; anything else nothing."""
    ws = await server.session.ws_connect(server.ws_url("/ws/display"))
    assert (await receive_json(ws))["type"] == "display.state"
    await ws.send_str("not json")
    await ws.send_str(json.dumps({"type": "ack", "id": "x"}))
    await ws.send_str(json.dumps({"type": "ping"}))
    assert await receive_json(ws) == {"type": "pong"}
    await ws.close()


async def test_slow_display_gets_only_the_latest_state(server):
    """A screen that does not read while many changes happen then receives the newest state."""
    ws = await server.session.ws_connect(server.ws_url("/ws/display"))
    await server.post([raw("ticket.issued", at(n / 100), ticket=f"A{n:03}", service="quick") for n in range(200)])
    await wait_for(lambda: server.hub.hall.version == server.hub.display.looked_at)
    latest = None
    while True:
        try:
            latest = await receive_json(ws, timeout=0.5)
        except asyncio.TimeoutError:
            break
    assert latest is not None and latest["waiting_total"] == 200
    await ws.close()


async def test_wall_clock_fires_alerts_with_no_events(wall_server):
    """With the wall clock, care_15 fires when time passes, no event needed."""
    server = wall_server
    ws = await server.staff_socket()
    await receive_json(ws)
    await server.post([raw("window.opened", T0, window="1"), raw("ticket.issued", T0, ticket="A001", service="quick")])
    server.clock.now = T0 + timedelta(minutes=15)
    raised = await receive_json(ws)
    assert raised["type"] == "alert.raised" and raised["alert"]["kind"] == "care_15"
    assert raised["alert"]["raised_at"] == (T0 + timedelta(minutes=15)).isoformat()


async def test_wall_clock_rejects_events_from_more_than_5_minutes_ahead(wall_server):
    """An event 6 minutes in the future is refused; 4 minutes is fine."""
    replies = await wall_server.post([raw("clock.tick", T0 + timedelta(minutes=6)),
                                      raw("clock.tick", T0 + timedelta(minutes=4))])
    assert replies[0]["code"] == "future_timestamp" and replies[1]["type"] == "ack"


async def test_event_clock_follows_the_largest_at(server):
    """With the event clock, the hall's time is the largest 'at' seen, never the wall clock."""
    await server.post([raw("clock.tick", at(30)), raw("clock.tick", at(10))])
    assert server.hub.hall.now == at(30)


async def test_tablet_that_falls_behind_is_cut_off_and_resyncs(server, monkeypatch):
    """A tablet too far behind is closed with 4008; on reconnect its snapshot has every active alert."""
    from server.web import fanout

    monkeypatch.setattr(fanout, "STAFF_QUEUE_LIMIT", 5)
    ws = await server.staff_socket()
    await receive_json(ws)
    await server.post([raw("ticket.issued", at(0), ticket=f"A{n:03}", service="quick") for n in range(20)]
                      + [raw("clock.tick", at(16))])
    closed_with = None
    for _ in range(100):
        msg = await asyncio.wait_for(ws.receive(), 5)
        if msg.type is aiohttp.WSMsgType.CLOSE:
            closed_with = msg.data
            break
    assert closed_with == fanout.CLOSE_TOO_SLOW
    again = await server.staff_socket()
    snapshot = await receive_json(again)
    assert sum(1 for a in snapshot["alerts"] if a["kind"] == "care_15") == 20


async def test_display_state_before_any_event_has_a_time_and_date(server):
    """A fresh hall still sends a timestamp and a date, never null."""
    ws = await server.session.ws_connect(server.ws_url("/ws/display"))
    state = await receive_json(ws)
    assert state["at"] and state["hall"]["date"]
    await ws.close()
