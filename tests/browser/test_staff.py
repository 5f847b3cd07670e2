"""The staff tablet app (/staff) in headless Chromium against the real server."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from .conftest import STAFF_TOKEN, WAIT_MS, LiveServer, at, care_15_scene


APPEAR_MS = 1_000
"""The issue's promise: a raised alert is on the tablet within a second of the event's ack."""


async def signed_in_page(browser: Any, server: LiveServer, name: str, *, viewport: dict[str, int] | None = None) -> Any:
    """Open /staff in a fresh context (own storage) through a provisioning link; wait until live."""
    context = await browser.new_context(viewport=viewport or {"width": 1024, "height": 768})
    page = await context.new_page()
    await page.goto(server.url(f"/staff?token={STAFF_TOKEN}&name={quote(name)}"))
    await page.wait_for_selector("#status[data-state='live']", timeout=WAIT_MS)
    return page


async def test_alert_appears_ack_reaches_server_and_other_tablets(browser: Any, server: LiveServer) -> None:
    """care_15 appears within a second; the ack is stored by the server and a second tablet sees who took it."""
    page = await signed_in_page(browser, server, "王芳")
    assert "token=" not in page.url  # the provisioning link's secret leaves the address bar
    await care_15_scene(server, "A001")
    card = page.locator("[data-alert-kind='care_15']")
    await card.wait_for(timeout=APPEAR_MS)
    assert "A001" in await card.inner_text()
    assert "缴费查询" in await card.inner_text()  # the service's name, not its id
    alert_id = await card.get_attribute("data-alert-id")

    await card.locator("[data-action='ack']").click()
    await card.locator(".taken-by").wait_for(timeout=WAIT_MS)
    assert await card.locator("[data-action='ack']").count() == 0

    state = await server.get("/api/state")
    [stored] = [a for a in state["alerts"] if a["id"] == alert_id]
    assert stored["acknowledged_by"] == "王芳"

    other = await signed_in_page(browser, server, "李明")
    other_card = other.locator(f"[data-alert-id='{alert_id}']")
    await other_card.locator(".taken-by").wait_for(timeout=WAIT_MS)
    assert "王芳" in await other_card.locator(".taken-by").inner_text()
    assert await other_card.locator("[data-action='ack']").count() == 0


async def test_ack_seen_live_by_a_tablet_already_open(browser: Any, server: LiveServer) -> None:
    """A tablet showing the alert loses its ack button and names the taker as soon as someone else acks."""
    await care_15_scene(server, "A001")
    first = await signed_in_page(browser, server, "王芳")
    second = await signed_in_page(browser, server, "李明")
    await second.locator("[data-alert-kind='care_15'] [data-action='ack']").wait_for(timeout=WAIT_MS)
    await first.locator("[data-alert-kind='care_15'] [data-action='ack']").click()
    taken = second.locator("[data-alert-kind='care_15'] .taken-by")
    await taken.wait_for(timeout=WAIT_MS)
    assert "王芳" in await taken.inner_text()


async def test_live_wait_counts_in_hall_time_not_browser_time(browser: Any, server: LiveServer) -> None:
    """With the event clock at 09:16 for a 09:00 ticket the card shows about 16 minutes, ticking."""
    await care_15_scene(server, "A001")
    page = await signed_in_page(browser, server, "王芳")
    value = page.locator("[data-alert-kind='care_15'] .wait-value")
    await value.wait_for(timeout=WAIT_MS)
    first = await value.inner_text()
    # A duration in words, never "16:05", which reads as a time of day beside the clock times.
    assert re.fullmatch(r"16 分钟|16 分 \d+ 秒", first), first
    await page.wait_for_function(
        "(before) => document.querySelector(\"[data-alert-kind='care_15'] .wait-value\").textContent !== before",
        arg=first, timeout=WAIT_MS)
    assert re.fullmatch(r"16 分钟|16 分 \d+ 秒", await value.inner_text())


async def test_alerts_what_needs_action_first(browser: Any, server: LiveServer) -> None:
    """Hall actions (open_windows, staffing) first, then care_30, then care_15, then the early-care
    forecasts; a ticket has one card, not two."""
    await server.push(
        {"type": "window.opened", "at": at("08:30"), "window": "1"},
        {"type": "ticket.issued", "at": at("08:40"), "ticket": "B007", "service": "standard"},
        {"type": "ticket.issued", "at": at("09:00"), "ticket": "A001", "service": "quick"},
        *({"type": "ticket.issued", "at": at("09:10"), "ticket": f"A00{i}", "service": "quick"} for i in range(2, 6)),
        {"type": "clock.tick", "at": at("09:16")},
    )
    page = await signed_in_page(browser, server, "王芳")
    await page.locator("[data-alert-kind='open_windows']").wait_for(timeout=WAIT_MS)
    cards = page.locator("#alerts > li")
    kinds = [await cards.nth(i).get_attribute("data-alert-kind") for i in range(await cards.count())]
    # Four more quick tickets behind A001 at one window are likely to pass 15 min: early care
    # comes after the visits that are due.
    urgency = ["open_windows", "staffing", "care_30", "care_15", "care_soon"]
    assert kinds[0] == "open_windows" and "care_soon" in kinds
    assert kinds == sorted(kinds, key=urgency.index)
    assert "B007" in await page.locator("#alerts > li[data-alert-kind='care_30']").inner_text()
    assert "A001" in await page.locator("#alerts > li[data-alert-kind='care_15']").inner_text()
    assert await page.locator("#alerts > li:has-text('B007')").count() == 1  # its care_15 folds into the apology
    open_card = await cards.nth(0).inner_text()
    assert re.search(r"共开 [2-8] 个", open_card)  # the recommended count, from the staffing advice


async def test_resolved_alert_leaves_the_list(browser: Any, server: LiveServer) -> None:
    """When the ticket is called its care alert disappears from the tablet."""
    page = await signed_in_page(browser, server, "王芳")
    await care_15_scene(server, "A001")
    card = page.locator("[data-alert-kind='care_15']")
    await card.wait_for(timeout=WAIT_MS)
    await server.push({"type": "ticket.called", "at": at("09:17"), "ticket": "A001", "window": "1"})
    await card.wait_for(state="detached", timeout=WAIT_MS)
    await page.locator("#empty").wait_for(timeout=WAIT_MS)


async def test_wrong_token_shows_sign_in_with_message(browser: Any, server: LiveServer) -> None:
    """A link with a stale token lands on the sign-in form saying the token changed, not a dead screen."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(server.url("/staff?token=old-token&name=Wang"))
    message = page.locator("#signin-message")
    await message.wait_for(timeout=WAIT_MS)
    assert "令牌已更换" in await message.inner_text()
    assert await page.locator("#pin").is_visible()
    assert await page.locator("#board").is_hidden()
    assert await page.evaluate("localStorage.getItem('waitwell.staff')") is None


