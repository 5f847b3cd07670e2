"""A display.state goes out when something a screen shows changes, the hall's time included, and only then."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import aiohttp

from server.web.display_feed import shown_part
from tests.halltools import T0, at, raw
from tests.web.conftest import Running, receive_json
from tests.web.test_feeds import wait_for


async def settled(server: Running) -> None:
    """Wait until the hub's display broadcaster has looked at the hall as it is now."""
    hub = server.hub
    await wait_for(lambda: not hub._display_dirty.is_set() and hub.display.looked_at == hub.hall.version)


async def screen(server: Running) -> tuple[aiohttp.ClientWebSocketResponse, dict[str, Any]]:
    """Connect a screen once the hub is settled; return it with the state it got on connect."""
    await settled(server)
    ws = await server.session.ws_connect(server.ws_url("/ws/display"))
    server.sockets.append(ws)
    return ws, await receive_json(ws)


async def next_state_is_the_call(ws: aiohttp.ClientWebSocketResponse, before: dict[str, Any],
                                 server: Running, when) -> None:
    """Call A001 and check that the screen's next state is that call, numbered right after ``before``."""
    await settled(server)
    await server.post([raw("ticket.called", when, ticket="A001", window="1")])
    state = await receive_json(ws)
    assert state["calls"][0]["ticket"] == "A001"
    assert state["seq"] == before["seq"] + 1  # no state in between, and seq counts only real changes


async def screen_then_care_alert_taken(server: Running) -> tuple[aiohttp.ClientWebSocketResponse, dict[str, Any]]:
    """A001 waits 15 minutes; a screen connects, then a tablet takes the care alert. Return the screen."""
    await server.post([raw("window.opened", at(0), window="1"),
                       raw("ticket.issued", at(0), ticket="A001", service="quick"), raw("clock.tick", at(15))])
    ws, first = await screen(server)
    tablet = await server.staff_socket()
    care = next(a for a in (await receive_json(tablet))["alerts"] if a["kind"] == "care_15")
    version = server.hub.hall.version
    await tablet.send_str(json.dumps({"type": "alert.ack", "id": care["id"], "by": "王芳"}))
    assert (await receive_json(tablet))["type"] == "alert.acknowledged"
    assert server.hub.hall.version > version  # the hall did change, only not on the screens
    return ws, first


async def test_an_acknowledgement_sends_no_display_state(server):
    """Taking a care alert changes nothing on the screens: the next state they get is the next call."""
    ws, first = await screen_then_care_alert_taken(server)
    await next_state_is_the_call(ws, first, server, at(15))


async def care_15_on(tablet: aiohttp.ClientWebSocketResponse) -> None:
    """Read the tablet until care_15 comes (the advice to close the idle second window may come first)."""
    for _ in range(5):
        if (await receive_json(tablet)).get("alert", {}).get("kind") == "care_15":
            return
    raise AssertionError("no care_15 on the tablet")


async def test_a_clock_tick_that_raises_a_care_alert_sends_no_display_state(server):
    """A tick that only raises care alerts, with the hall's time where the screens count it, sends nothing.

    Two windows free: a newcomer is called at once, so the shown wait does not follow A001's growing
    wait (head-of-line evidence moves a newcomer's estimate as the head waits longer; that is a change
    the screens show)."""
    await server.post([raw("window.opened", at(0), window="1"), raw("window.opened", at(0), window="2"),
                       raw("ticket.issued", at(0), ticket="A001", service="quick")])
    server.clock.now = at(0)
    ws, first = await screen(server)
    tablet = await server.staff_socket()
    await receive_json(tablet)
    server.clock.now = at(15)  # real time went by as the hall's: the screens' clocks show at(15)
    await server.post([raw("clock.tick", at(15))])
    await care_15_on(tablet)
    await next_state_is_the_call(ws, first, server, at(15))


async def test_a_care_alert_raised_by_the_wall_clock_sends_no_display_state(wall_server):
    """With the wall clock, fifteen minutes passing raise care_15 and send the screens nothing (two
    windows free, as above)."""
    server = wall_server
    await server.post([raw("window.opened", T0, window="1"), raw("window.opened", T0, window="2"),
                       raw("ticket.issued", T0, ticket="A001", service="quick")])
    ws, first = await screen(server)
    tablet = await server.staff_socket()
    await receive_json(tablet)
    server.clock.now = T0 + timedelta(minutes=15)
    await care_15_on(tablet)
    await next_state_is_the_call(ws, first, server, T0 + timedelta(minutes=15))


