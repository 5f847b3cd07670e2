"""A simulated month-end day on /manager, through closing: one number for staffing, counts that add up.

The day is pushed through the real server over the queue WebSocket, and the page is read at a
few moments against /api/report (issue 12: "12/15 open" beside an alert saying "开 8 个"; a red
"建议窗口数 6" and a new staffing alert a minute over an empty hall after closing; 985 issued beside
930 + 50; "响应用时 14:58" beside times of day).
"""

from __future__ import annotations

import re
from typing import Any

from server.simulator.day import simulate_day

from .conftest import STAFF_TOKEN, WAIT_MS, LiveServer, at


MOMENTS = ("09:30", "12:30", "16:30")
"""Hall times inside the day when the seed-1 month-end day has a staffing alert up (more, more, fewer)."""

MM_SS = re.compile(r"\b\d{1,2}:\d\d\b")
"""How a duration must never look: "14:58" reads as a time of day."""


def month_end_events() -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k != "id"} for e in simulate_day("month_end", seed=1).events]


async def push_until(server: LiveServer, events: list[dict[str, Any]], until: str | None) -> list[dict[str, Any]]:
    """Push the events stamped before ``until`` (all with None); return the rest."""
    cut = len(events) if until is None else next((i for i, e in enumerate(events) if e["at"] >= at(until)),
                                                 len(events))
    for start in range(0, cut, 500):
        await server.push(*events[start:min(cut, start + 500)])
    return events[cut:]


async def settled(page: Any, server: LiveServer) -> dict[str, Any]:
    """Wait until the page shows the hall as /api/report has it now, and return that report."""
    report = await server.get("/api/report")
    stamp = report["at"][11:19]
    await page.wait_for_function(f"document.querySelector('#status-text').textContent.includes('{stamp}')",
                                 timeout=WAIT_MS)
    return report


async def check_one_number(page: Any, report: dict[str, Any]) -> int:
    """KPI open windows == every hall-wide alert's numbers and text == /api/report; return the staffing alerts seen."""
    opened = int((await page.inner_text("#count-windows")).split("/")[0])
    advised_kpi = (await page.inner_text("#count-advised")).strip()
    assert opened == report["open_windows"]
    assert advised_kpi == ("–" if report["advised_windows"] is None else str(report["advised_windows"]))
    active = [a for a in report["alerts"] if a["resolved_at"] is None and a["kind"] in ("staffing", "open_windows")]
    items = page.locator("#active-alerts li[data-alert-kind='staffing'], #active-alerts li[data-alert-kind='open_windows']")
    assert await items.count() == len(active)
    staffing = 0
    for alert in active:
        item = page.locator(f"#active-alerts li[data-alert-id='{alert['id']}']")
        text = await item.inner_text()
        assert int(await item.get_attribute("data-open")) == opened == alert["open_windows"]
        assert f"开 {opened} 个" in text
        if alert["kind"] == "staffing":
            staffing += 1
            assert alert["recommended_windows"] == report["advised_windows"]
            assert f"建议 {report['advised_windows']} 个" in text
            assert f"现开 {opened} 个" in alert["message"]  # the alert's own sentence, not the one it was raised with
            advised = report["advised_windows"]
            assert (f"建议开 {advised} 个窗口" if advised > opened else f"{advised} 个窗口即可") in alert["message"]
        else:
            assert alert["recommended_windows"] >= (report["advised_windows"] or 0)
    return staffing


async def check_sum_and_durations(page: Any, report: dict[str, Any]) -> None:
    """Issued = served + no-shows + cancelled + being served + waiting, every term shown; durations in words."""
    total = sum(report[k] for k in ("served", "no_show", "cancelled", "called", "waiting"))
    assert report["issued"] == total
    line = page.locator("#count-sum")
    assert await line.get_attribute("data-adds-up") == "true"
    numbers = [int(n) for n in re.findall(r"\d+", await line.inner_text())]
    assert numbers[:7] == [report["issued"], report["served"], report["no_show"], report["cancelled"],
                           report["called"], report["waiting"], report["transferred"]]
    for selector in ("#count-served", "#count-no_show", "#count-cancelled", "#count-called", "#count-waiting"):
        assert (await page.inner_text(selector)).isdigit()
    durations = [await page.inner_text("#care-summary")]
    durations += await page.locator("#care-table td.time-to-ack").all_inner_texts()
    durations += await page.locator("#care-table td.detail, #active-alerts .detail").all_inner_texts()
    durations += await page.eval_on_selector_all("#waits-chart title", "els => els.map((e) => e.textContent)")
    looks_like_time = [d for d in durations if MM_SS.search(d)]
    assert looks_like_time == [], looks_like_time[:5]
    # Every column holds what its header says: no advice in the ticket column.
    tickets = await page.locator("#care-table td.ticket").all_inner_texts()
    assert all(t == "–" or re.fullmatch(r"[A-Z]\d+", t) for t in tickets), [t for t in tickets if "→" in t][:3]


async def test_a_month_end_day_on_the_manager_page_keeps_one_number_through_closing(
        browser: Any, server: LiveServer) -> None:
    events = month_end_events()
    context = await browser.new_context(viewport={"width": 1440, "height": 1000})
    page = await context.new_page()
    await page.goto(server.url(f"/manager?token={STAFF_TOKEN}"))
    await page.wait_for_selector("#status[data-state='live']", timeout=WAIT_MS)
    staffing_seen = 0
    for moment in MOMENTS:
        events = await push_until(server, events, moment)
        report = await settled(page, server)
        staffing_seen += await check_one_number(page, report)
        await check_sum_and_durations(page, report)
    assert staffing_seen >= 2  # the moments did hold staffing alerts to compare

    # Closing: the rest of the day, then half an hour of an empty hall.
    await push_until(server, events, None)
    closed_at = (await server.get("/api/report"))["at"]
    await server.push({"type": "clock.tick", "at": at("17:40")})
    report = await settled(page, server)
    assert report["open_windows"] == 0 and report["waiting"] == 0 and report["called"] == 0
    assert report["advised_windows"] is None
    assert await page.inner_text("#count-advised") == "–"
    assert "warn" not in (await page.get_attribute("#count-advised", "class") or "")
    assert await page.locator("#active-alerts li[data-alert-kind='staffing']").count() == 0
    late = [a["id"] for a in report["alerts"] if a["kind"] == "staffing" and a["raised_at"] > closed_at]
    assert late == []
    assert all(a["resolved_at"] is not None for a in report["alerts"] if a["kind"] == "staffing")
    await check_one_number(page, report)
    await check_sum_and_durations(page, report)
    assert report["transferred"] > 0  # the sum line tells transfers apart, on a day that had some
    await context.close()