async def test_token_form_refuses_a_wrong_token(browser: Any, server: LiveServer) -> None:
    """Typing a wrong staff token keeps the form up with the message; the right one signs in."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(server.url("/staff"))
    await page.fill("#token", "nope")
    await page.fill("#name", "Wang")
    await page.click("#token-form button[type='submit']")
    await page.locator("#signin-message[data-key='token_changed']").wait_for(timeout=WAIT_MS)
    await page.fill("#token", STAFF_TOKEN)
    await page.fill("#name", "Wang")
    await page.click("#token-form button[type='submit']")
    await page.wait_for_selector("#status[data-state='live']", timeout=WAIT_MS)


async def test_pin_sign_in_is_remembered(browser: Any, server: LiveServer) -> None:
    """A wrong PIN says so; the right PIN signs in under the configured name and survives a reload."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(server.url("/staff"))
    await page.fill("#pin", "1111")
    await page.click("#pin-form button[type='submit']")
    await page.locator("#signin-message[data-key='wrong_pin']").wait_for(timeout=WAIT_MS)
    await page.fill("#pin", "2468")
    await page.click("#pin-form button[type='submit']")
    await page.wait_for_selector("#status[data-state='live']", timeout=WAIT_MS)
    assert "王芳" in await page.locator("#who").inner_text()
    await page.reload()
    await page.wait_for_selector("#status[data-state='live']", timeout=WAIT_MS)
    assert "王芳" in await page.locator("#who").inner_text()

    await care_15_scene(server, "A001")
    await page.locator("[data-alert-kind='care_15'] [data-action='ack']").click()
    await page.locator("[data-alert-kind='care_15'] .taken-by").wait_for(timeout=WAIT_MS)
    [alert] = (await server.get("/api/state"))["alerts"]
    assert alert["acknowledged_by"] == "王芳 Wang Fang"


