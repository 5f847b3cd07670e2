"""A real ``waitwell serve`` and a real ``waitwell adapt orchestra`` process, fed the events
qp-events would POST (written from its documented envelope, not captured from a live Orchestra)."""

from __future__ import annotations

import base64

import aiohttp

from tests.adapters.payloads import ORCHESTRA_YAML, orchestra
from tests.adapters.test_adapt_end_to_end import drained, hall, post, state, ticket


AUTH = {"Authorization": "Basic " + base64.b64encode(b"qp-events:orch-secret-5678").decode()}


async def test_orchestra_events_reach_the_hall_only_with_the_secret(tmp_path):
    with hall(tmp_path, "orchestra", ORCHESTRA_YAML) as (server, adapter):
        await server.start()
        await adapter.start()
        async with aiohttp.ClientSession() as session:
            create = orchestra("VISIT_CREATE")
            for headers in ({}, {"X-WaitWell-Secret": "guess"}):
                status, body = await post(session, adapter.url + "/orchestra", create, headers=headers)
                assert status == 401 and body["error"]["code"] == "bad_secret"
            assert await ticket(session, server, "A012") is None

            for _ in range(2):  # the second is qp-events redelivering
                status, body = await post(session, adapter.url + "/orchestra", create, headers=AUTH)
                assert status == 200 and body["forwarded"] == 1
            waiting = (await state(session, server))["waiting"]
            assert [(t["ticket"], t["service"]) for t in waiting] == [("A012", "quick")]

            # The secret in the URL's query does as well: qp-events registers a URL and nothing else.
            opened = orchestra("SERVICE_POINT_OPEN", time="2026-12-07T08:01:00.000+0000", servicePointId=12)
            assert (await post(session, adapter.url + "/orchestra?secret=orch-secret-5678", opened))[0] == 200

            unmapped = orchestra("VISIT_CALL", time="2026-12-07T08:02:00.000+0000", servicePointId=99)
            for _ in range(2):
                status, body = await post(session, adapter.url + "/orchestra", unmapped, headers=AUTH)
                assert status == 400 and body["error"]["code"] == "unmapped_window"
            assert (await ticket(session, server, "A012"))["status"] == "waiting"  # type: ignore[index]

            call = orchestra("VISIT_CALL", time="2026-12-07T08:02:00.000+0000", servicePointId=12)
            assert (await post(session, adapter.url + "/orchestra", call, headers=AUTH))[0] == 200
            called = await ticket(session, server, "A012")
            assert called is not None and (called["status"], called["window"]) == ("called", "3")
    log = (tmp_path / "adapt-orchestra.log").read_text()
    assert log.count("'99' is not in the adapter config") == 1
    for personal in ("Astrid", "Lindgren", "+46701234567", "orch-secret-5678"):
        assert personal not in log


async def test_orchestra_events_spooled_while_the_server_is_down_arrive_in_order(tmp_path):
    with hall(tmp_path, "orchestra", ORCHESTRA_YAML) as (server, adapter):
        await adapter.start()
        async with aiohttp.ClientSession() as session:
            for body in (orchestra("VISIT_CREATE", visitId=5, ticket="B007", queueId=4),
                         orchestra("VISIT_TRANSFER_TO_QUEUE", "2026-12-07T08:04:00.000+0000",
                                   visitId=5, ticket="B007", queueId=3),
                         orchestra("VISIT_REMOVE", "2026-12-07T08:05:00.000+0000", visitId=5, ticket="B007")):
                status, reply = await post(session, adapter.url + "/", body, headers=AUTH)
                assert status == 200 and reply["spooled"] == 1
            await server.start()
            await drained(session, adapter)
            # A transfer or removal delivered before its ticket would be refused: the order held.
            done = await ticket(session, server, "B007")
            assert done is not None and (done["status"], done["service"]) == ("cancelled", "quick")