async def test_a_jump_of_the_halls_clock_is_sent_though_nothing_else_changed(server):
    """Event clock: a tick ten minutes on, with nobody waiting, still corrects the screens' clocks."""
    ws, first = await screen(server)
    await server.post([raw("clock.tick", at(10))])
    state = await receive_json(ws)
    assert state["at"] == at(10).isoformat() and state["seq"] == first["seq"] + 1


async def test_a_screen_connecting_later_gets_the_halls_time_of_now(wall_server):
    """A state cached while the hall was quiet is not handed out with its old time."""
    server = wall_server
    await server.post([raw("window.opened", T0, window="1")])
    ws, first = await screen(server)
    assert first["at"] == T0.isoformat()
    server.clock.now = T0 + timedelta(minutes=10)
    await wait_for(lambda: server.hub.hall.now == T0 + timedelta(minutes=10))
    late, state = await screen(server)
    assert state["at"] == (T0 + timedelta(minutes=10)).isoformat()
    assert shown_part(state) == shown_part(first)


async def test_screens_that_skipped_no_state_still_show_the_same_seq_for_the_same_state(server):
    """Two screens, one connected before an invisible change and one after, get the same next state."""
    a, first = await screen_then_care_alert_taken(server)
    b, second = await screen(server)
    assert second == first  # nothing shown changed: the same state, the same seq
    await server.post([raw("ticket.called", at(15), ticket="A001", window="1")])
    from_a, from_b = await asyncio.gather(receive_json(a), receive_json(b))
    assert from_a == from_b and from_a["seq"] == first["seq"] + 1


async def test_a_wait_that_changes_with_the_time_of_day_reaches_the_screens_with_no_event(tmp_path):
    """Window 1 closes at 12:00 by its configured hours: as the wall clock nears noon, the expected
    wait of a newcomer grows, and the screens get it though no event arrives."""
    from server.config_file import parse_config
    from tests.web.conftest import FakeClock, start_server, stop_server

    # No predicted alerts, so that the quiet minutes change nothing in the hall but the time.
    config = parse_config({"windows": [{"id": "1", "hours": ["09:00-12:00"]}, {"id": "2", "hours": ["09:00-17:00"]}],
                           "services": [{"id": "quick", "name": "快", "prefix": "A", "mean_service_s": 180}],
                           "alerts": {"care_soon_probability": 0}, "staffing": {"enabled": False}})
    clock = FakeClock(T0.replace(hour=11, minute=30))
    running = await start_server(tmp_path, clock="wall", fake=clock, config=config)
    try:
        events = [raw("window.opened", clock.now, window="1"), raw("window.opened", clock.now, window="2")]
        events += [raw("ticket.issued", clock.now, ticket=f"A{n:03}", service="quick") for n in range(30)]
        await running.post(events)
        ws, first = await screen(running)
        quick = next(s for s in first["services"] if s["id"] == "quick")
        version = running.hub.hall.version
        clock.now = T0.replace(hour=11, minute=40)  # nothing is due: the ticker journals nothing
        state = await receive_json(ws, timeout=5)
        later = next(s for s in state["services"] if s["id"] == "quick")
        assert running.hub.hall.version == version
        assert later["expected_wait_s"] != quick["expected_wait_s"]
        assert state["seq"] == first["seq"] + 1 and state["at"].startswith("2026-11-30T11:40")
    finally:
        await stop_server(running)


async def test_with_no_screen_connected_no_state_is_built_and_a_screen_that_comes_gets_the_hall_as_it_is(server):
    """Ingest builds no display.state for nobody; a screen that connects then gets the current hall,
    and the changes after it."""
    await server.post([raw("window.opened", at(0), window="1")]
                      + [raw("ticket.issued", at(n / 60), ticket=f"A{n:03}", service="quick") for n in range(1, 31)])
    await settled(server)
    assert server.hub.display._seq == 0  # nothing numbered: no state was built
    ws, first = await screen(server)
    assert first["waiting_total"] == 30
    await server.post([raw("ticket.issued", at(1), ticket="A031", service="quick")])
    assert (await receive_json(ws))["waiting_total"] == 31