async def test_offline_marks_alerts_stale_and_recovers(browser: Any, server: LiveServer) -> None:
    """Server down: offline banner, alerts greyed and not actionable; server back: live again by itself."""
    await care_15_scene(server, "A001")
    page = await signed_in_page(browser, server, "王芳")
    card = page.locator("[data-alert-kind='care_15']")
    await card.wait_for(timeout=WAIT_MS)
    assert await card.get_attribute("data-stale") is None

    await server.stop()
    await page.locator("#offline-banner").wait_for(timeout=WAIT_MS)
    await page.locator("[data-alert-kind='care_15'][data-stale='true']").wait_for(timeout=WAIT_MS)
    assert "stale" in (await card.get_attribute("class") or "")
    assert await card.locator("[data-action='ack']").is_disabled()
    assert await page.locator("#status").get_attribute("data-state") == "offline"

    await server.start()  # same port, same data dir
    await page.locator("#offline-banner").wait_for(state="hidden", timeout=WAIT_MS * 2)
    await page.locator("[data-alert-kind='care_15']:not([data-stale])").wait_for(timeout=WAIT_MS)
    assert await card.locator("[data-action='ack']").is_enabled()
    # Live again: a change made now reaches the tablet.
    await server.push({"type": "ticket.called", "at": at("09:17"), "ticket": "A001", "window": "1"})
    await card.wait_for(state="detached", timeout=WAIT_MS)


async def test_new_alert_sounds_unless_muted(browser: Any, server: LiveServer) -> None:
    """A newly raised alert rings; after the mute toggle a new one does not."""
    page = await signed_in_page(browser, server, "王芳")
    await care_15_scene(server, "A001")
    await page.locator("[data-alert-kind='care_15']").wait_for(timeout=WAIT_MS)
    assert await page.evaluate("window.WaitWellStaff.beeps") == 1
    await page.click("#mute")
    assert await page.locator("#mute").get_attribute("aria-pressed") == "true"
    await server.push({"type": "ticket.issued", "at": at("09:10"), "ticket": "A002", "service": "quick"},
                      {"type": "clock.tick", "at": at("09:26")})
    await page.locator("[data-alert-kind='care_15']:has-text('A002')").wait_for(timeout=WAIT_MS)
    assert await page.evaluate("window.WaitWellStaff.beeps") == 1


async def test_english_switch_is_remembered(browser: Any, server: LiveServer) -> None:
    """The language button switches the UI to English and the choice survives a reload."""
    await care_15_scene(server, "A001")
    page = await signed_in_page(browser, server, "Wang")
    button = page.locator("[data-alert-kind='care_15'] [data-action='ack']")
    await button.wait_for(timeout=WAIT_MS)
    assert await button.inner_text() == "我来处理"
    await page.click("#lang")
    assert await button.inner_text() == "I'm on it"
    assert "Payments" in await page.locator("[data-alert-kind='care_15'] .service").inner_text()
    await page.reload()
    await page.locator("[data-alert-kind='care_15'] [data-action='ack']").wait_for(timeout=WAIT_MS)
    assert await page.locator("[data-alert-kind='care_15'] [data-action='ack']").inner_text() == "I'm on it"


