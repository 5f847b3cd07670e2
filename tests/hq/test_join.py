"""A hall that joins head office after pruning its journal: its records from the oldest kept on, marked as a start."""

from __future__ import annotations

import time

import aiohttp

from server.web.app import JOURNAL_FILE
from server.web.journal import prune, read_after

from tests.halltools import at, raw
from tests.hq.conftest import (HQ_TOKEN, Process, free_port, get_json, hall_process, hq_process, post_events,
                               wait_for)
from tests.hq.test_chain import stored_seqs


DAY_S = 24 * 60


def day(first: float, n: int, prefix: str) -> list[dict]:
    """A window opens, ``n`` tickets come, most are called and done: a small day from minute ``first``."""
    events = [raw("window.opened", at(first), window="1")]
    for i in range(1, n + 1):
        ticket = f"{prefix}{i:03d}"
        events.append(raw("ticket.issued", at(first + i), ticket=ticket, service="quick"))
        if i < n - 2:
            events += [raw("ticket.called", at(first + i + 0.5), ticket=ticket, window="1"),
                       raw("ticket.served", at(first + i + 0.9), ticket=ticket, window="1")]
    return events


async def test_a_hall_that_pruned_its_journal_joins_head_office_from_its_oldest_kept_record(tmp_path, database):
    data = tmp_path / "hall"
    data.mkdir()
    port = free_port()
    alone = Process(["serve", "--port", str(port), "--data-dir", str(data), "--clock", "event",
                     "--queue-token", "q", "--staff-token", "s"], f"http://127.0.0.1:{port}", data / "alone.log")
    await alone.start()
    try:
        async with aiohttp.ClientSession() as session:
            await post_events(session, alone.url, day(0, 12, "A"))
            await post_events(session, alone.url, day(DAY_S, 8, "B"))  # a new day: the hall journals a snapshot
    finally:
        alone.stop()
    journal = data / JOURNAL_FILE
    assert prune(journal, time.time() + 60) > 0  # as keep_days does to days long past
    first = read_after(journal, 0, 1)[0][0]
    assert first > 1

    hq = hq_process(tmp_path / "hq", free_port(), db=database)
    hall = hall_process(data, free_port(), hq_url=hq.url, hall_id="h1")
    await hq.start()
    await hall.start()
    try:
        async with aiohttp.ClientSession() as session:
            await post_events(session, hall.url, day(DAY_S + 30, 3, "C"))

            async def caught_up():
                _, s = await get_json(session, hall.url + "/api/state", "s")
                return s if s["hq"]["acknowledged_seq"] == s["journal_seq"] and s["hq"]["link"] == "online" else None

            own = await wait_for(caught_up)
            assert own["hq"]["error"] is None
            assert stored_seqs(database, "h1") == list(range(first, own["journal_seq"] + 1))
            _, remote = await get_json(session, hq.url + "/api/halls/h1/state", HQ_TOKEN)
            for key in ("at", "date", "waiting_total", "waiting", "windows", "alerts", "journal_seq"):
                assert remote[key] == own[key], key

            # Once head office holds records, a gap is refused whether or not the batch says it starts.
            last = own["journal_seq"]
            batch = {"start": True, "records": [{"seq": last + 5, "kind": "event", "event_id": "x",
                                                 "body": {"id": "x", "type": "clock.tick", "at": at(DAY_S + 99).isoformat()}}]}
            async with session.post(hq.url + "/api/halls/h1/journal", json=batch,
                                    headers={"Authorization": f"Bearer {HQ_TOKEN}"}) as resp:
                assert resp.status == 409
                assert (await resp.json())["error"] | {"message": ""} == {
                    "code": "gap", "message": "", "stored_seq": last, "sent_seq": last + 5}
            async with session.post(hq.url + "/api/halls/h1/journal", json={**batch, "start": "yes"},
                                    headers={"Authorization": f"Bearer {HQ_TOKEN}"}) as resp:
                assert resp.status == 400
            assert stored_seqs(database, "h1")[-1] == last
    finally:
        hall.stop()
        hq.stop()
