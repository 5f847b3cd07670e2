"""A busy hall's lobby names its calmer nearby hall, live from head office: real `waitwell hq`, two real halls."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

import aiohttp
import pytest

from tests.browser.conftest import WAIT_MS
from tests.halltools import at, raw
from tests.hq.conftest import HQ_TOKEN, free_port, get_json, hall_process, hq_process, post_events, wait_for
from tests.web.test_protocol_doc import check


HQ_YAML = ("halls:\n"
           "  - id: busy\n    name: 繁忙厅\n    name_en: Busy Hall\n"
           "    nearby: [{id: calm, distance: 约800米}, gone, crowded]\n"
           "  - id: calm\n    name: 平静厅\n    name_en: Calm Hall\n"
           "  - id: crowded\n    name: 拥挤厅\n    name_en: Crowded Hall\n"
           "  - id: gone\n    name: 未连接厅\n")


def tickets(n: int, first: int = 1) -> list[dict[str, Any]]:
    return [raw("ticket.issued", at(1), ticket=f"A{i:03d}", service="quick") for i in range(first, first + n)]


async def next_state(ws: aiohttp.ClientWebSocketResponse, want: Any, timeout: float = 20.0) -> dict[str, Any]:
    """Read display.states until ``want(state)``; fail after ``timeout`` s."""
    async def read() -> dict[str, Any]:
        while True:
            msg = json.loads((await ws.receive()).data)
            if msg.get("type") == "display.state" and want(msg):
                return msg  # type: ignore[no-any-return]
    return await asyncio.wait_for(read(), timeout)


async def test_a_busy_halls_lobby_names_the_calm_nearby_hall_with_its_real_waiting_count(tmp_path, database, browser):
    config = tmp_path / "hq.yaml"
    config.write_text(HQ_YAML, encoding="utf-8")
    hq = hq_process(tmp_path / "hq", free_port(), db=database, config=config)
    calm = hall_process(tmp_path / "calm", free_port(), hq_url=hq.url, hall_id="calm")
    crowded = hall_process(tmp_path / "crowded", free_port(), hq_url=hq.url, hall_id="crowded")
    busy = hall_process(tmp_path / "busy", free_port(), hq_url=hq.url, hall_id="busy")
    await hq.start()
    try:
        for hall in (calm, crowded, busy):
            await hall.start()
        async with aiohttp.ClientSession() as session:
            opened = raw("window.opened", at(0), window="1")
            await post_events(session, calm.url, [opened, *tickets(2), raw("clock.tick", at(5))])
            # Online, but busy itself (its own busy notice is up): never suggested.
            await post_events(session, crowded.url, [opened, *tickets(25), raw("clock.tick", at(5))])

            async def calm_forwarded() -> bool:
                _, halls = await get_json(session, hq.url + "/api/halls", HQ_TOKEN)
                waiting = {h["hall_id"]: h["waiting_total"] for h in halls["halls"]}
                return waiting.get("calm") == 2 and waiting.get("crowded") == 25
            await wait_for(calm_forwarded)

            async with session.ws_connect(busy.url + "/ws/display") as ws:
                first = await next_state(ws, lambda s: True)
                assert first["alerts"]["open_windows"] is False and first["nearby"] is None
                # Twenty people and one window: the busy notice goes up, and the hall asks head office.
                await post_events(session, busy.url, [opened, *tickets(20), raw("clock.tick", at(5))])
                state = await next_state(ws, lambda s: s["alerts"]["open_windows"] and s["nearby"])
            check("display_state", state)
            _, calm_state = await get_json(session, calm.url + "/api/state", "s")
            [near] = state["nearby"]
            assert near["name"] == "平静厅" and near["name_en"] == "Calm Hall" and near["distance"] == "约800米"
            assert near["waiting"] == calm_state["waiting_total"] == 2
            own = max(s["expected_wait_s"] for s in state["services"] if s["expected_wait_s"] is not None)
            assert 0 < near["expected_wait_s"] < own
            as_of = datetime.fromisoformat(near["as_of"])
            assert as_of.utcoffset() == datetime.fromisoformat(state["at"]).utcoffset()  # the hall's offset

        # The browser lobby shows it in the busy ticker, in both languages.
        page = await browser.new_page()
        await page.goto(busy.url + "/display")
        ticker = page.locator("#ticker")
        hhmm = near["as_of"][11:16]
        await page.wait_for_function(
            "() => document.querySelector('#ticker').innerText.includes('平静厅')", timeout=WAIT_MS * 4)
        text = await ticker.inner_text()
        assert f"附近营业厅：平静厅（约800米）　2 人等候" in text and f"截至 {hhmm}" in text
        assert "Nearby: Calm Hall (约800米): 2 waiting" in text and f"as of {hhmm}" in text
        await page.close()
    finally:
        busy.stop()
        crowded.stop()
        calm.stop()
        hq.stop()


def test_hq_yaml_nearby_halls_bare_or_with_their_distance(tmp_path):
    from server.errors import ConfigError
    from server.hq.settings import load_settings

    config = tmp_path / "hq.yaml"
    config.write_text(HQ_YAML, encoding="utf-8")
    busy = load_settings(config).halls["busy"]
    assert busy.nearby == ("calm", "gone", "crowded") and busy.distances == {"calm": "约800米"}
    for bad in ("nearby: calm", "nearby: [{id: calm, km: 2}]", "nearby: [{distance: 1 km}]", "nearby: [{id: calm, distance: 2}]",
                "nearby: [7]"):
        config.write_text(f"halls:\n  - id: busy\n    {bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=r"halls\[1\]: 'nearby' is a list of hall ids"):
            load_settings(config)