def alert_json(alert_id: str, kind: str, ticket: str | None, message: str) -> dict[str, Any]:
    """An ALERT object as the staff feed sends it."""
    return {"id": alert_id, "kind": kind, "ticket": ticket, "service": "quick" if ticket else None,
            "raised_at": at("09:15"), "waited_s": 900 if ticket else 0, "waiting": 3, "open_windows": 1,
            "recommended_windows": None, "message": message, "acknowledged_by": None,
            "waiting_since": at("09:00") if ticket else None, "acknowledged_at": None, "resolved_at": None}


async def test_later_kinds_shown_after_known_ones_and_4008_reconnects(browser: Any, server: LiveServer) -> None:
    """Kinds the page does not know are listed after the known ones with the server's sentence; a 4008 close reconnects by itself."""
    import re

    connections: list[Any] = []

    def feed(ws: Any) -> None:
        connections.append(ws)
        ws.send(json.dumps({"type": "snapshot", "at": at("09:16"), "alerts": [
            alert_json("x1", "mystery", None, "神秘提醒：请看看 / Mystery: have a look"),
            alert_json("x2", "staffing", None, "午间请保持半数窗口 / Keep half the windows open at noon"),
            alert_json("x3", "care_15", "A001", "A001 已等候 15 分钟 / A001 has waited 15 min"),
        ]}))

    context = await browser.new_context()
    await context.route_web_socket(re.compile(r".*/ws/staff.*"), feed)
    page = await context.new_page()
    await page.goto(server.url(f"/staff?token={STAFF_TOKEN}&name=Wang"))
    await page.locator("[data-alert-kind='mystery']").wait_for(timeout=WAIT_MS)
    cards = page.locator("#alerts [data-alert-id]")
    assert [await cards.nth(i).get_attribute("data-alert-kind") for i in range(3)] == ["staffing", "care_15", "mystery"]
    assert "神秘提醒：请看看" in await cards.nth(2).inner_text()
    assert "mystery" in await cards.nth(2).inner_text()
    assert "午间请保持半数窗口" in await cards.nth(0).inner_text()

    await connections[0].close(code=4008, reason="fell behind")
    await page.wait_for_function("window.WaitWellStaff.snapshots === 2 && window.WaitWellStaff.online === true",
                                 timeout=WAIT_MS)
    assert await cards.count() == 3
    assert len(connections) == 2
    assert await page.locator("#signin").is_hidden()


RING_KINDS = {"care_15", "care_30", "staffing", "open_windows"}
"""What needs a person now rings; care_soon is a forecast and never rings."""


async def likely_long_waits_scene(server: LiveServer) -> None:
    """One window at 09:00 and eleven quick tickets by 09:02: the last few are likely to pass 15 min
    (care_soon: the last two expect 27 and 30 min, over the 0.88 starting level), the hall needs more
    windows (open_windows, staffing); nobody has waited 15 min. Every alert of the scene is still
    active at its end."""
    await server.push(
        {"type": "window.opened", "at": at("09:00"), "window": "1"},
        *({"type": "ticket.issued", "at": at(f"09:0{i // 4}"), "ticket": f"A{i:03}", "service": "quick"}
          for i in range(1, 12)),
        {"type": "clock.tick", "at": at("09:02:20")},  # before the 09:02:30 review changes the advice
    )


