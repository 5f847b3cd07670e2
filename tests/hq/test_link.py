"""The hall's `hq.link` in /api/state: online -> late -> offline -> online as head office slows, stops, returns.

Real `waitwell hq` behind a WAN the test controls; the hall in-process with a wall clock the test
moves, so that "60 s without an answer" (forwarder.OFFLINE_AFTER_S) is a jump, not a wait.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import aiohttp
from aiohttp import web

from server.config_file import load_config
from server.web import forwarder
from server.web.app import create_app
from server.web.forwarder import HQLink
from server.web.tokens import Tokens

from tests.halltools import at, raw
from tests.hq.conftest import HQ_TOKEN, free_port, hq_process, start_wan, wait_for
from tests.web.conftest import QUEUE, STAFF, FakeClock


async def test_the_link_goes_online_late_offline_and_online_again(tmp_path, database):
    hq = hq_process(tmp_path / "hq", free_port(), db=database)
    mode = "pass"

    async def wan(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if mode == "down":
            assert request.transport is not None
            request.transport.abort()  # head office stopped answering
            return web.Response()
        if mode == "slow":
            await asyncio.sleep(forwarder.TIMEOUT_S + 5)  # an answer later than the hall waits for
        async with aiohttp.ClientSession() as upstream:
            async with upstream.post(hq.url + request.path, data=body, headers={
                    "Authorization": request.headers.get("Authorization", ""),
                    "Content-Type": "application/json"}) as resp:
                return web.Response(body=await resp.read(), status=resp.status, content_type="application/json")

    runners: list[web.AppRunner] = []  # cleaned up last to first
    try:
        await hq.start()
        wan_runner, wan_url = await start_wan("/api/halls/{hall_id}/journal", wan)
        runners.append(wan_runner)

        clock = FakeClock(datetime.now(timezone.utc))
        hall_app = create_app(load_config(), data_dir=tmp_path / "hall",
                              tokens=Tokens(queue=QUEUE, staff=STAFF, display=None), clock="event",
                              wall_clock=clock, hq=HQLink(wan_url, "h1", HQ_TOKEN))
        hall_runner = web.AppRunner(hall_app)
        await hall_runner.setup()
        runners.insert(0, hall_runner)
        hall_port = free_port()
        await web.TCPSite(hall_runner, "127.0.0.1", hall_port).start()
        hall = f"http://127.0.0.1:{hall_port}"
        async with aiohttp.ClientSession() as session:
            async def hq_state() -> dict:
                async with session.get(hall + "/api/state", headers={"Authorization": f"Bearer {STAFF}"}) as resp:
                    return (await resp.json())["hq"]

            async def post(minute: float) -> None:
                async with session.post(hall + "/api/events", json=[raw("clock.tick", at(minute))],
                                        headers={"Authorization": f"Bearer {QUEUE}"}) as resp:
                    assert resp.status == 200 and (await resp.json())[0]["type"] == "ack"

            async def link_is(link: str) -> dict | None:
                state = await hq_state()
                return state if state["link"] == link else None

            await post(1)
            await wait_for(lambda: link_is("online"))
            mode = "slow"
            await post(2)  # ingest never waits for head office
            late = await wait_for(lambda: link_is("late"), timeout=forwarder.TIMEOUT_S + 15)
            assert late["error"] is None and late["since"] == clock.now.isoformat()
            # No answer for longer than OFFLINE_AFTER_S since the last one: offline at the next failure.
            mode = "down"
            clock.now += timedelta(seconds=forwarder.OFFLINE_AFTER_S + 1)
            offline = await wait_for(lambda: link_is("offline"), timeout=forwarder.TIMEOUT_S + 15)
            assert offline["since"] == clock.now.isoformat()
            acknowledged = offline["acknowledged_seq"]
            mode = "pass"
            await post(3)
            online = await wait_for(lambda: link_is("online"), timeout=20)
            assert online["acknowledged_seq"] > acknowledged
    finally:
        for runner in runners:
            await runner.cleanup()
        hq.stop()
