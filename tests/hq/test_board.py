"""The /hq board in Chromium: halls worst first, zh/en, a click to a hall's live view and today's report."""

from __future__ import annotations

import aiohttp

from tests.browser.conftest import WAIT_MS
from tests.halltools import at, raw
from tests.hq.conftest import HQ_TOKEN, free_port, get_json, hall_process, hq_process, post_events, wait_for


async def test_board_lists_halls_worst_first_in_both_languages_and_opens_a_hall(tmp_path, database, browser):
    config = tmp_path / "hq.yaml"
    config.write_text("halls:\n  - id: calm\n    name: 平静厅\n    name_en: Calm Hall\n"
                      "  - id: busy\n    name: 繁忙厅\n    name_en: Busy Hall\n    nearby: [calm, gone]\n"
                      "  - id: gone\n    name: 未连接厅\n", encoding="utf-8")
    hq = hq_process(tmp_path / "hq", free_port(), db=database, config=config)
    await hq.start()
    calm = hall_process(tmp_path / "calm", free_port(), hq_url=hq.url, hall_id="calm")
    busy = hall_process(tmp_path / "busy", free_port(), hq_url=hq.url, hall_id="busy")
    try:
        await calm.start()
        await busy.start()
        async with aiohttp.ClientSession() as session:
            await post_events(session, calm.url, [raw("window.opened", at(0), window="1"),
                                                  raw("ticket.issued", at(1), ticket="A001", service="quick"),
                                                  raw("clock.tick", at(5))])
            await post_events(session, busy.url, [raw("window.opened", at(0), window="1"),
                                                  raw("ticket.issued", at(0), ticket="A001", service="quick"),
                                                  raw("ticket.issued", at(0), ticket="A002", service="quick"),
                                                  raw("clock.tick", at(31))])

            async def forwarded():
                # Every event, not only a first batch (the config record alone gives last_seq > 0).
                _, halls = await get_json(session, hq.url + "/api/halls", HQ_TOKEN)
                waiting = {h["hall_id"]: h["waiting_total"] for h in halls["halls"] if h["last_seq"] > 0}
                return waiting == {"calm": 1, "busy": 2}
            await wait_for(forwarded)
            # The busy hall's nearby halls, live: the calm one with its expected waits, the other never seen.
            status, nearby = await get_json(session, hq.url + "/api/halls/busy/nearby", HQ_TOKEN)
            assert status == 200
            near = {n["hall_id"]: n for n in nearby["nearby"]}
            assert near["calm"]["waiting_total"] == 1 and near["calm"]["link"] == "online"
            assert any(s["id"] == "quick" and s["expected_wait_s"] is not None for s in near["calm"]["services"])
            assert near["gone"]["link"] == "offline" and near["gone"]["services"] == []
        page = await browser.new_page()
        await page.goto(f"{hq.url}/hq?token={HQ_TOKEN}")
        rows = page.locator("#halls tbody tr.hall")
        await rows.nth(2).wait_for(timeout=WAIT_MS)
        names = await rows.locator("td:first-child").all_inner_texts()
        assert names[0] == "繁忙厅" and names[1] == "平静厅" and names[2] == "未连接厅"
        assert "离线" in await rows.nth(2).inner_text() and "从未连接" in await rows.nth(2).inner_text()
        await page.click("#lang")
        assert (await rows.locator("td:first-child").all_inner_texts())[:2] == ["Busy Hall", "Calm Hall"]
        assert await page.locator("th").first.inner_text() == "Hall"
        await rows.nth(0).click()
        today = page.locator("#today")
        await today.wait_for(timeout=WAIT_MS)
        assert "Tickets" in await today.inner_text() and "2" in await today.inner_text()
        assert "Queue (2)" in await page.locator("#detail").inner_text()
        await page.goto(f"{hq.url}/hq?token=wrong")
        await page.locator("#message").get_by_text("Wrong token").wait_for(timeout=WAIT_MS)
    finally:
        calm.stop()
        busy.stop()
        hq.stop()
