"""Times on /staff, /manager and /display are the hall's wall time, on the wall clock, whatever the
browser's zone: a server in Shanghai (UTC+8) read from a laptop set to New York (UTC-5)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from tests.web.test_restart import ServerProcess, free_port

from .conftest import WAIT_MS


HALL = ZoneInfo("Asia/Shanghai")  # the sample hall's zone (content/hall.yaml)
BROWSER_ZONE = "America/New_York"


def hhmm(iso: str, seconds: bool = False) -> str:
    """The hall's wall time of a server time, as a person in the hall reads it."""
    return datetime.fromisoformat(iso).astimezone(HALL).strftime("%H:%M:%S" if seconds else "%H:%M")


def shanghai_minutes(start: datetime, end: datetime) -> set[str]:
    """Every HH:MM the Shanghai wall clock showed between ``start`` and ``end``."""
    out, t = set(), start.astimezone(HALL).replace(second=0, microsecond=0)
    while t <= end:
        out.add(t.strftime("%H:%M"))
        t += timedelta(minutes=1)
    return out


async def test_times_shown_are_the_halls_wall_time_with_the_browser_in_another_zone(
        browser: Any, tmp_path: Path) -> None:
    server = ServerProcess(tmp_path, free_port(), clock="wall")
    await server.start()
    try:
        start = datetime.now(HALL)
        # A queue system stamping in the hall's zone, now. No window is open, so the first ticket
        # raises open_windows at once (a care visit would need 15 minutes of today behind it).
        events = [{"id": "i1", "type": "ticket.issued", "at": start.isoformat(), "ticket": "A001",
                   "service": "quick"},
                  {"id": "i2", "type": "ticket.issued", "at": start.isoformat(), "ticket": "A002",
                   "service": "quick"}]
        async with aiohttp.ClientSession() as session:
            async with session.post(server.url + "/api/events?token=q", json=events) as resp:
                assert [r["type"] for r in await resp.json()] == ["ack"] * 2

        context = await browser.new_context(timezone_id=BROWSER_ZONE, viewport={"width": 1280, "height": 1000})
        assert await (await context.new_page()).evaluate(
            "Intl.DateTimeFormat().resolvedOptions().timeZone") == BROWSER_ZONE

        # /staff: take the alert; the card says when, in hall time.
        staff = await context.new_page()
        await staff.goto(server.url + "/staff?token=s&name=%E7%8E%8B%E8%8A%B3")
        card = staff.locator("[data-alert-kind='open_windows']")
        await card.locator("[data-action='ack']").click(timeout=WAIT_MS)
        taken = card.locator(".taken-by")
        await taken.wait_for(timeout=WAIT_MS)
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url + "/api/report?token=s") as resp:
                report = await resp.json()
        end = datetime.now(HALL)
        [care] = [a for a in report["alerts"] if a["kind"] == "open_windows"]
        assert care["acknowledged_by"] == "王芳"
        acked = hhmm(care["acknowledged_at"])
        assert acked in shanghai_minutes(start, end), "the ack is stamped with the hall's wall time"
        assert (await taken.inner_text()).endswith(" · " + acked)
        assert report["timezone"] == "Asia/Shanghai"

        # /manager: the care table's raise time and the header's "updated at", in hall time.
        manager = await context.new_page()
        await manager.goto(server.url + "/manager?token=s")
        await manager.wait_for_selector("#status[data-state='live']", timeout=WAIT_MS)
        row = manager.locator(f"#care-table tr[data-alert-id='{care['id']}']")
        await row.wait_for(timeout=WAIT_MS)
        raised = hhmm(care["raised_at"])
        assert raised in shanghai_minutes(start, end)
        assert (await row.locator("td").first.inner_text()) == raised
        status = await manager.inner_text("#status-text")
        shown = status.split()[-1]
        assert len(shown) == 8 and shown[:5] in shanghai_minutes(start, datetime.now(HALL)), status

        # /display: the header clock and the hall's day, in hall time.
        display = await context.new_page()
        await display.goto(server.url + "/display")
        await display.wait_for_function("document.getElementById('time').textContent !== '--:--'", timeout=WAIT_MS)
        before = datetime.now(HALL)
        clock = await display.inner_text("#time")
        assert clock in shanghai_minutes(before - timedelta(seconds=5), datetime.now(HALL)), clock
        # Not the browser's zone: New York is 13 hours behind Shanghai in December.
        assert clock != datetime.now(ZoneInfo(BROWSER_ZONE)).strftime("%H:%M")
        await context.close()
    finally:
        server.stop()


async def test_the_lobby_clock_is_in_hall_time_before_the_first_state(browser: Any, tmp_path: Path) -> None:
    """Until the first display.state arrives (a screen booting, its feed slow), the clock must
    not show the device's zone: the page itself carries the hall's zone."""
    server = ServerProcess(tmp_path, free_port(), clock="wall")
    await server.start()
    try:
        context = await browser.new_context(timezone_id=BROWSER_ZONE, viewport={"width": 1280, "height": 1000})
        display = await context.new_page()
        await display.goto(server.url + "/display")
        before = datetime.now(HALL)
        # The view the page draws while it has no state: the same rule, asked with state = null.
        clock = await display.evaluate("""() => {
            const W = WaitWellDisplay;
            return W.buildView(null, {elapsedMs: 0, monoNowMs: 0, wallNowMs: Date.now(), screen: W.ScreenConfig,
                                      banner: null, slide: null, offlineSinceMs: null}).header.time;
        }""")
        assert clock in shanghai_minutes(before - timedelta(seconds=5), datetime.now(HALL)), clock
        assert clock != datetime.now(ZoneInfo(BROWSER_ZONE)).strftime("%H:%M")
        await context.close()
    finally:
        server.stop()
