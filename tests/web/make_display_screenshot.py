"""Render docs/img/display-browser.png: the browser lobby screen (/display) of a busy hall at 1920x1080.

Run: .venv/bin/python -m tests.web.make_display_screenshot [OUT.png] [--banner | --burst]
(--banner: a second call arrives after the page is open, so the shot shows its banner;
--burst: three windows call at once, so the banner has three rows.)
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer, at


def _hm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


async def busy_morning(server: LiveServer) -> None:
    """Three windows for payments and plans only (new lines: no window open), a queue past 5 per window."""
    events = [{"type": "window.opened", "at": at("08:30"), "window": w, "services": ["quick", "standard"]}
              for w in "123"]
    prefixes = {"quick": "A", "standard": "B", "complex": "C"}
    numbers = dict.fromkeys(prefixes, 0)
    issued = []
    for i in range(44):
        minute = 9 * 60 + i * 2
        service = ("quick", "standard", "quick", "complex")[i % 4]
        numbers[service] += 1
        label = f"{prefixes[service]}{numbers[service]:03d}"
        events.append({"type": "ticket.issued", "at": at(_hm(minute)), "ticket": label, "service": service})
        if service != "complex":
            issued.append((minute, label))
    for n, (minute, label) in enumerate(issued[:12]):
        events.append({"type": "ticket.called", "at": at(_hm(minute + 6 + n)), "ticket": label,
                       "window": str(1 + n % 3)})
    events.append({"type": "ticket.recalled", "at": at("10:27"), "ticket": issued[10][1], "window": "2"})
    await server.push(*sorted(events, key=lambda e: e["at"]))
    await server.push({"type": "clock.tick", "at": at("10:31")})


async def main(out: Path, banner: bool, burst: bool = False) -> None:
    from playwright.async_api import async_playwright

    server = LiveServer(Path(tempfile.mkdtemp()))
    await server.start()
    try:
        await busy_morning(server)
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = await browser.new_page(viewport={"width": 1920, "height": 1080})
            await page.goto(server.url("/display"))
            await page.wait_for_selector("body[data-feed='live']")
            if banner:
                await server.push({"type": "ticket.called", "at": at("10:31:30"), "ticket": "B009", "window": "3"})
                await page.wait_for_selector("#banner[data-ticket='B009']")
            if burst:
                await server.push(*({"type": "ticket.called", "at": at("10:31:30"), "ticket": t, "window": w}
                                    for t, w in (("A017", "1"), ("B009", "2"), ("A018", "3"))))
                await page.wait_for_selector("#banner[data-tickets='A017 B009 A018']")
            await page.evaluate("document.fonts.ready")
            await page.wait_for_function("document.querySelector('#promo img, #promo .card') !== null")
            await page.wait_for_timeout(300)
            out.parent.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(out))
            await browser.close()
    finally:
        await server.stop()
    print(out)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a not in ("--banner", "--burst")]
    asyncio.run(main(Path(args[0] if args else "docs/img/display-browser.png"), "--banner" in sys.argv,
                     "--burst" in sys.argv))
