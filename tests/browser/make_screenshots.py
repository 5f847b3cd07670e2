"""Render the README screenshots of /staff (tablet, phone, phone at month-end lunch) and /manager.

Run: .venv/bin/python -m tests.browser.make_screenshots [OUT_DIR]   (default docs/img)
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import websockets

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, QUEUE_TOKEN, STAFF_TOKEN, LiveServer, at


async def morning(server: LiveServer) -> None:
    """Three windows, a steady stream of tickets from 09:00, calls falling behind by 11:00."""
    events = [{"type": "window.opened", "at": at("08:30"), "window": w} for w in "123"]
    prefixes = {"quick": "A", "standard": "B", "complex": "C"}
    numbers = {"quick": 0, "standard": 0, "complex": 0}
    issued = []
    for i in range(30):
        minute = 9 * 60 + i * 4
        service = ("quick", "standard", "quick", "complex")[i % 4]
        numbers[service] += 1
        label = f"{prefixes[service]}{numbers[service]:03d}"
        issued.append((minute, label))
        events.append({"type": "ticket.issued", "at": at(f"{minute // 60:02d}:{minute % 60:02d}"),
                       "ticket": label, "service": service})
    calls = []
    for n, (minute, label) in enumerate(issued[:22]):
        called = minute + 3 + n
        calls.append({"type": "ticket.called", "at": at(f"{called // 60:02d}:{called % 60:02d}"),
                      "ticket": label, "window": str(1 + n % 3)})
    calls = [c for c in calls if c["at"] <= at("10:55")]
    # One stream in time order, as a queue system sends it (the event clock follows the largest 'at').
    await server.push(*sorted(events + calls, key=lambda e: e["at"]))
    await server.push({"type": "clock.tick", "at": at("10:58")})
    async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws/staff?token={STAFF_TOKEN}") as ws:
        snapshot = json.loads(await ws.recv())
        care = [a for a in snapshot["alerts"] if a["kind"].startswith("care")]
        for alert, name in zip(care[:2], ["王芳", "李明"]):
            await ws.send(json.dumps({"type": "alert.ack", "id": alert["id"], "by": name}))
            await ws.recv()


async def month_end_lunch(server: LiveServer) -> None:
    """A simulated month-end day (seed 7) up to 12:50, when the visits due outrun the floor; 李明
    has taken the round of the six longest waits."""
    from server.simulator.day import simulate_day
    from server.simulator.push import push_events

    events = [e for e in simulate_day("month_end", seed=7).events if e["at"] <= at("12:50")]
    await push_events(events, f"ws://127.0.0.1:{server.port}/ws/queue", QUEUE_TOKEN, as_fast_as_acks=True,
                      log=lambda _: None)
    async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws/staff?token={STAFF_TOKEN}") as ws:
        snapshot = json.loads(await ws.recv())
        care = sorted((a for a in snapshot["alerts"] if a["kind"] in ("care_15", "care_30")),
                      key=lambda a: (a["waiting_since"], a["id"]))
        for alert in care[:6]:
            await ws.send(json.dumps({"type": "alert.ack", "id": alert["id"], "by": "李明"}))
            await ws.recv()


async def lunch_phone(browser: Any, out: Path) -> None:
    server = LiveServer(Path(tempfile.mkdtemp()))
    await server.start()
    try:
        await month_end_lunch(server)
        page = await browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=1)
        await page.goto(server.url(f"/staff?token={STAFF_TOKEN}&name=王芳"))
        await page.wait_for_selector("[data-alert-kind='round']")
        await page.wait_for_timeout(1200)
        await page.screenshot(path=str(out / "staff-phone-lunch.png"))
    finally:
        await server.stop()


async def main(out: Path) -> None:
    from playwright.async_api import async_playwright

    out.mkdir(parents=True, exist_ok=True)
    server = LiveServer(Path(tempfile.mkdtemp()))
    await server.start()
    try:
        await morning(server)
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name, size in (("staff-tablet", (1024, 768)), ("staff-phone", (390, 844))):
                page = await browser.new_page(viewport={"width": size[0], "height": size[1]},
                                              device_scale_factor=1)
                await page.goto(server.url(f"/staff?token={STAFF_TOKEN}&name=王芳"))
                await page.wait_for_selector("[data-alert-id]")
                await page.wait_for_timeout(1200)
                await page.screenshot(path=str(out / f"{name}.png"))
            page = await browser.new_page(viewport={"width": 1280, "height": 1400})
            await page.goto(server.url(f"/manager?token={STAFF_TOKEN}"))
            await page.wait_for_selector("#waits-chart svg")
            await page.screenshot(path=str(out / "manager.png"))
            await lunch_phone(browser, out)
            await browser.close()
    finally:
        await server.stop()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/img")))