async def test_care_soon_never_rings_and_reads_likely_long_wait(browser: Any, server: LiveServer) -> None:
    """Early-care forecasts are shown as "可能久等 / likely long wait" and do not ring; the alerts
    that need a person now (open_windows, staffing) ring once each."""
    page = await signed_in_page(browser, server, "王芳", viewport={"width": 390, "height": 844})
    await likely_long_waits_scene(server)
    report = await server.get("/api/report")
    kinds = [a["kind"] for a in report["alerts"]]
    assert kinds.count("care_soon") >= 2 and "open_windows" in kinds  # the scene is what it says
    active = [a for a in report["alerts"] if a["resolved_at"] is None]
    assert len(active) == len(kinds)
    await page.wait_for_function(
        "(ids) => ids.every((id) => document.querySelector(`[data-alert-ids~='${id}'], [data-alert-id='${id}']`))",
        arg=[a["id"] for a in active], timeout=WAIT_MS)
    assert await page.evaluate("window.WaitWellStaff.beeps") == sum(1 for k in kinds if k in RING_KINDS)
    text = await page.locator("#alerts").inner_text()
    assert "可能久等" in text and "即将超时" not in text
    await page.click("#lang")
    assert "Likely long wait" in await page.locator("#alerts").inner_text()


PHONE = {"width": 390, "height": 844}


async def crowd_scene(server: LiveServer, tickets: int = 10) -> None:
    """One window at 08:30 and ``tickets`` quick tickets at 09:00, the hall clock at 09:14: nobody
    is due a visit yet, but many are likely to wait long (care_soon)."""
    await server.push(
        {"type": "window.opened", "at": at("08:30"), "window": "1"},
        *({"type": "ticket.issued", "at": at("09:00"), "ticket": f"A{i:03d}", "service": "quick"}
          for i in range(1, tickets + 1)),
        {"type": "clock.tick", "at": at("09:14")},
    )


async def set_floor(page: Any, staff: int) -> None:
    """Set the tablet's "on the floor" count with its buttons."""
    while int(await page.inner_text("#floor-count")) > staff:
        await page.click("#floor-minus")
    while int(await page.inner_text("#floor-count")) < staff:
        await page.click("#floor-plus")


async def test_many_likely_long_waits_fold_into_one_hall_card(browser: Any, server: LiveServer) -> None:
    """More than three care_soon become one card "N 位客户可能等候超过 15 分钟" with one button that
    takes them all, instead of a card each."""
    await crowd_scene(server)
    soon = [a for a in (await server.get("/api/state"))["alerts"] if a["kind"] == "care_soon"]
    assert len(soon) > 3
    page = await signed_in_page(browser, server, "王芳", viewport=PHONE)
    fold = page.locator("#alerts > li[data-alert-kind='care_soon']")
    await fold.wait_for(timeout=WAIT_MS)
    assert await fold.count() == 1
    assert await fold.get_attribute("data-fold-count") == str(len(soon))
    assert f"{len(soon)} 位客户可能等候超过 15 分钟" in await fold.inner_text()
    assert "巡一圈" in await fold.inner_text()
    await fold.locator("[data-action='ack']").click()
    # One alert.ack per customer, each confirmed on its own: until the last lands the page shows a
    # taken fold beside the rest. Done is one taken fold holding them all.
    await page.wait_for_function(
        """n => {
            const cards = document.querySelectorAll("#alerts > li[data-alert-kind='care_soon']");
            return cards.length === 1 && cards[0].querySelector('.taken-by') !== null
                && cards[0].getAttribute('data-fold-count') === String(n);
        }""", arg=len(soon), timeout=WAIT_MS)
    stored = {a["id"]: a for a in (await server.get("/api/state"))["alerts"]}
    assert all(stored[a["id"]]["acknowledged_by"] == "王芳" for a in soon)


