"""The harder faults: PostgreSQL restarted under head office, a WAN that loses answers, a hall killed mid-forward."""

from __future__ import annotations

import itertools

import aiohttp
from aiohttp import web

from server.hq.pg import EmbeddedPostgres

from tests.hq.conftest import (HQ_TOKEN, free_port, get_json, hall_process, hq_process, post_events, start_wan,
                               wait_for)
from tests.hq.test_chain import day_events, stored_seqs


async def caught_up_state(session, hall):
    async def check():
        _, s = await get_json(session, hall.url + "/api/state", "s")
        return s if s["hq"]["acknowledged_seq"] == s["journal_seq"] and s["hq"]["link"] == "online" else None
    return await wait_for(check, timeout=30)


async def test_postgresql_restarted_under_head_office(tmp_path, pg_dir):
    events = day_events(900, seed=7)
    pg = EmbeddedPostgres(pg_dir / "pg")
    pg.start()
    hq = hq_process(tmp_path / "hq", free_port(), db=pg.dsn)
    hall = hall_process(tmp_path / "hall", free_port(), hq_url=hq.url, hall_id="h1")
    try:
        await hq.start()
        await hall.start()
        async with aiohttp.ClientSession() as session:
            await post_events(session, hall.url, events[:300])
            await caught_up_state(session, hall)
            port = pg.port
            pg.stop()
            await post_events(session, hall.url, events[300:600])

            async def refused():
                async with session.get(hq.url + "/api/halls", headers={"Authorization": f"Bearer {HQ_TOKEN}"}) as r:
                    return r.status == 503
            await wait_for(refused)
            pg = EmbeddedPostgres(pg_dir / "pg", port=port)
            pg.start()
            await post_events(session, hall.url, events[600:])
            own = await caught_up_state(session, hall)
            assert stored_seqs(pg.dsn, "h1") == list(range(1, own["journal_seq"] + 1))
            _, remote = await get_json(session, hq.url + "/api/halls/h1/state", HQ_TOKEN)
            assert remote["waiting"] == own["waiting"] and remote["alerts"] == own["alerts"]
    finally:
        hall.stop()
        hq.stop()
        pg.stop()


async def test_a_wan_that_loses_every_third_answer_still_delivers_everything_once(tmp_path, database):
    """Every third request reaches head office but its answer is lost: the hall sends it again."""
    events = day_events(1200, seed=8)
    hq = hq_process(tmp_path / "hq", free_port(), db=database)
    await hq.start()
    counter = itertools.count(1)
    lost = 0

    async def lossy(request: web.Request) -> web.StreamResponse:
        nonlocal lost
        body = await request.read()
        async with aiohttp.ClientSession() as upstream:
            async with upstream.post(hq.url + request.path, data=body, headers={
                    "Authorization": request.headers.get("Authorization", ""),
                    "Content-Type": "application/json"}) as resp:
                answer, status = await resp.read(), resp.status
        if next(counter) % 3 == 0:
            lost += 1
            assert request.transport is not None
            request.transport.abort()  # stored at head office, answer never arrives
            return web.Response()
        return web.Response(body=answer, status=status, content_type="application/json")

    runner, wan_url = await start_wan("/api/halls/{hall_id}/journal", lossy)
    hall = hall_process(tmp_path / "hall", free_port(), hq_url=wan_url, hall_id="h1")
    try:
        await hall.start()
        async with aiohttp.ClientSession() as session:
            # Six posts, each forwarded before the next: at least six requests, so at least two lost answers.
            for start in range(0, len(events), 200):
                await post_events(session, hall.url, events[start:start + 200])
                own = await caught_up_state(session, hall)
            assert lost >= 2
            assert stored_seqs(database, "h1") == list(range(1, own["journal_seq"] + 1))
    finally:
        hall.stop()
        hq.stop()
        await runner.cleanup()


async def test_a_hall_killed_mid_forward_resumes_and_sends_each_record_once(tmp_path, database):
    events = day_events(1500, seed=9)
    hq = hq_process(tmp_path / "hq", free_port(), db=database)
    await hq.start()
    hall = hall_process(tmp_path / "hall", free_port(), hq_url=hq.url, hall_id="h1")
    try:
        await hall.start()
        async with aiohttp.ClientSession() as session:
            await post_events(session, hall.url, events[:1100])

            async def forwarding():
                status, halls = await get_json(session, hq.url + "/api/halls", HQ_TOKEN)
                return status == 200 and halls["halls"] and halls["halls"][0]["last_seq"] > 0
            await wait_for(forwarding)
            hall.kill9()
            await hall.start()
            await post_events(session, hall.url, events[1100:])
            own = await caught_up_state(session, hall)
            assert stored_seqs(database, "h1") == list(range(1, own["journal_seq"] + 1))
            _, remote = await get_json(session, hq.url + "/api/halls/h1/state", HQ_TOKEN)
            assert remote["waiting"] == own["waiting"] and remote["alerts"] == own["alerts"]
    finally:
        hall.stop()
        hq.stop()
