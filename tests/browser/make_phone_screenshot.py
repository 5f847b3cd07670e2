"""Render docs/img/phone.png (a phone following its ticket) and docs/img/when.png (/when).

Run: .venv/bin/python -m tests.browser.make_phone_screenshot [OUT_DIR]   (default docs/img)
The hall has learned three simulated weeks (as tests/browser/test_phone.py's /when test); on the
Monday month end, two windows face a morning queue and ticket A032 waits behind 26 others.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import tempfile
from pathlib import Path

import aiohttp

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DAY, QUEUE_TOKEN, LiveServer, at
from tests.browser.test_phone import PHONE, learn_simulated_weeks


async def main(out: Path) -> None:
    from playwright.async_api import async_playwright

    out.mkdir(parents=True, exist_ok=True)
    data = Path(tempfile.mkdtemp()) / "data"
    learn_simulated_weeks(data, dt.date.fromisoformat(DAY), weeks=3)
    server = LiveServer(data)
    await server.start()
    try:
        await server.push({"type": "window.opened", "at": at("09:00"), "window": "1"},
                          {"type": "window.opened", "at": at("09:00"), "window": "2"},
                          *[{"type": "ticket.issued", "at": at(f"09:{n // 2:02d}:{30 * (n % 2):02d}"),
                             "ticket": f"A{n:03}", "service": "quick"} for n in range(1, 40)],
                          *[{"type": "ticket.called", "at": at(f"09:{10 + n:02d}"), "ticket": f"A{n:03}",
                             "window": str(1 + n % 2)} for n in range(1, 6)],
                          {"type": "clock.tick", "at": at("09:21")})
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url("/api/tickets/A032/link"),
                                   headers={"Authorization": f"Bearer {QUEUE_TOKEN}"}) as resp:
                url = server.url((await resp.json())["url"])
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = await browser.new_context(locale="zh-CN", **PHONE)
            page = await context.new_page()
            await page.goto(url)
            await page.wait_for_selector("body[data-state='waiting']")
            await page.wait_for_function("document.getElementById('live').textContent === '实时更新'")
            await page.screenshot(path=str(out / "phone.png"), full_page=True)
            when = await browser.new_page(viewport={"width": 900, "height": 900}, locale="zh-CN")
            await when.goto(server.url("/when"))
            await when.wait_for_selector("body[data-ready='yes']")
            await when.screenshot(path=str(out / "when.png"), full_page=True)
            await browser.close()
    finally:
        await server.stop()
    print(f"wrote {out / 'phone.png'} and {out / 'when.png'}")


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/img")))
