"""Render docs/img/manager-closing.png: /manager at the close of the simulated month-end day (seed 1).

Run: .venv/bin/python -m tests.browser.make_manager_closing [OUT_DIR]   (default docs/img)
The same day and moments as tests/browser/test_manager_day.py, which checks what this shows.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, STAFF_TOKEN, LiveServer, at
from tests.browser.test_manager_day import month_end_events, push_until, settled


async def main(out: Path) -> None:
    from playwright.async_api import async_playwright

    out.mkdir(parents=True, exist_ok=True)
    server = LiveServer(Path(tempfile.mkdtemp()))
    await server.start()
    try:
        await push_until(server, month_end_events(), None)
        await server.push({"type": "clock.tick", "at": at("17:20")})
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = await browser.new_page(viewport={"width": 1440, "height": 1500})
            await page.goto(server.url(f"/manager?token={STAFF_TOKEN}"))
            await settled(page, server)
            await page.wait_for_timeout(300)  # the chart's SVG is in; let fonts settle
            await page.screenshot(path=str(out / "manager-closing.png"))
            await browser.close()
    finally:
        await server.stop()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/img")))
