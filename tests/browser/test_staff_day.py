"""A simulated month-end day through the real server, with a phone on /staff: the board rule's goals
(docs/staff-app.md, "Alert load") met on the day, by the page's own rule in Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from server.simulator.day import simulate_day
from server.simulator.push import push_events

from .conftest import QUEUE_TOKEN, WAIT_MS, LiveServer, at
from .test_staff import PHONE, signed_in_page


MODEL = Path(__file__).resolve().parents[2] / "bench" / "alert_load_model.js"

GOALS = {"cards_on_screen": 6, "rings_per_staff_hour": 15.0, "acked_within_5min": 0.40}
"""Month end, two people on the floor (docs/staff-app.md): at most a screenful, at most 15 rings a
person an hour (47 before), at least 40% of care visits taken within 5 min and twice the share
without rounds."""


async def push_day(server: LiveServer, events: list[dict[str, Any]]) -> None:
    """Send a simulated stream over /ws/queue, each event once the previous one is acked."""
    result = await push_events(events, f"ws://127.0.0.1:{server.port}/ws/queue", QUEUE_TOKEN,
                               as_fast_as_acks=True, log=lambda _: None)
    assert result.acked == len(events) and not result.errors, result


def month_end() -> list[dict[str, Any]]:
    return simulate_day("month_end", seed=7).events


def until(events: list[dict[str, Any]], clock: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split a day's stream at a hall time of the test day."""
    cut = next((i for i, e in enumerate(events) if e["at"] > at(clock)), len(events))
    return events[:cut], events[cut:]


async def test_month_end_lunch_phone_and_the_days_alert_load(browser: Any, server: LiveServer) -> None:
    """At lunch the phone shows a screenful, what needs action first, the forecasts folded and the
    due visits in rounds; over the whole day the staff model on the page's own board rule meets
    the goals, and the phone rang far less than once per alert."""
    events = month_end()
    assert events[0]["at"].startswith("2026-11-30")  # the conftest's test day: at() below is right
    morning, afternoon = until(events, "12:50")
    page = await signed_in_page(browser, server, "王芳", viewport=PHONE)
    await push_day(server, morning)

    await page.wait_for_function("window.WaitWellStaff.board && window.WaitWellStaff.board.rounds", timeout=WAIT_MS)
    cards = page.locator("#alerts > li")
    kinds = [await cards.nth(i).get_attribute("data-alert-kind") for i in range(await cards.count())]
    assert len(kinds) == 6
    assert kinds[0] == "open_windows"  # the hall action is on top, not 5,600 px down
    assert "round" in kinds
    box = await cards.nth(5).bounding_box()  # a screenful is one phone screen, rounds and all
    assert box is not None and box["y"] + box["height"] <= PHONE["height"]
    more = int(await page.get_attribute("#more", "data-more") or "0")
    assert more > 0 and await page.locator("#more").is_visible()
    active = (await server.get("/api/state"))["alerts"]
    soon = [a for a in active if a["kind"] == "care_soon"]
    assert len(soon) > 3
    await page.click("#more")
    folds = page.locator("#alerts > li[data-alert-kind='care_soon']")
    assert await folds.count() == 1 and await folds.get_attribute("data-fold-count") == str(len(soon))

    await push_day(server, afternoon)
    report = await server.get("/api/report")
    alerts = report["alerts"]
    ring_kinds = [a for a in alerts if a["kind"] in ("care_15", "care_30", "staffing", "open_windows")]
    beeps = await page.evaluate("window.WaitWellStaff.beeps")
    assert 0 < beeps < len(ring_kinds) / 2  # nobody took anything, and still rounds ring once each

    await page.add_script_tag(path=str(MODEL))
    opening, close = at("09:00"), max(a["resolved_at"] or a["raised_at"] for a in alerts)
    run = {"staff": 2, "visit_s": [120, 180], "hall_s": 60, "open": opening, "close": close, "seed": 7}
    measured, no_rounds = await page.evaluate(
        """([alerts, run]) => [
             window.WaitWellStaffModel.simulate(alerts, run, window.WaitWellBoard),
             window.WaitWellStaffModel.simulate(alerts, Object.assign({}, run, {board: {visitsPerStaff: 1e9}}),
                                                window.WaitWellBoard)]""",
        [alerts, run])
    assert measured["care_alerts"] >= 100  # a month-end day: the floor is outrun at lunch
    assert measured["rounds"] > 0
    assert measured["cards_on_screen"]["max"] <= GOALS["cards_on_screen"]
    assert measured["rings_per_staff_hour"] <= GOALS["rings_per_staff_hour"]
    assert measured["acked_within_5min"] >= GOALS["acked_within_5min"]
    assert measured["acked_within_5min"] >= 2 * no_rounds["acked_within_5min"]
