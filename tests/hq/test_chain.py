"""A hall forwarding its journal to head office: real processes, real PostgreSQL."""

from __future__ import annotations

import aiohttp
import psycopg

from server.simulator.day import simulate_day

from tests.web.test_protocol_doc import check
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
            check("state", own)
            check("state", remote)
            # Added by the endpoints (the pure hall_state, which the schema also checks, has neither).
            assert {"journal_seq", "hq"} <= set(own) and {"journal_seq", "hq"} <= set(remote)
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



async def test_head_office_killed_mid_stream_and_restarted_on_its_embedded_postgres(tmp_path, pg_dir):
    """SIGKILL head office while a hall ships; its PostgreSQL stops with it; the restart holds every record once."""
    from tests.proctools import descendants, wait_gone

    events = day_events(1500, seed=4)
    port = free_port()
    hq = hq_process(pg_dir / "hq", port, db=None)
    hall = hall_process(tmp_path / "hall", free_port(), hq_url=hq.url, hall_id="h1")
    await hq.start()
    await hall.start()
    try:
        async with aiohttp.ClientSession() as session:
            await post_events(session, hall.url, events[:1000])

            async def some_arrived():
                status, halls = await get_json(session, hq.url + "/api/halls", HQ_TOKEN)
                return status == 200 and halls["halls"] and halls["halls"][0]["last_seq"] > 0

            await wait_for(some_arrived)
            postgres = descendants(hq.proc.pid)
            assert any("postgres" in p.cmdline for p in postgres)
            hq.kill9()
            # Told by the kernel that head office died, the server shuts down (nothing orphaned).
            assert wait_gone(postgres, 15) == []
            await post_events(session, hall.url, events[1000:])
            _, state = await get_json(session, hall.url + "/api/state", "s")
            assert state["hq"]["link"] in ("late", "offline")
            await hq.start()

            async def caught_up():
                _, s = await get_json(session, hall.url + "/api/state", "s")
                return s if s["hq"]["acknowledged_seq"] == s["journal_seq"] else None

            own = await wait_for(caught_up)
            dsn = f"postgresql://postgres@127.0.0.1:{_pg_port(pg_dir / 'hq')}/postgres"
            assert stored_seqs(dsn, "h1") == list(range(1, own["journal_seq"] + 1))
            _, remote = await get_json(session, hq.url + "/api/halls/h1/state", HQ_TOKEN)
            assert remote["waiting"] == own["waiting"] and remote["alerts"] == own["alerts"]
    finally:
        hall.stop()
        hq.stop()


def _pg_port(hq_dir) -> int:
    return int((hq_dir / "postgres" / "data" / "postmaster.pid").read_text().splitlines()[3])


HQ_YAML = """
halls:
  - id: h1
    token: "h1-secret"
    name: 一号厅
    name_en: Hall One
    region: east
  - id: h2
    token: "h2-secret"
"""


async def test_tokens_and_garbage_are_refused_and_nothing_is_stored(tmp_path, database):
    config = tmp_path / "hq.yaml"
    config.write_text(HQ_YAML, encoding="utf-8")
    hq = hq_process(tmp_path / "hq", free_port(), db=database, config=config)
    await hq.start()
    good = {"records": [{"seq": 1, "kind": "tick", "event_id": None, "body": {"at": "2026-11-30T09:00:00+08:00"}}]}
    try:
        async with aiohttp.ClientSession() as session:
            async def post(hall_id, token, body):
                async with session.post(f"{hq.url}/api/halls/{hall_id}/journal", data=body,
                                        headers={"Authorization": f"Bearer {token}"}) as resp:
                    return resp.status, await resp.json()

            import json
            assert (await post("h1", "wrong", json.dumps(good)))[0] == 401
            status, answer = await post("h1", "h2-secret", json.dumps(good))
            assert status == 403 and answer["error"]["code"] == "forbidden"
            for garbage in (b"not json", b"[1,2]", json.dumps({"records": [{"seq": 1, "kind": "nonsense", "body": {}}]}),
                            json.dumps({"records": [good["records"][0], {"seq": 3, "kind": "tick", "body": {}}]}),
                            json.dumps({"records": [{"seq": 0, "kind": "tick", "body": {}}]}),
                            json.dumps({"records": [{"seq": 1, "kind": "tick", "body": "x"}]})):
                status, answer = await post("h1", "h1-secret", garbage)
                assert status == 400, (garbage, answer)
            assert stored_seqs(database, "h1") == []
            # A gap: nothing stored either, and both numbers in the answer.
            status, answer = await post("h1", "h1-secret", json.dumps({"records": [
                {"seq": 5, "kind": "tick", "body": {"at": "2026-11-30T09:00:00+08:00"}}]}))
            assert status == 409 and answer["error"]["stored_seq"] == 0 and answer["error"]["sent_seq"] == 5
            assert (await post("h1", "h1-secret", json.dumps(good))) == (200, {"acknowledged_seq": 1})
            # Sent again (a lost answer): harmless.
            assert (await post("h1", HQ_TOKEN, json.dumps(good))) == (200, {"acknowledged_seq": 1})
            assert stored_seqs(database, "h1") == [1]
            status, _ = await get_json(session, hq.url + "/api/halls", "h1-secret")
            assert status == 403
            status, halls = await get_json(session, hq.url + "/api/halls", HQ_TOKEN)
            by_id = {h["hall_id"]: h for h in halls["halls"]}
            assert by_id["h1"]["name_en"] == "Hall One" and by_id["h1"]["region"] == "east"
            assert by_id["h2"]["link"] == "offline" and by_id["h2"]["last_seq"] == 0
    finally:
        hq.stop()


async def test_a_hall_restored_from_an_old_backup_is_refused_not_mixed(tmp_path, database):
    import shutil

    events = day_events(400, seed=6)
    hq = hq_process(tmp_path / "hq", free_port(), db=database)
    await hq.start()
    hall_dir, backup = tmp_path / "hall", tmp_path / "backup"
    port = free_port()
    hall = hall_process(hall_dir, port, hq_url=hq.url, hall_id="h1")
    try:
        async with aiohttp.ClientSession() as session:
            async def caught_up():
                _, s = await get_json(session, hall.url + "/api/state", "s")
                return s if s["hq"]["acknowledged_seq"] == s["journal_seq"] and s["hq"]["link"] == "online" else None

            await hall.start()
            await post_events(session, hall.url, events[:100])
            await wait_for(caught_up)
            hall.stop()
            shutil.copytree(hall_dir, backup)
            await hall.start()
            await post_events(session, hall.url, events[100:300])
            before = (await wait_for(caught_up))["journal_seq"]
            hall.stop()
            shutil.rmtree(hall_dir)
            shutil.copytree(backup, hall_dir)
            await hall.start()
            # Other events under the seqs head office already holds.
            await post_events(session, hall.url, events[300:400])

            async def refused():
                _, s = await get_json(session, hall.url + "/api/state", "s")
                return s if s["hq"]["error"] else None

            state = await wait_for(refused)
            assert state["hq"]["error"]["status"] == 409 and state["hq"]["error"]["code"] == "conflict"
            assert state["hq"]["error"]["stored_seq"] == before
            assert state["hq"]["link"] == "offline"
            assert stored_seqs(database, "h1") == list(range(1, before + 1))
    finally:
        hall.stop()
        hq.stop()
