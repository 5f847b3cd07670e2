"""When to come over HTTP: /api/forecast learns from finished days, keeps them, and the phone offers to come back."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from server.web.when import FORECAST_FILE
from tests.halltools import CST, raw
from tests.web.conftest import STAFF, receive_json, start_server, stop_server
from tests.web.test_protocol_doc import check


def day_events(day: str) -> list[dict]:
    """A Monday: the 9 o'clock tickets wait 20-35 min, the 10 o'clock ones 10, the 14 o'clock ones 1."""
    def t(hhmm: str) -> datetime:
        return datetime.fromisoformat(f"{day}T{hhmm}:00").replace(tzinfo=CST)

    events = [raw("window.opened", t("09:00"), window="1")]
    visits = [("09:00", "09:20"), ("09:05", "09:30"), ("09:10", "09:45"), ("10:00", "10:10"), ("10:05", "10:15"),
              ("14:00", "14:01"), ("14:10", "14:11")]
    for n, (taken, called) in enumerate(visits, start=1):
        label = f"A{n:03}"
        events += [raw("ticket.issued", t(taken), ticket=label, service="quick"),
                   raw("ticket.called", t(called), ticket=label, window="1"),
                   raw("ticket.served", t(called) + timedelta(seconds=30), ticket=label, window="1")]
    return sorted(events, key=lambda e: e["at"])


async def forecast(server) -> dict:
    async with server.session.get(server.url + "/api/forecast") as resp:
        assert resp.status == 200
        return await resp.json()


async def test_the_forecast_is_public_and_learns_each_finished_day(tmp_path):
    server = await start_server(tmp_path)
    try:
        empty = await forecast(server)
        assert empty["days"] == 0 and empty["cells"] == [] and empty["quiet"] == []
        check("forecast", empty)
        for day in ("2026-11-16", "2026-11-23"):  # two Mondays
            await server.post(day_events(day))
            await forecast(server)  # the keeper copies the day's waits (it also does so every minute)
        # Monday 30 November, 09:00: a queue builds at one window.
        await server.post([raw("window.opened", datetime(2026, 11, 30, 9, 0, tzinfo=CST), window="1"),
                           *[raw("ticket.issued", datetime(2026, 11, 30, 9, 0, n, tzinfo=CST), ticket=f"A{n:03}",
                                 service="quick") for n in range(1, 31)]])
        learned = await forecast(server)
        check("forecast", learned)
        assert learned["days"] == 2
        cells = {(c["weekday"], c["hour"]): c for c in learned["cells"]}
        assert cells[(0, 9)]["typical_wait_s"] == 25 * 60 and cells[(0, 9)]["over_long_share"] == 1.0
        assert cells[(0, 14)]["typical_wait_s"] == 60 and cells[(0, 14)]["days"] == 2
        assert [c for c in cells if cells[c]["quiet"]] == [(0, 14)]
        assert learned["quiet"][0]["text"] == {"zh": "今天 14:00–15:00", "en": "today 14:00–15:00"}
        display = await server.session.ws_connect(server.ws_url("/ws/display"))
        state = await receive_json(display)
        check("display_state", state)
        assert state["quiet_hours"] == {"zh": "今天 14:00–15:00", "en": "today 14:00–15:00"}  # an hour on at least
        await display.close()

        # The last in line waits long: the phone offers this afternoon.
        async with server.session.get(server.url + "/api/tickets/A030/link",
                                      headers={"Authorization": f"Bearer {STAFF}"}) as resp:
            url = (await resp.json())["url"]
        async with server.session.get(server.url + url + "/status") as resp:
            view = await resp.json()
        check("phone", view)
        assert view["expected_wait_s"] >= 15 * 60
        assert view["come_back"] == {"zh": "今天 14:00–15:00", "en": "today 14:00–15:00"}
        async with server.session.get(server.url + "/when") as resp:
            assert resp.status == 200 and "when.js" in await resp.text()
    finally:
        await stop_server(server)
    stored = json.loads((tmp_path / FORECAST_FILE).read_text())
    assert stored["days"] == 2
    again = await start_server(tmp_path)
    try:
        assert (await forecast(again))["days"] == 2
    finally:
        await stop_server(again)


async def test_a_short_wait_gets_no_come_back(server):
    await server.post(day_events("2026-11-16"))
    async with server.session.get(server.url + "/api/tickets/A001/link",
                                  headers={"Authorization": f"Bearer {STAFF}"}) as resp:
        url = (await resp.json())["url"]
    async with server.session.get(server.url + url + "/status") as resp:
        assert (await resp.json())["come_back"] is None


async def test_a_day_is_learned_even_when_nobody_looked_before_it_turned(tmp_path):
    """The keeper looks once a minute; a day whose last minute (or all of it) passed unseen, or a
    server down across the day's turn, is still learned: the hub shows the keeper the day's hall
    before the next day replaces it."""
    server = await start_server(tmp_path)
    try:
        await server.post(day_events("2026-11-16"))  # nobody asks /api/forecast: the keeper never looked
    finally:
        await stop_server(server)
    # Down over the night; back on Monday the 23rd, the queue system sends the new day's first event.
    again = await start_server(tmp_path)
    try:
        await again.post([raw("window.opened", datetime(2026, 11, 23, 9, 0, tzinfo=CST), window="1")])
    finally:
        await stop_server(again)  # before the keeper's next look: the turned day was kept on disk at the turn
    third = await start_server(tmp_path)
    try:
        learned = await forecast(third)
        assert learned["days"] == 1
        cells = {(c["weekday"], c["hour"]): c for c in learned["cells"]}
        assert cells[(0, 9)]["typical_wait_s"] == 25 * 60
    finally:
        await stop_server(third)


async def test_a_reset_day_teaches_the_waits_before_and_after_it(server):
    """A hall.reset mid-morning starts the labels again (A001 …): the day's lesson keeps both parts."""
    def t(hhmm: str) -> datetime:
        return datetime.fromisoformat(f"2026-11-16T{hhmm}:00").replace(tzinfo=CST)

    def visits(pairs):
        events = [raw("window.opened", t(pairs[0][0]), window="1")]
        for n, (taken, called) in enumerate(pairs, start=1):
            events += [raw("ticket.issued", t(taken), ticket=f"A{n:03}", service="quick"),
                       raw("ticket.called", t(called), ticket=f"A{n:03}", window="1"),
                       raw("ticket.served", t(called) + timedelta(seconds=30), ticket=f"A{n:03}", window="1")]
        return sorted(events, key=lambda e: e["at"])

    await server.post(visits([("09:00", "09:10"), ("09:05", "09:20")]))
    await server.post([raw("hall.reset", t("09:40"))])
    await server.post(visits([("10:00", "10:05"), ("10:02", "10:06")]))
    await server.post([raw("window.opened", datetime(2026, 11, 17, 9, 0, tzinfo=CST), window="1")])
    learned = await forecast(server)
    assert learned["days"] == 1
    cells = {(c["weekday"], c["hour"]): c for c in learned["cells"]}
    assert cells[(0, 9)]["tickets"] == 2 and cells[(0, 10)]["tickets"] == 2
