"""GET /api/report: a past day replayed from the store and today's from the live replica, per hall and in total."""

from __future__ import annotations

import csv
import io

import aiohttp

from server.config_file import load_config
from server.events import parse_event
from server.hall import Hall
from server.hq.report import Day
from server.simulator.day import simulate_day

from tests.hq.conftest import HQ_TOKEN, free_port, get_json, hall_process, hq_process, post_events, wait_for


def local_day(events: list[dict]) -> dict:
    """The figures of the hall the events build, made here without any server."""
    hall = Hall(load_config())
    for event in events:
        hall.receive(parse_event(event))
    return Day.of(hall).figures()


async def test_report_of_a_closed_day_and_of_today_per_hall_and_in_total(tmp_path, database):
    day1 = simulate_day("quiet", seed=1, date="2026-11-30").events
    day2 = simulate_day("quiet", seed=2, date="2026-12-01").events[:300]
    other = simulate_day("quiet", seed=3, date="2026-11-30").events[:500]
    hq = hq_process(tmp_path / "hq", free_port(), db=database)
    await hq.start()
    h1 = hall_process(tmp_path / "h1", free_port(), hq_url=hq.url, hall_id="h1")
    h2 = hall_process(tmp_path / "h2", free_port(), hq_url=hq.url, hall_id="h2")
    try:
        await h1.start()
        await h2.start()
        async with aiohttp.ClientSession() as session:
            await post_events(session, h1.url, day1 + day2)
            await post_events(session, h2.url, other)

            async def both_forwarded():
                states = [(await get_json(session, h.url + "/api/state", "s"))[1] for h in (h1, h2)]
                return all(s["hq"]["acknowledged_seq"] == s["journal_seq"] for s in states)

            await wait_for(both_forwarded, timeout=30)
            status, report = await get_json(session, hq.url + "/api/report?date=2026-11-30", HQ_TOKEN)
            assert status == 200
            by_id = {row["hall_id"]: row for row in report["halls"]}
            expected1, expected2 = local_day(day1), local_day(other)
            assert {k: by_id["h1"][k] for k in expected1} == expected1
            assert {k: by_id["h2"][k] for k in expected2} == expected2
            assert expected1["tickets"] > 100 and expected1["care_alerts_raised"] >= 0
            assert report["total"]["tickets"] == expected1["tickets"] + expected2["tickets"]
            assert report["total"]["served"] == expected1["served"] + expected2["served"]

            status, today = await get_json(session, hq.url + "/api/report?date=2026-12-01", HQ_TOKEN)
            [row] = today["halls"]
            _, own = await get_json(session, h1.url + "/api/report", "s")
            assert row["hall_id"] == "h1" and row["tickets"] == own["issued"] and row["served"] == own["served"]

            async with session.get(hq.url + "/api/report?date=2026-11-30&format=csv",
                                   headers={"Authorization": f"Bearer {HQ_TOKEN}"}) as resp:
                assert resp.status == 200 and resp.content_type == "text/csv"
                rows = list(csv.DictReader(io.StringIO(await resp.text())))
            assert [r["hall_id"] for r in rows] == ["h1", "h2", "total"]
            assert int(rows[2]["tickets"]) == report["total"]["tickets"]
            assert (await get_json(session, hq.url + "/api/report?date=30.11.2026", HQ_TOKEN))[0] == 400
    finally:
        h1.stop()
        h2.stop()
        hq.stop()
