"""The ticket on the phone, end to end: the real server, a printed link, Chromium on a phone-sized screen."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import aiohttp

from server.forecast import WaitHistory
from server.simulator.day import simulate_day
from server.simulator.scenarios import scenario_for_date
from server.web.when import FORECAST_FILE

from .conftest import DAY, QUEUE_TOKEN, WAIT_MS, LiveServer, at


PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}

RECORD_VIBRATIONS = """
window.__vibrations = [];
navigator.vibrate = (pattern) => { window.__vibrations.push(pattern); return true; };
"""
"""Headless Chromium has no motor: the page's calls to navigator.vibrate are recorded instead."""


async def link(server: LiveServer, label: str) -> str:
    """The link the queue system would print on the ticket, as a full URL."""
    async with aiohttp.ClientSession() as session:
        async with session.get(server.url(f"/api/tickets/{label}/link"),
                               headers={"Authorization": f"Bearer {QUEUE_TOKEN}"}) as resp:
            assert resp.status == 200
            return server.url((await resp.json())["url"])


async def six_waiting(server: LiveServer) -> None:
    await server.push({"type": "window.opened", "at": at("09:00"), "window": "1"},
                      *[{"type": "ticket.issued", "at": at(f"09:0{n}"), "ticket": f"A00{n}", "service": "quick"}
                        for n in range(1, 7)])


async def phone_page(browser: Any, locale: str) -> Any:
    context = await browser.new_context(locale=locale, **PHONE)
    await context.add_init_script(RECORD_VIBRATIONS)
    return await context.new_page()


async def expect_state(page: Any, state: str) -> None:
    await page.wait_for_selector(f"body[data-state='{state}']", timeout=WAIT_MS)


async def test_a_chinese_phone_follows_its_ticket_to_the_window(server: LiveServer, browser: Any) -> None:
    """waiting -> almost (3 ahead: vibrates) -> called to window 2 (vibrates again) -> served; live."""
    await six_waiting(server)
    page = await phone_page(browser, "zh-CN")
    await page.goto(await link(server, "A006"))
    await expect_state(page, "waiting")
    assert await page.text_content("#ticket") == "A006"
    assert await page.text_content("#ahead") == "5"
    assert await page.text_content("#headline") == "排队中"
    low, high = (await page.text_content("#wait") or "").split("–")
    assert 0 < int(low) <= int(high)
    await page.wait_for_function("document.getElementById('live').textContent === '实时更新'", timeout=WAIT_MS)
    body = await page.text_content("body") or ""
    assert not any(f"A00{n}" in body for n in range(1, 6)), "another customer's label is on the page"

    await server.push({"type": "ticket.called", "at": at("09:10"), "ticket": "A001", "window": "1"},
                      {"type": "ticket.served", "at": at("09:14"), "ticket": "A001", "window": "1"},
                      {"type": "ticket.called", "at": at("09:14"), "ticket": "A002", "window": "1"})
    await expect_state(page, "almost")
    assert await page.text_content("#ahead") == "3"
    assert await page.text_content("#headline") == "快到您了，请回到大厅"
    assert len(await page.evaluate("window.__vibrations")) == 1

    await server.push({"type": "window.opened", "at": at("09:15"), "window": "2"},
                      {"type": "ticket.called", "at": at("09:15"), "ticket": "A006", "window": "2"})
    await expect_state(page, "called")
    assert await page.text_content("#headline") == "请到 2 号窗口"
    assert len(await page.evaluate("window.__vibrations")) == 2

    await server.push({"type": "ticket.served", "at": at("09:20"), "ticket": "A006", "window": "2"})
    await expect_state(page, "served")
    assert await page.text_content("#headline") == "已办理"
    await page.click("#lang")
    assert await page.text_content("#headline") == "Served"
    await page.context.close()