async def test_a_screenful_then_n_more(browser: Any, server: LiveServer) -> None:
    """Twelve cards on a phone: six on screen (the last one fully visible), then "还有 N 条", which
    opens the rest and closes again."""
    await crowd_scene(server)
    await server.push({"type": "clock.tick", "at": at("09:16")})  # ten care_15 visits due
    page = await signed_in_page(browser, server, "王芳", viewport=PHONE)
    await set_floor(page, 10)  # ten people can take ten visits: one card each, no rounds
    cards = page.locator("#alerts > li")
    more = page.locator("#more")
    await more.wait_for(timeout=WAIT_MS)
    total = len([a for a in (await server.get("/api/state"))["alerts"] if a["kind"] != "care_soon"])
    assert total > 6
    assert await cards.count() == 6
    assert await more.inner_text() == f"还有 {total - 6} 条"
    box = await cards.nth(5).bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"]
    await more.click()
    assert await cards.count() == total
    assert await more.inner_text() == "收起"
    await more.click()
    assert await cards.count() == 6


async def test_care_round_rings_once_and_is_taken_in_one_action(browser: Any, server: LiveServer) -> None:
    """With more visits due than the floor can make, the phone groups them into rounds of up to six,
    longest wait first, ringing once per new round; "这一轮我来" takes every customer of the round
    with the name, on the server and on every other tablet."""
    await crowd_scene(server)
    page = await signed_in_page(browser, server, "王芳", viewport=PHONE)
    await set_floor(page, 1)  # one person: more than two due visits make rounds
    other = await signed_in_page(browser, server, "李明", viewport=PHONE)
    await set_floor(other, 1)
    await server.push({"type": "clock.tick", "at": at("09:16")})  # A001..A010 come due, in that order
    rounds = page.locator("#alerts > li[data-alert-kind='round']")
    await page.wait_for_function(
        "document.querySelectorAll(\"#alerts > li[data-alert-kind='round'] .round-list li\").length === 10",
        timeout=WAIT_MS)
    assert [await rounds.nth(i).get_attribute("data-round-size") for i in range(await rounds.count())] == ["6", "4"]
    assert "A001" in await rounds.nth(0).locator(".round-list li").first.inner_text()
    assert "依次探访" in await rounds.nth(0).inner_text()
    waits = await page.locator("#alerts .wait-value").all_inner_texts()
    assert waits and not [w for w in waits if re.search(r"\d:\d\d", w)], waits  # durations, not clock times
    # Two visits rang as cards before the third made rounds; the round that forms then rings once
    # (A003.. had not rung), and the second round (A007..) once.
    state = (await server.get("/api/state"))["alerts"]
    care = [a for a in state if a["kind"] == "care_15"]
    assert len(care) == 10
    hall_rings = [a for a in state if a["kind"] in ("staffing", "open_windows") and a["raised_at"] >= at("09:14")]
    assert await page.evaluate("window.WaitWellStaff.beeps") == 2 + 2 + len(hall_rings)

    first = rounds.nth(0)
    ids = (await first.get_attribute("data-ack-ids") or "").split()
    assert len(ids) == 6
    await first.locator("[data-action='ack']").click()
    mine = page.locator("#alerts > li.round.taken")
    await mine.wait_for(timeout=WAIT_MS)
    assert "你已接手" in await mine.inner_text()
    stored = {a["id"]: a for a in (await server.get("/api/state"))["alerts"]}
    assert [stored[i]["acknowledged_by"] for i in ids] == ["王芳"] * 6
    assert sorted(stored[i]["ticket"] for i in ids) == [f"A00{i}" for i in range(1, 7)]
    seen = other.locator("#alerts > li.round.taken")
    await seen.wait_for(timeout=WAIT_MS)
    assert "王芳 已接手" in await seen.inner_text()
    assert await seen.locator(".round-list li").count() == 6
    # The other four regroup into one round, without a new ring.
    await page.wait_for_function(
        "document.querySelectorAll(\"#alerts > li[data-alert-kind='round']:not(.taken)\").length === 1", timeout=WAIT_MS)
    assert await page.evaluate("window.WaitWellStaff.beeps") == 2 + 2 + len(hall_rings)
