"""The manager's read-only page (/manager) in headless Chromium against the real server."""

from __future__ import annotations

import json
from typing import Any

import websockets

from .conftest import STAFF_TOKEN, WAIT_MS, LiveServer, at


async def day_with_a_taken_alert(server: LiveServer) -> str:
    """Three tickets (one served, one no-show, one waiting past 15 min) and the care alert taken at 09:16."""
    await server.push(
        {"type": "window.opened", "at": at("08:30"), "window": "1"},
        {"type": "ticket.issued", "at": at("09:00"), "ticket": "A001", "service": "quick"},
        {"type": "ticket.issued", "at": at("09:02"), "ticket": "A002", "service": "quick"},
        {"type": "ticket.issued", "at": at("09:04"), "ticket": "B001", "service": "standard"},
        {"type": "ticket.called", "at": at("09:05"), "ticket": "A002", "window": "1"},
        {"type": "ticket.served", "at": at("09:08"), "ticket": "A002", "window": "1"},
        {"type": "ticket.no_show", "at": at("09:09"), "ticket": "B001"},
        {"type": "clock.tick", "at": at("09:16")},
    )
    async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws/staff?token={STAFF_TOKEN}") as ws:
        snapshot = json.loads(await ws.recv())
        [alert] = [a for a in snapshot["alerts"] if a["kind"] == "care_15"]
        await ws.send(json.dumps({"type": "alert.ack", "id": alert["id"], "by": "王芳"}))
        reply = json.loads(await ws.recv())
        assert reply["type"] == "alert.acknowledged"
    return alert["id"]


async def test_manager_shows_counts_queue_chart_and_time_to_ack(browser: Any, server: LiveServer) -> None:
    """Today's counts, the queue per service, a bar per hour and the care alert with who took it and how fast."""
    alert_id = await day_with_a_taken_alert(server)
    context = await browser.new_context(viewport={"width": 1280, "height": 1000})
    page = await context.new_page()
    await page.goto(server.url(f"/manager?token={STAFF_TOKEN}"))
    await page.wait_for_selector("#status[data-state='live']", timeout=WAIT_MS)
    assert "token=" not in page.url
    assert await page.inner_text("#count-issued") == "3"
    assert await page.inner_text("#count-served") == "1"
    assert await page.inner_text("#count-no_show") == "1"
    assert await page.inner_text("#count-windows") == "1 / 8"
    report = await page.evaluate(f"fetch('/api/report?token={STAFF_TOKEN}').then((r) => r.json())")
    advised = await page.inner_text("#count-advised")
    assert advised.isdigit() and int(advised) >= 1  # one ticket still waits: at least one window
    assert int(advised) == report["advised_windows"]
    quick = page.locator("#queue-table tr[data-service='quick']")
    assert "缴费查询" in await quick.inner_text()
    assert "分钟" in await quick.inner_text()  # an expected wait, not blank
    await page.locator("#waits-chart svg rect.bar[data-hour='9']").wait_for(timeout=WAIT_MS)
    assert await page.locator("#waits-chart svg rect.bar").count() == 1

    row = page.locator(f"#care-table tr[data-alert-id='{alert_id}']")
    assert "王芳" in await row.inner_text()
    assert await row.locator(".time-to-ack").inner_text() == "1 分钟"  # raised 09:15, taken 09:16 hall time
    active = page.locator(f"#active-alerts [data-alert-id='{alert_id}']")
    assert "王芳" in await active.inner_text()
    assert await page.locator("[data-action='ack']").count() == 0  # read-only


async def test_manager_follows_the_day_without_reload(browser: Any, server: LiveServer) -> None:
    """A ticket issued while the page is open shows up in the counts by itself."""
    await day_with_a_taken_alert(server)
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(server.url(f"/manager?token={STAFF_TOKEN}"))
    await page.wait_for_function("document.querySelector('#count-issued').textContent === '3'", timeout=WAIT_MS)
    await server.push({"type": "ticket.issued", "at": at("09:20"), "ticket": "A003", "service": "quick"})
    await page.wait_for_function("document.querySelector('#count-issued').textContent === '4'", timeout=WAIT_MS)


async def test_manager_wrong_token_asks_for_the_new_one(browser: Any, server: LiveServer) -> None:
    """A stale token on the manager page shows the token form with the message, then the right token opens it."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(server.url("/manager?token=stale"))
    message = page.locator("#signin-message")
    await message.wait_for(timeout=WAIT_MS)
    assert "令牌已更换" in await message.inner_text()
    await page.fill("#token", STAFF_TOKEN)
    await page.click("#token-form button[type='submit']")
    await page.wait_for_selector("#status[data-state='live']", timeout=WAIT_MS)
    assert await page.inner_text("#count-issued") == "0"
