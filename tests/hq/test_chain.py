"""A hall forwarding its journal to head office: real processes, real PostgreSQL."""

from __future__ import annotations

import aiohttp
import psycopg

from server.simulator.day import simulate_day

from tests.hq.conftest import HQ_TOKEN, free_port, get_json, hall_process, hq_process, post_events, wait_for


def day_events(n: int, seed: int = 3) -> list[dict]:
    return [e for e in simulate_day("month_end", seed=seed, plan_scale=0.5).events[:n]]


def stored_seqs(dsn: str, hall_id: str) -> list[int]:
    with psycopg.connect(dsn) as conn:
        return [r[0] for r in conn.execute("SELECT seq FROM hall_records WHERE hall_id = %s ORDER BY seq", (hall_id,))]


async def test_head_office_down_while_the_hall_ingests_then_up_gets_everything_once_in_order(tmp_path, database):
    events = day_events(600)
    hq = hq_process(tmp_path / "hq", free_port(), db=database)
    hall = hall_process(tmp_path / "hall", free_port(), hq_url=hq.url, hall_id="h1")
    await hall.start()
    try:
        async with aiohttp.ClientSession() as session:
            await post_events(session, hall.url, events[:300])
            _, state = await get_json(session, hall.url + "/api/state", "s")
            assert state["hq"]["link"] == "offline" and state["hq"]["acknowledged_seq"] == 0
            assert state["journal_seq"] >= 301  # the config record and 300 events at least
            await hq.start()
            await post_events(session, hall.url, events[300:])

            async def caught_up():
                _, s = await get_json(session, hall.url + "/api/state", "s")
                return s if s["hq"]["acknowledged_seq"] == s["journal_seq"] and s["hq"]["link"] == "online" else None

            own = await wait_for(caught_up)
            assert stored_seqs(database, "h1") == list(range(1, own["journal_seq"] + 1))
            status, remote = await get_json(session, hq.url + "/api/halls/h1/state", HQ_TOKEN)
            assert status == 200
            # The same document, built by the same code from the same records.
            for key in ("at", "date", "waiting_total", "waiting", "windows", "alerts", "journal_seq"):
                assert remote[key] == own[key], key
            status, halls = await get_json(session, hq.url + "/api/halls", HQ_TOKEN)
            assert status == 200
            [h1] = halls["halls"]
            assert h1["hall_id"] == "h1" and h1["last_seq"] == own["journal_seq"] and h1["link"] == "online"
            assert h1["waiting_total"] == own["waiting_total"]
    finally:
        hall.stop()
        hq.stop()