async def test_an_english_phone_without_event_streams_polls(server: LiveServer, browser: Any) -> None:
    """The browser's language picks English; with /events blocked the page polls and still follows."""
    await six_waiting(server)
    page = await phone_page(browser, "en-US")
    await page.route("**/events", lambda route: route.abort())
    await page.goto(await link(server, "A004"))
    await expect_state(page, "almost")
    assert await page.text_content("#headline") == "Almost your turn: please come back to the hall"
    await page.wait_for_function("document.getElementById('live').textContent === 'Updated every few seconds'",
                                 timeout=WAIT_MS)
    await server.push({"type": "ticket.called", "at": at("09:10"), "ticket": "A004", "window": "1"})
    await expect_state(page, "called")
    assert await page.text_content("#headline") == "Your turn: window 1"
    await server.push({"type": "ticket.no_show", "at": at("09:13"), "ticket": "A004", "window": "1"})
    await expect_state(page, "missed")
    await page.click("#lang")
    assert await page.text_content("#headline") == "已过号"
    await page.context.close()


async def test_yesterdays_link_says_expired_and_a_forged_one_says_nothing(server: LiveServer, browser: Any) -> None:
    await six_waiting(server)
    url = await link(server, "A001")
    page = await phone_page(browser, "zh-CN")
    await page.goto(url)
    await expect_state(page, "almost")  # first in line
    await server.push({"type": "ticket.issued", "at": "2026-12-01T09:00:00+08:00", "ticket": "A001",
                       "service": "quick"})
    await expect_state(page, "expired")  # the open page hears it from its stream
    assert await page.text_content("#headline") == "此链接已过期"
    response = await page.goto(url)
    assert response.status == 410
    assert "此链接已过期" in (await page.text_content("body") or "")
    response = await page.goto(url[:-3] + "xyz")
    assert response.status == 404 and (await page.text_content("body") or "").strip() == "404: Not Found"
    await page.context.close()


def learn_simulated_weeks(data_dir: Path, start: dt.date, weeks: int) -> None:
    """A data dir whose forecast history learned ``weeks`` simulated weeks before ``start``."""
    history = WaitHistory()
    for d in range(7 * weeks):
        day = start - dt.timedelta(days=7 * weeks - d)
        sim = simulate_day(scenario_for_date(day), seed=d, date=day)
        open_s = sim.t0.hour * 3600 + sim.t0.minute * 60
        history.add_day(day, [(open_s + t["issued"], t["called"] - t["issued"])
                              for t in sim.tickets.values() if "called" in t])
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / FORECAST_FILE).write_text(json.dumps(history.export()), encoding="utf-8")


async def test_when_page_shows_the_week_and_the_quiet_hours(tmp_path: Path, browser: Any) -> None:
    learn_simulated_weeks(tmp_path / "data", dt.date.fromisoformat(DAY), weeks=3)
    server = LiveServer(tmp_path / "data")
    await server.start()
    try:
        await server.push({"type": "window.opened", "at": at("09:00"), "window": "1"})
        page = await phone_page(browser, "zh-CN")
        await page.goto(server.url("/when"))
        await page.wait_for_selector("body[data-ready='yes']", timeout=WAIT_MS)
        assert await page.text_content("#title") == "何时来办理"
        assert await page.locator("td[data-cell]:not(.none)").count() >= 7 * 8
        assert await page.locator("td.quiet").count() >= 5
        first = await page.text_content("#quiet li")
        assert first and ("今天" in first or "明天" in first or "周" in first) and "–" in first
        await page.click("#lang")
        assert await page.text_content("#title") == "When to come"

        # A long queue at one window: the last ticket's phone offers the next quiet hours.
        await server.push(*[{"type": "ticket.issued", "at": at(f"09:{n // 2:02d}:{30 * (n % 2):02d}"),
                             "ticket": f"A{n:03}", "service": "quick"} for n in range(1, 40)])
        phone = await phone_page(browser, "zh-CN")
        await phone.goto(await link(server, "A039"))
        await expect_state(phone, "waiting")
        assert int((await phone.text_content("#wait") or "0–0").split("–")[0]) >= 15
        text = await phone.text_content("#comeback")
        assert await phone.is_visible("#comeback") and text and "等候较少" in text and "–" in text
        await page.context.close()
        await phone.context.close()
    finally:
        await server.stop()
