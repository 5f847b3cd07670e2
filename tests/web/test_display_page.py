"""The browser lobby screen (/display) and its content endpoint, against the real server and Chromium.

The content is read by the pygame screen's own rules (signage.content_files); the page ports
the rules it runs to JS in sections named after the Python modules, and the tests check that
map and run the Python rule (signage.state, calls, view, schedule, playlist, feed) on the same
input, demanding the same answer. Timing runs on Playwright's fake clock, never on the wall clock.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import jsonschema
import pytest
import websockets

from server.web.display_content import DEFAULT_CONTENT_DIR, content_json, load_display_content
from server.web.keys import HUB
from signage.calls import HOLD_S, MAX_LAG_S, MAX_ROWS, banner_at, schedule, state_banner
from signage.content import Content, ScreenConfig
from signage.content_files import load_playlist, load_screen
from signage.errors import ContentError, InvalidState
from signage.feed import Feed, backoff_delays
from signage.playlist import Playlist
from signage.state import parse_message, parse_state
from signage.view import LONG_SHARE, format_wait, ticker_items, wait_level, window_text

from tests.browser.conftest import WAIT_MS, LiveServer, at, browser, server  # noqa: F401 - fixtures


REPO = Path(__file__).resolve().parents[2]
SCREEN = load_screen(DEFAULT_CONTENT_DIR)
BANNER_MS = int(SCREEN.banner_seconds * 1000)
RECONNECT_MS = 30_000
"""Generous: after a restart the page's next attempt may be up to 4 s of backoff away."""


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture
def live(server: LiveServer) -> LiveServer:
    """The server with the repository's sample content (tests.browser.conftest's fixture)."""
    return server


@pytest.fixture
def content_root(tmp_path: Path, monkeypatch: Any) -> Path:
    """A content directory of the test's own, read by a ``server`` requested after it."""
    root = tmp_path / "content"
    monkeypatch.setenv("WAITWELL_CONTENT_DIR", str(root))
    return root


@dataclass
class Screen:
    page: Any
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    async def text(self, selector: str) -> str:
        return (await self.page.locator(selector).inner_text()).strip()

    async def hook(self) -> dict[str, Any]:
        return await self.page.evaluate("window.__waitwell")

    async def freeze(self) -> None:
        """Stop the page's clock: from now on time moves only by run_for()."""
        now_ms = await self.page.evaluate("Date.now()")
        await self.page.clock.pause_at((now_ms + 1000) / 1000)  # Python's Playwright counts in seconds

    async def run_for(self, ms: int) -> None:
        await self.page.clock.run_for(ms)


async def open_screen(browser: Any, server: LiveServer, *, fake_clock: bool = False,
                      viewport: tuple[int, int] = (1280, 720), timezone: str | None = None) -> Screen:
    context = await browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, timezone_id=timezone)
    page = await context.new_page()
    screen = Screen(page)
    page.on("pageerror", lambda exc: screen.errors.append(str(exc)))
    page.on("console", lambda msg: screen.console.append(f"{msg.type}: {msg.text}"))
    if fake_clock:
        await page.clock.install()
    # A fast-forwarded fake clock leaves no real time for pongs: the keep-alive ping is off there.
    await page.goto(server.url("/display?ping_s=0" if fake_clock else "/display"))
    await page.wait_for_selector("body[data-feed='live']", timeout=WAIT_MS)
    return screen


async def display_state(server: LiveServer) -> dict[str, Any]:
    """The display.state a screen connecting now receives."""
    async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws/display") as ws:
        return json.loads(await ws.recv())


async def two_windows(server: LiveServer, *tickets: str) -> None:
    await server.push({"type": "window.opened", "at": at("09:00"), "window": "1"},
                      {"type": "window.opened", "at": at("09:00"), "window": "2"},
                      *({"type": "ticket.issued", "at": at("09:01"), "ticket": t, "service": "quick"} for t in tickets))


# ---------------------------------------------------------------------------- content module


def test_sample_content_matches_the_pygame_loader() -> None:
    """The server reads content/ to the same settings, tips and playlist as signage.content."""
    content = load_display_content(DEFAULT_CONTENT_DIR)
    playlist = load_playlist(DEFAULT_CONTENT_DIR)
    assert content["banner_seconds"] == SCREEN.banner_seconds
    assert content["history"] == SCREEN.history
    assert content["ticker_page_seconds"] == SCREEN.ticker_page_seconds
    assert content["chime"] is SCREEN.chime
    assert [(t["zh"], t["en"]) for t in content["tips"]] == [(t.zh, t.en) for t in SCREEN.tips]
    assert [n["name"] for n in content["nearby"]] == [n.name for n in SCREEN.nearby]
    assert [(s["id"], s["duration_s"], s["priority"]) for s in content["slides"]] == \
        [(s.id, s.duration_s, s.priority) for s in playlist.slides]
    for code, expected in zip(content["qr"], SCREEN.qr, strict=True):
        assert code["url"] == expected.url
        assert code["svg"].startswith("<svg") and "viewBox" in code["svg"] and "<script" not in code["svg"]
    images = [s for s in content["slides"] if s["kind"] == "image"]
    assert images and all(s["image_url"].startswith("/content/images/promo-") for s in images)


def test_schedules_become_minutes_and_iso_dates(tmp_path: Path) -> None:
    """Overnight hours, weekday names and YAML dates reach the page in one plain form."""
    write(tmp_path, "playlist.yaml", """
slides:
  - id: night
    title: Night
    schedule: {hours: ["17:30-09:00", "12:00-24:00"], weekdays: [Sat, sunday], from: 2027-02-05, until: "2027-02-12"}
  - id: gone
    image: images/missing.png
""")
    night, gone = load_display_content(tmp_path)["slides"]
    assert night["schedule"] == {"weekdays": [5, 6], "hours": [[1050, 540], [720, 0]],
                                 "from": "2027-02-05", "until": "2027-02-12"}
    assert night["duration_s"] == 10.0  # the playlist's default
    assert gone["image_url"] is None  # a missing picture: the page skips the slide


def test_missing_files_mean_the_pygame_defaults(tmp_path: Path) -> None:
    content = load_display_content(tmp_path)
    defaults = load_screen(tmp_path)
    assert (content["banner_seconds"], content["history"], content["ticker_page_seconds"]) == \
        (defaults.banner_seconds, defaults.history, defaults.ticker_page_seconds)
    assert content["slides"] == [] and content["qr"] == []


BAD_CONTENT = [
    ("screen.yaml", "banner_seconds: soon\n", "signage/screen.yaml: banner_seconds: expected a number, got 'soon'"),
    ("screen.yaml", "banner_seconds: 0\n", "signage/screen.yaml: banner_seconds: must be at least 1"),
    ("screen.yaml", "qr:\n  - url: example.com\n    caption: App\n", "signage/screen.yaml: qr[0].url: not a URL"),
    ("screen.yaml", "qr:\n  - url: https://example.com\n", "signage/screen.yaml: qr[0].caption: is required"),
    ("screen.yaml", "tips: [\n", "signage/screen.yaml: line 2: invalid YAML"),
    ("screen.yaml", "busy:\n  nearby:\n    - address: x\n", "signage/screen.yaml: busy.nearby[0].name: is required"),
    ("playlist.yaml", "slides:\n  - id: a\n", "signage/playlist.yaml: slides[0]: a slide needs an image or a title"),
    ("playlist.yaml", "slides:\n  - {title: a, priority: high}\n", "signage/playlist.yaml: slides[0].priority: expected an integer"),
    ("playlist.yaml", "slides:\n  - {title: a, schedule: {hours: ['25:00-26:00']}}\n",
     "signage/playlist.yaml: slides[0].schedule.hours[0]: expected HH:MM-HH:MM"),
    ("playlist.yaml", "slides:\n  - {title: a, schedule: {weekdays: [funday]}}\n",
     "signage/playlist.yaml: slides[0].schedule.weekdays[0]: not a weekday"),
    ("playlist.yaml", "slides:\n  - {title: a, schedule: {when: always}}\n",
     "signage/playlist.yaml: slides[0].schedule.when: unknown schedule field"),
    ("playlist.yaml", "slides:\n  - {id: a, title: a}\n  - {id: a, title: b}\n",
     "signage/playlist.yaml: slides[1].id: duplicate slide id 'a'"),
    ("screen.yaml", "banner_seconds: .nan\n", "signage/screen.yaml: banner_seconds: must be a finite number, got nan"),
    ("screen.yaml", "history: .inf\n", "signage/screen.yaml: history: must be a finite number, got inf"),
    ("playlist.yaml", "slides:\n  - {title: a, schedule: {from: 2027-02-05 10:00:00}}\n",
     "signage/playlist.yaml: slides[0].schedule.from: expected a date YYYY-MM-DD without a time, got 2027-02-05 10:00:00"),
]


@pytest.mark.parametrize(("file", "text", "message"), BAD_CONTENT, ids=[m.split(": ", 1)[1][:40] for *_, m in BAD_CONTENT])
def test_bad_content_names_file_and_field_and_pygame_refuses_it_too(tmp_path: Path, file: str, text: str,
                                                                     message: str) -> None:
    write(tmp_path, file, text)
    with pytest.raises(ContentError) as err:
        load_display_content(tmp_path)
    assert str(err.value).startswith(message), str(err.value)
    with pytest.raises(ContentError):  # the same file stops the pygame screen: one set of rules
        (load_screen if file == "screen.yaml" else load_playlist)(tmp_path)


SIGNAGE_CONTENT_MODULES = ["signage", "signage.content", "signage.content_files", "signage.errors", "signage.fields",
                           "signage.playlist", "signage.schedule"]


def test_server_imports_only_the_screens_content_rules() -> None:
    """The server reads content by the screen's own rules and loads no other signage module, no pygame."""
    code = ("import sys, server.web.app, server.web.display_content\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('signage', 'pygame')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == repr(SIGNAGE_CONTENT_MODULES)


def write(root: Path, file: str, text: str) -> None:
    path = root / "signage" / file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------- HTTP


async def test_content_endpoint_json_etag_images_and_fonts(live: LiveServer) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(live.url("/api/display/content")) as r:
            assert r.status == 200 and r.content_type == "application/json"
            content = await r.json()
            etag = r.headers["ETag"]
        [schema] = re.findall(r"```json display-content-schema\n(.*?)\n```",
                              (REPO / "docs" / "protocol.md").read_text(encoding="utf-8"), re.S)
        jsonschema.Draft202012Validator(json.loads(schema)).validate(content)  # the documented contract
        async with session.get(live.url("/api/display/content"), headers={"If-None-Match": etag}) as r:
            assert r.status == 304  # the page polls; an unchanged content costs no body
        image = next(s["image_url"] for s in content["slides"] if s["image_url"])
        async with session.get(live.url(image)) as r:
            assert r.status == 200 and r.content_type == "image/png"
        async with session.get(live.url("/content/fonts/NotoSansSC-Bold-GB2312.otf")) as r:
            assert r.status == 200 and r.content_type == "font/otf"
        async with session.get(live.url("/static/display.js")) as r:
            assert r.status == 200
        async with session.get(live.url("/display")) as r:
            assert r.status == 200 and "display.js" in await r.text()


@pytest.mark.parametrize("path", ["/content/hall.yaml", "/content/images/..%2Fhall.yaml", "/content/fonts/OFL.txt",
                                  "/content/signage/screen.yaml", "/content/images/nope.png"])
async def test_only_pictures_and_fonts_are_served(live: LiveServer, path: str) -> None:
    """hall.yaml sits in the content directory with tokens and PINs: it must never be served."""
    async with aiohttp.ClientSession() as session:
        async with session.get(live.url(path)) as r:
            assert r.status == 404
            assert "token" not in await r.text()


async def test_invalid_content_is_a_clear_error_and_a_fix_clears_it(content_root: Path, server: LiveServer) -> None:
    root = content_root
    write(root, "screen.yaml", "banner_seconds: soon\n")
    async with aiohttp.ClientSession() as session:
        async with session.get(server.url("/api/display/content")) as r:
            assert r.status == 500
            assert await r.json() == {"error": {"code": "invalid_content", "message":
                                                "signage/screen.yaml: banner_seconds: expected a number, got 'soon'"}}
        write(root, "screen.yaml", "banner_seconds: 5\n")
        os.utime(root / "signage" / "screen.yaml", ns=(1, 2))  # a new mtime even on coarse clocks
        async with session.get(server.url("/api/display/content")) as r:
            assert r.status == 200
            assert (await r.json())["banner_seconds"] == 5


# ---------------------------------------------------------------------------- the page: calls


async def test_called_ticket_shows_in_banner_then_current_and_recent(browser: Any, live: LiveServer) -> None:
    await two_windows(live, "A001", "A002")
    screen = await open_screen(browser, live, fake_clock=True)
    await screen.freeze()
    assert await screen.text("#current") == "暂无叫号\nNo calls yet"

    await live.push({"type": "ticket.called", "at": at("09:05"), "ticket": "A001", "window": "1"})
    banner = screen.page.locator("#banner[data-ticket='A001']")
    await banner.wait_for(timeout=WAIT_MS)
    assert "请 A001 号到 1 号窗口办理" in await banner.inner_text()
    assert "Ticket A001, please go to window 1" in await banner.inner_text()
    await screen.run_for(50)  # one animation frame: the benchmark hook is set in it
    shown = (await screen.hook())["lastShownCall"]
    assert (shown["ticket"], shown["window"]) == ("A001", "1")
    assert isinstance(shown["seq"], int) and shown["shownAt"] >= shown["startedAt"]

    await screen.run_for(BANNER_MS)
    await banner.wait_for(state="hidden", timeout=WAIT_MS)
    assert await screen.page.locator("#current").get_attribute("data-ticket") == "A001"
    assert "1号窗口" in await screen.text("#current")

    await live.push({"type": "ticket.called", "at": at("09:06"), "ticket": "A002", "window": "2"})
    await screen.page.locator("#banner[data-ticket='A002']").wait_for(timeout=WAIT_MS)
    await screen.run_for(BANNER_MS + 50)
    await screen.page.locator("#current[data-ticket='A002']").wait_for(state="visible", timeout=WAIT_MS)
    assert await screen.page.locator("#history li").evaluate_all("els => els.map(e => e.dataset.ticket)") == ["A001"]
    assert await screen.text("#history li") == "A001\n1号窗口"
    assert screen.errors == []


def banner_tickets(state: dict[str, Any], now: datetime) -> list[str] | None:
    """The tickets on the Python screen's banner for ``state`` at hall time ``now``."""
    b = state_banner(parse_state(state), now, SCREEN.banner_seconds)
    return None if b is None else [c.ticket for c in b.calls]


async def page_banner(screen: Screen) -> list[str] | None:
    return await screen.page.locator("#banner").evaluate("b => b.hidden ? null : b.dataset.tickets.split(' ')")


async def test_calls_arriving_together_are_shown_together_with_the_python_banner_timing(browser: Any, live: LiveServer) -> None:
    """Two calls 2 s apart share the banner, each for its own 8 s from its call time, as signage/calls.py says."""
    await two_windows(live, "A001", "A002")
    screen = await open_screen(browser, live, fake_clock=True)
    await screen.freeze()
    await live.push({"type": "ticket.called", "at": at("09:05:00"), "ticket": "A001", "window": "1"},
                    {"type": "ticket.called", "at": at("09:05:02"), "ticket": "A002", "window": "2"})
    state = await display_state(live)
    hall_at = datetime.fromisoformat(state["at"])
    assert hall_at == datetime.fromisoformat(at("09:05:02"))
    # The Python rule, on the same state, at the same hall times: what must be shown when.
    offsets_ms = [0, BANNER_MS - 2001, BANNER_MS - 2000, BANNER_MS - 1, BANNER_MS]
    expected = [banner_tickets(state, hall_at + timedelta(milliseconds=ms)) for ms in offsets_ms]
    assert expected == [["A001", "A002"], ["A001", "A002"], ["A002"], ["A002"], None]

    await screen.page.locator("#banner[data-tickets='A001 A002']").wait_for(timeout=WAIT_MS)
    assert await screen.page.locator("#banner .brow").evaluate_all("els => els.map(e => e.innerText.replace(/\\s+/g, ' '))") == \
        ["A001 → 1号窗口 Window 1", "A002 → 2号窗口 Window 2"]
    seen = []
    done = 0
    for ms in offsets_ms:  # the page's clock is paused: hall time is `at` plus what we run
        await screen.run_for(ms - done)
        done = ms
        seen.append(await page_banner(screen))
    assert seen == expected
    assert (await screen.hook())["lastShownCall"]["ticket"] == "A002"
    assert screen.errors == []


async def test_after_a_connect_the_banner_is_what_every_screen_shows(browser: Any, live: LiveServer) -> None:
    """A page opened late shows the banner the others show at that hall time: old calls none, a recent one the rest of its 8 s."""
    await two_windows(live, "A001", "A002")
    await live.push({"type": "ticket.called", "at": at("09:05:00"), "ticket": "A001", "window": "1"},
                    {"type": "ticket.called", "at": at("09:05:05"), "ticket": "A002", "window": "2"},
                    {"type": "clock.tick", "at": at("09:05:10")})
    state = await display_state(live)
    assert banner_tickets(state, datetime.fromisoformat(at("09:05:10"))) == ["A002"]  # A001's 8 s ended at :08

    screen = await open_screen(browser, live, fake_clock=True)
    await screen.freeze()
    await screen.page.locator("#banner[data-ticket='A002']").wait_for(timeout=WAIT_MS)
    assert await page_banner(screen) == ["A002"]
    assert await screen.page.locator("#banner-pending").is_hidden()
    await screen.run_for(3000)  # A002 was called at :05, the page opened at :10
    await screen.page.locator("#banner").wait_for(state="hidden", timeout=WAIT_MS)
    assert await screen.page.locator("#current").get_attribute("data-ticket") == "A002"
    assert (await screen.hook())["lastShownCall"]["ticket"] == "A002"


async def test_after_closing_no_banner_no_now_calling_and_no_window_open(browser: Any, live: LiveServer) -> None:
    """The hall closes right after a call: the banner clears, nothing reads "now calling", every service "暂无窗口"."""
    await two_windows(live, "A001")
    screen = await open_screen(browser, live, fake_clock=True)
    await screen.freeze()
    await live.push({"type": "ticket.called", "at": at("17:00:00"), "ticket": "A001", "window": "1"})
    await screen.page.locator("#banner[data-ticket='A001']").wait_for(timeout=WAIT_MS)
    await live.push({"type": "window.closed", "at": at("17:00:02"), "window": "1"},
                    {"type": "window.closed", "at": at("17:00:02"), "window": "2"})
    await screen.page.locator("#banner").wait_for(state="hidden", timeout=WAIT_MS)
    await screen.page.wait_for_function("document.querySelector('#current').innerText.includes('暂无窗口')", timeout=WAIT_MS)
    assert await screen.text("#current") == "暂无窗口\nNo window open"
    waits = await screen.page.locator("#wait-rows li").evaluate_all(
        "els => els.map(e => [e.querySelector('.wait').textContent, e.querySelector('.wait-en').textContent, e.className])")
    assert waits and all(w[:2] == ["暂无窗口", "no window open"] and "level-none" in w[2] for w in waits), waits
    state = await display_state(live)
    assert state["open_windows"] == 0 and state["calls"][0]["ticket"] == "A001"  # the list still has it
    assert screen.errors == []


def test_display_state_carries_the_halls_care_threshold() -> None:
    """display.state has care_first_min from the hall's config: the screens colour waits by it."""
    from server.config_file import parse_config
    from server.hall import Hall
    from server.wire import display_state as wire_display_state
    from tests.halltools import T0, config_with

    hall = Hall(parse_config(config_with(alerts={"care_first_min": 12, "care_second_min": 25})))
    msg = wire_display_state(hall, 1, T0)
    assert msg["care_first_min"] == 12
    assert parse_state(msg).care_first_min == 12


# ---------------------------------------------------------------------------- the page: waits, content


async def test_waits_per_service_read_like_the_python_view(browser: Any, live: LiveServer) -> None:
    """Each row's text is signage.view.format_wait of the same state, also counted down later."""
    await live.push({"type": "window.opened", "at": at("09:00"), "window": "1", "services": ["quick", "standard"]},
                    *({"type": "ticket.issued", "at": at("09:01"), "ticket": f"A00{i}", "service": "quick"} for i in range(1, 6)),
                    {"type": "ticket.issued", "at": at("09:02"), "ticket": "B001", "service": "standard"},
                    {"type": "ticket.issued", "at": at("09:02"), "ticket": "C001", "service": "complex"})
    state = await display_state(live)
    screen = await open_screen(browser, live, fake_clock=True)
    await screen.freeze()
    await screen.page.locator("#wait-rows li[data-service='complex']").wait_for(timeout=WAIT_MS)

    async def rows() -> list[tuple[str, str, str]]:
        return await screen.page.locator("#wait-rows li").evaluate_all(
            "els => els.map(e => [e.dataset.service, e.querySelector('.wait').textContent, "
            "e.querySelector('.wait-en').textContent])")

    def expected(elapsed_s: float) -> list[tuple[str, str, str]]:
        out = []
        for s in parse_state(state).services:
            text = format_wait(s.waiting, s.expected_wait_s, s.expected_wait_range_s, elapsed_s)
            out.append([s.id, *(text or ("暂无窗口", "no window open"))])
        return out

    assert await rows() == expected(0)
    assert ["complex", "暂无窗口", "no window open"] in expected(0)  # no open window serves it
    assert await screen.text("#wait-rows li[data-service='quick'] .count") == "5人"
    assert await screen.text("#total-zh") == "共 7 人等候 · 1 个窗口服务中"
    await screen.run_for(7 * 60_000)  # no new state: the page counts down by itself
    assert await rows() == expected(7 * 60) != expected(0)
    assert screen.errors == []


async def test_page_uses_the_bundled_font_and_the_server_content(browser: Any, live: LiveServer) -> None:
    screen = await open_screen(browser, live)
    await screen.page.wait_for_function("document.querySelector('#qr svg') !== null", timeout=WAIT_MS)
    loaded = "[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family + ' ' + f.weight)"
    await screen.page.wait_for_function(f"{loaded}.length >= 2", timeout=WAIT_MS)
    assert sorted(await screen.page.evaluate(loaded)) == ['WaitWell Sans 400', 'WaitWell Sans 700']
    assert await screen.page.evaluate("document.fonts.check(\"700 46px 'WaitWell Sans'\", '幸福路营业厅')")
    assert await screen.page.locator("#qr .qr-cell").count() == 2
    assert await screen.page.locator("#qr .qr-caption").all_inner_texts() == [q.caption for q in SCREEN.qr]
    assert await screen.text("#hall-name") == "幸福路营业厅"
    tips = {t.zh for t in SCREEN.tips}
    assert await screen.text("#ticker-zh") in tips
    assert screen.errors == []


async def test_content_error_is_logged_and_the_screen_keeps_showing_calls(browser: Any, content_root: Path, server: LiveServer) -> None:
    root = content_root
    write(root, "screen.yaml", "banner_seconds: soon\n")
    await two_windows(server, "A001")
    await server.push({"type": "ticket.called", "at": at("09:05"), "ticket": "A001", "window": "1"})
    screen = await open_screen(browser, server)
    await screen.page.wait_for_function("window.__waitwell.contentError !== null", timeout=WAIT_MS)
    message = "signage/screen.yaml: banner_seconds: expected a number, got 'soon'"
    assert (await screen.hook())["contentError"] == message
    assert any(message in line and line.startswith("error") for line in screen.console), screen.console
    assert await screen.page.locator("#current").get_attribute("data-ticket") == "A001"
    assert await screen.text("#ticker-zh") == "欢迎光临"  # the defaults until the content is fixed
    assert screen.errors == []


async def test_a_broken_picture_is_skipped_never_a_blank_panel(browser: Any, content_root: Path, server: LiveServer) -> None:
    root = content_root
    (root / "images").mkdir(parents=True)
    (root / "images" / "broken.png").write_bytes(b"not a png")
    write(root, "playlist.yaml", """
slides:
  - {id: broken, image: images/broken.png, duration_s: 10}
  - {id: card, title: 全家共享, title_en: Family plan, duration_s: 10}
""")
    # Hall time at a multiple of the 20 s rotation: the broken picture's turn (epoch-anchored).
    start = datetime.fromisoformat(at("09:00"))
    start += timedelta(seconds=-start.timestamp() % 20)
    # A state change, not a clock.tick: a tick that changes nothing publishes no new state.
    await server.push({"type": "window.opened", "at": start.isoformat(), "window": "1"})
    screen = await open_screen(browser, server, fake_clock=True)
    await screen.freeze()
    await screen.page.wait_for_function("window.__waitwell.lastState !== null", timeout=WAIT_MS)
    await screen.run_for(50)
    # The broken picture's turn came with the state: it was tried, skipped, the card drawn.
    assert any("promo image skipped" in line for line in screen.console) or await eventually(
        lambda: any("promo image skipped" in line for line in screen.console)), screen.console
    await screen.page.locator("#promo[data-slide='card']").wait_for(timeout=WAIT_MS)
    assert await screen.text("#promo .title") == "全家共享"
    assert screen.errors == []


# ---------------------------------------------------------------------------- the page: offline


async def test_offline_badge_while_the_server_is_down_gone_after_a_fresh_state(browser: Any, live: LiveServer) -> None:
    await two_windows(live, "A001", "A002")
    await live.push({"type": "ticket.called", "at": at("09:05"), "ticket": "A001", "window": "1"})
    screen = await open_screen(browser, live)
    assert await screen.page.locator("#offline").is_hidden()

    await live.stop()
    badge = screen.page.locator("#offline")
    await badge.wait_for(state="visible", timeout=WAIT_MS)
    assert (await badge.inner_text()).startswith("离线 / offline since ")
    assert await screen.page.locator("body").get_attribute("data-feed") == "offline"
    # Never dark: the last state stays on screen.
    assert await screen.page.locator("#current").get_attribute("data-ticket") == "A001"
    assert "1号窗口" in await screen.text("#current")

    await live.start()  # same port, same journal: the hall comes back as it was
    await live.push({"type": "ticket.called", "at": at("09:07"), "ticket": "A002", "window": "2"})
    await screen.page.locator("body[data-feed='live']").wait_for(timeout=RECONNECT_MS)
    await badge.wait_for(state="hidden", timeout=WAIT_MS)
    await screen.page.locator("#current[data-ticket='A002']").wait_for(state="attached", timeout=WAIT_MS)
    assert screen.errors == []


async def test_page_drops_a_silent_feed_after_two_unanswered_pings(browser: Any, live: LiveServer) -> None:
    """A server that vanished without closing is found by the app-level ping: offline, then back."""
    context = await browser.new_context()
    page = await context.new_page()
    silent = True

    def relay(route: Any) -> None:
        # The real feed, with the server's pongs swallowed while `silent`: a half-dead link.
        server = route.connect_to_server()
        server.on_message(lambda message: None if silent and '"pong"' in str(message) else route.send(message))

    await page.route_web_socket(re.compile(r".*/ws/display.*"), relay)
    await page.goto(live.url("/display?ping_s=1"))
    await page.wait_for_selector("body[data-feed='live']", timeout=WAIT_MS)
    await page.wait_for_selector("body[data-feed='offline']", timeout=WAIT_MS)  # ~3 s: two pings unanswered
    silent = False
    await page.wait_for_selector("body[data-feed='live']", timeout=WAIT_MS)
    await asyncio.sleep(3.5)  # answered pings keep it live
    assert await page.locator("body").get_attribute("data-feed") == "live"


# ---------------------------------------------------------------------------- the rules, JS against Python


DISPLAY_JS = REPO / "server" / "web" / "static" / "display.js"


def _camel(name: str) -> str:
    if name.isupper():
        return name  # a constant keeps its name
    first, *rest = name.lstrip("_").split("_")
    return first + "".join(w[:1].upper() + w[1:] for w in rest)


def _js_definition(section: str, name: str) -> int:
    """Where ``section`` defines the JS port of Python ``name`` (see display.js's header), or -1."""
    *owner, last = name.split(".")
    method = _camel(last)
    if not owner:
        patterns = [rf"function {method}\(", rf"(?:const|let) {method} ="]
    else:
        cls = owner[0]
        patterns = [rf"{cls}\.prototype\.{method} =", rf"function {cls[0].lower()}{cls[1:]}{method[0].upper()}{method[1:]}\(",
                    rf"function {method}\("]
        if f"const {cls} = {{" in section:  # an object literal's method
            patterns.append(rf"\n    {method}\(")
    found = [m.start() for p in patterns if (m := re.search(p, section))]
    return min(found) if found else -1


def _python_line(module: Any, name: str) -> int:
    """The line where ``module`` defines ``name`` (a function, class, method or constant)."""
    obj = module
    for part in name.split("."):
        obj = getattr(obj, part)
    if callable(obj) or isinstance(obj, type):
        return inspect.getsourcelines(obj)[1]
    source = inspect.getsource(module)
    return source[:re.search(rf"^{name} =", source, re.M).start()].count("\n") + 1


def test_display_js_sections_name_the_python_modules_they_port() -> None:
    """display.js's sections are "signage/MODULE.py: NAMES" as its header lists, in that order; each name is
    defined in Python in that order and ported in its section in that order."""
    text = DISPLAY_JS.read_text(encoding="utf-8")
    header = text[text.index("in this order:"):text.index("A Python name maps")]
    listed: list[tuple[str, str]] = []
    for line in header.splitlines()[1:]:
        body = line.lstrip(" *")
        if body.startswith("signage/"):
            module, names = body.split(None, 1)
            listed.append((module, names.strip()))
        elif body:
            listed[-1] = (listed[-1][0], listed[-1][1] + " " + body.strip())
    heads = list(re.finditer(r"/\* ---- (.+?) ---- \*/", text))
    sections = []
    for i, head in enumerate(heads):
        if head[1].startswith("JS only"):
            continue
        module, names = head[1].split(": ", 1)
        sections.append((module, names, text[head.end():heads[i + 1].start() if i + 1 < len(heads) else len(text)]))
    assert [(m, n) for m, n, _ in sections] == listed
    assert len(listed) >= 10

    import importlib

    for module_path, names, body in sections:
        module = importlib.import_module(module_path.removesuffix(".py").replace("/", "."))
        python_lines, js_positions = [], []
        for name in names.split(", "):
            python_lines.append(_python_line(module, name))
            js_positions.append(_js_definition(body, name))
            assert js_positions[-1] >= 0, f"{name} of {module_path} has no JS port in its section"
        assert python_lines == sorted(python_lines), f"{module_path}: names not in the module's order"
        assert js_positions == sorted(js_positions), f"{module_path}: JS ports not in the listed order"



NEARBY = [{"name": "平静厅", "name_en": "Calm Hall", "distance": "约800米", "waiting": 3, "expected_wait_s": 250,
           "as_of": "2026-11-30T10:41:07+08:00"},
          {"name": "空厅", "distance": "", "waiting": 0, "expected_wait_s": 0, "as_of": "2026-11-30T10:40:00.5+08:00"}]
BASE_STATE = {"type": "display.state", "seq": 1, "at": None, "hall": {}, "calls": [], "services": []}


async def test_js_rules_equal_the_python_rules(browser: Any, live: LiveServer) -> None:
    """format_wait, window_text, ticker pages, backoff, defaults and the promotion schedule: same answers."""
    screen = await open_screen(browser, live)
    page = screen.page
    assert await page.evaluate("[WaitWellDisplay.HOLD_S, WaitWellDisplay.MAX_LAG_S, WaitWellDisplay.MAX_ROWS]") == \
        [HOLD_S, MAX_LAG_S, MAX_ROWS]
    assert await page.evaluate("WaitWellDisplay.LONG_SHARE") == LONG_SHARE
    feed = Feed("ws://x", lambda *_: None)
    assert await page.evaluate("[WaitWellDisplay.BACKOFF_INITIAL_MS, WaitWellDisplay.BACKOFF_MAX_MS]") == \
        [feed.initial_delay * 1000, feed.max_delay * 1000]
    assert await page.evaluate("WaitWellDisplay.OPEN_TIMEOUT_MS") == feed.open_timeout * 1000
    # Until the content arrives the page shows ScreenConfig()'s defaults, as the server would send them.
    assert await page.evaluate("WaitWellDisplay.ScreenConfig") == content_json(Content(REPO, ScreenConfig(), Playlist([])))

    cases = [(w, e, r, el) for w in (0, 1, 7) for e, r in ((None, None), (300, None), (600, [240, 900]),
                                                          (50, [0, 100]), (9000, [7200, 9900]), (400, [400, 400]))
             for el in (0, 29, 31, 95, 400)]
    js = await page.evaluate("cases => cases.map(c => WaitWellDisplay.formatWait(...c))", cases)
    py = [list(t) if (t := format_wait(w, e, tuple(r) if r else None, el)) else None for w, e, r, el in cases]
    assert js == py
    level_cases = [(*c, care) for c in cases for care in (15, 12)] + [(9, 600, None, 0, 15), (9, 900, None, 0, 15)]
    js = await page.evaluate("cases => cases.map(c => WaitWellDisplay.waitLevel(...c))", level_cases)
    assert js == [wait_level(w, e, tuple(r) if r else None, el, care) for w, e, r, el, care in level_cases]
    assert {"none", "short", "long", "over"} <= set(js)

    for window in ("3", "12", "VIP"):
        assert await page.evaluate("w => WaitWellDisplay.windowText(w)", window) == list(window_text(window))

    content = await live_content(live)
    for busy in (False, True):
        js_items = await page.evaluate("([c, b]) => WaitWellDisplay.tickerItems(c, b)", [content, busy])
        assert js_items == [list(i) for i in ticker_items(SCREEN, busy)]
        quiet = ["明天 14:00–16:00", "tomorrow 14:00–16:00"]
        js_items = await page.evaluate("([c, b, q]) => WaitWellDisplay.tickerItems(c, b, q)", [content, busy, quiet])
        assert js_items == [list(i) for i in ticker_items(SCREEN, busy, tuple(quiet))]
        assert ["明天 14:00–16:00 等候较少", "Shorter waits tomorrow 14:00–16:00"] in js_items
        # Live nearby halls (head office) in place of the content's static ones; [] is a live "none calmer".
        for nearby in (NEARBY, []):
            js_items = await page.evaluate("([c, b, q, n]) => WaitWellDisplay.tickerItems(c, b, q, "
                                           "WaitWellDisplay.parseState(n).nearby)",
                                           [content, busy, quiet, {**BASE_STATE, "nearby": nearby}])
            py_nearby = parse_state({**BASE_STATE, "nearby": nearby}).nearby
            assert js_items == [list(i) for i in ticker_items(SCREEN, busy, tuple(quiet), py_nearby)]
    busy_live = ticker_items(SCREEN, True, None, parse_state({**BASE_STATE, "nearby": NEARBY}).nearby)
    assert busy_live[-2:] == [("附近营业厅：平静厅（约800米）　3 人等候 · 约 4 分钟 · 截至 10:41",
                               "Nearby: Calm Hall (约800米): 3 waiting · about 4 min · as of 10:41"),
                              ("附近营业厅：空厅　0 人等候 · 无需等待 · 截至 10:40",
                               "Nearby: 空厅: 0 waiting · no wait · as of 10:40")]
    assert not any("建设路" in zh for zh, _ in busy_live)

    class Fixed:
        def __init__(self, value: float) -> None:
            self.value = value

        def random(self) -> float:
            return self.value

    for value in (0.0, 0.999):
        js_delays = await page.evaluate(
            "v => { const d = WaitWellDisplay.backoffDelays(() => v); return Array.from({length: 8}, () => d.next()); }", value)
        py_delays = backoff_delays(rng=Fixed(value))  # type: ignore[arg-type]
        assert js_delays == pytest.approx([next(py_delays) * 1000 for _ in range(8)])

    # The sample playlist at moments that exercise weekdays, overnight hours and date ranges.
    playlist = load_playlist(DEFAULT_CONTENT_DIR)
    tz = ZoneInfo("Asia/Shanghai")
    moments = [datetime(2026, 11, 30, 10, 0, 3, tzinfo=tz), datetime(2026, 12, 5, 11, 0, 27, tzinfo=tz),
               datetime(2026, 12, 6, 8, 59, 50, tzinfo=tz), datetime(2026, 12, 4, 17, 45, 1, tzinfo=tz),
               datetime(2026, 12, 5, 1, 0, 44, tzinfo=tz), datetime(2027, 2, 7, 19, 0, 9, tzinfo=tz),
               datetime(2027, 2, 13, 0, 30, 58, tzinfo=tz)]
    moments += [moments[0] + timedelta(seconds=s) for s in range(0, 120, 7)]
    js_active = await page.evaluate("""([slides, times]) => times.map(ms => slides.map(s =>
        WaitWellDisplay.scheduleActive(s.schedule, WaitWellDisplay.localParts(ms, 'Asia/Shanghai'))))""",
                                    [content["slides"], [m.timestamp() * 1000 for m in moments]])
    py_active = [[s.schedule.active(m) for s in playlist.slides] for m in moments]
    assert js_active == py_active
    for i, slide in enumerate(playlist.slides):  # the moments put every scheduled slide in and out
        if slide.schedule.weekdays or slide.schedule.hours or slide.schedule.start:
            assert {row[i] for row in py_active} == {True, False}, slide.id
    js_slides = await page.evaluate("""([slides, times]) => times.map(ms => {
        const hit = WaitWellDisplay.playlistSlideAt(slides, ms, WaitWellDisplay.localParts(ms, 'Asia/Shanghai'), new Set());
        return hit && [hit.slide.id, hit.next.id]; })""", [content["slides"], [m.timestamp() * 1000 for m in moments]])
    py_slides = [[hit.slide.id, hit.next.id] if (hit := playlist.slide_at(m)) else None for m in moments]
    assert js_slides == py_slides
    assert screen.errors == []


async def live_content(server: LiveServer) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        async with session.get(server.url("/api/display/content")) as r:
            assert r.status == 200
            return await r.json()


async def eventually(check: Any, timeout_s: float = WAIT_MS / 1000) -> bool:
    """Poll ``check()`` until true or the (generous) timeout."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not check():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


DELETE = object()


def _changed(msg: dict[str, Any], path: tuple[Any, ...], value: Any) -> Any:
    """A deep copy of ``msg`` with the field at ``path`` set to ``value`` (or deleted)."""
    out = json.loads(json.dumps(msg))
    if not path:
        return out if value is DELETE else value
    target = out
    for part in path[:-1]:
        target = target[part]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return out


def _py_state(msg: Any) -> Any:
    """What signage.state makes of ``msg``, in the shape of the page's parseMessage (the error: its field)."""
    try:
        s = parse_message(msg)
    except InvalidState as exc:
        return ["error", str(exc).split(": ")[0]]
    if s is None:
        return None
    return {"seq": s.seq, "at": s.at.timestamp() * 1000 if s.at else None,
            "nearby": None if s.nearby is None else [[n.name, n.name_en, n.distance, n.waiting, n.expected_wait_s,
                                                      n.as_of.strftime("%H:%M")] for n in s.nearby],
            "hall": {"name": s.hall.name, "name_en": s.hall.name_en, "timezone": s.hall.timezone},
            "calls": [{"ticket": c.ticket, "window": c.window, "called_at": c.called_at.timestamp() * 1000,
                       "recall": c.recall, "service": c.service} for c in s.calls],
            "services": [{"id": v.id, "name": v.name, "name_en": v.name_en, "prefix": v.prefix, "waiting": v.waiting,
                          "expected_wait_s": v.expected_wait_s,
                          "expected_wait_range_s": list(v.expected_wait_range_s) if v.expected_wait_range_s else None}
                         for v in s.services],
            "waiting_total": s.waiting_total, "open_windows": s.open_windows, "busy": s.busy}


JS_STATE = """msgs => msgs.map(m => {
    try {
        const s = WaitWellDisplay.parseMessage(m);
        return s && {seq: s.seq, at: s.at, hall: s.hall, services: s.services, waiting_total: s.waiting_total,
            nearby: s.nearby && s.nearby.map(n => [n.name, n.name_en, n.distance, n.waiting, n.expected_wait_s, n.as_of]),
            open_windows: s.open_windows, busy: s.busy, calls: s.calls.map(c => ({ticket: c.ticket, window: c.window,
            called_at: c.calledAtMs, recall: c.recall, service: c.service}))};
    } catch (e) {
        if (!e.badState) throw e;
        return ["error", e.message.split(": ")[0]];
    }
})"""

STATE_CHANGES = [
    ((), DELETE), (("at",), None), (("alerts",), {"open_windows": True}), (("future",), {"x": 1}),
    (("calls", 0, "window"), 7), (("services", 0, "expected_wait_range_s"), [900, 240]),
    (("services", 0, "expected_wait_range_s"), [None, 300]), (("services", 0, "expected_wait_s"), None),
    (("waiting_total",), DELETE), (("hall",), {}), (("services", 0, "name"), None),
    # Off-contract values both screens must read alike.
    (("waiting_total",), "7"), (("open_windows",), 2.5), (("calls", 0, "recall"), "yes"),
    (("alerts",), {"open_windows": 1}), (("calls", 0, "window"), True), (("calls", 0, "service"), 5),
    # Malformed: both refuse, naming the same field.
    (("seq",), DELETE), (("seq",), "1"), (("seq",), True), (("hall",), []), (("calls",), {}), (("calls", 0), "A001"),
    (("calls", 0, "ticket"), 12), (("calls", 0, "window"), None), (("calls", 0, "called_at"), "2026-11-30T10:00:00"),
    (("calls", 0, "called_at"), "soon"), (("services", 0, "id"), DELETE), (("services", 0, "waiting"), 1.5),
    (("services", 0, "waiting"), True), (("services", 0, "expected_wait_s"), "x"),
    (("services", 0, "expected_wait_range_s"), [1]), (("at",), "soon"), (("services",), None),
    # Live nearby halls: read alike; an off-contract hall is left out, not the state.
    (("nearby",), NEARBY), (("nearby",), []), (("nearby",), "x"),
    (("nearby",), [*NEARBY, {"name": "x", "waiting": 1.5, "expected_wait_s": 1, "as_of": "2026-11-30T10:00:00+08:00"},
                   {"name": "x", "waiting": 1, "expected_wait_s": True, "as_of": "2026-11-30T10:00:00+08:00"},
                   {"name": "x", "waiting": 1, "expected_wait_s": 1, "as_of": "2026-11-30T10:00:00"}, 5]),
    # Not a display.state.
    (("type",), "staff.alert"), ((), []), ((), "display.state"),
]


async def test_js_parse_message_equals_python(browser: Any, live: LiveServer) -> None:
    """The page's parseMessage reads, ignores and refuses the same messages as signage.state, naming the same field."""
    await two_windows(live, "A001", "A002")
    await live.push({"type": "ticket.called", "at": at("09:05"), "ticket": "A001", "window": "1"},
                    {"type": "ticket.recalled", "at": at("09:06"), "ticket": "A001", "window": "1"})
    base = await display_state(live)
    assert base["calls"] and base["services"]
    messages = [_changed(base, path, value) for path, value in STATE_CHANGES]
    screen = await open_screen(browser, live)
    js = await screen.page.evaluate(JS_STATE, messages)
    py = [_py_state(m) for m in messages]
    differ = [(change, j, p) for change, j, p in zip(STATE_CHANGES, js, py, strict=True) if j != p]
    assert [change for change, *_ in differ] == [], differ
    assert sum(1 for p in py if isinstance(p, list)) >= 15 and py[0]["calls"][0]["recall"] is True
    assert screen.errors == []


def _random_calls(rng: Any, n: int) -> list[dict[str, Any]]:
    """Wire calls (newest first) of a random burst: many made together, some apart, some recalls."""
    from tests.signage.lobby_helpers import T0, call

    t, out = 0.0, []
    for i in range(n):
        t += rng.choice([0, 0, 0, 0.25, 0.5, 1, 2, 5, 7.5, 12, 30])
        out.append(call(f"{'AB'[i % 2]}{i:03d}", str(rng.randint(1, 15)), T0 + timedelta(seconds=t), rng.random() < 0.1))
    return list(reversed(out))


async def test_js_banner_equals_python(browser: Any, live: LiveServer) -> None:
    """display.js's bannerAt / schedule / nextChange / stateBanner give signage.calls's answers on generated call lists."""
    import random

    from signage.calls import next_change
    from tests.signage.lobby_helpers import T0, state_msg

    rng = random.Random(7)
    cases = []
    for i in range(120):
        msg = state_msg(i + 1, T0, _random_calls(rng, rng.randint(0, 10)))
        if i % 10 == 9:
            msg["open_windows"] = 0  # closed: no banner whatever the calls
        cases.append({"msg": msg, "hold": rng.choice([1, 2.5, HOLD_S, 12, 30]),
                      "times": sorted(rng.uniform(-2, 60) for _ in range(12)) + [0, 8, 20]})
    py = []
    for c in cases:
        state = parse_state(c["msg"])
        rows = [[r.call.ticket, (r.start - T0).total_seconds() * 1000, (r.end - T0).total_seconds() * 1000]
                for r in schedule(state.calls, c["hold"])]
        out = []
        for s_ in c["times"]:
            now = T0 + timedelta(seconds=s_)
            b = state_banner(state, now, c["hold"])
            nxt = next_change(state.calls, now, c["hold"])
            out.append([None if b is None else [[x.ticket, x.window, x.recall] for x in b.calls],
                        None if b is None else b.pending,
                        None if nxt is None else round((nxt - T0).total_seconds() * 1000, 3)])
        py.append([rows, out])
    screen = await open_screen(browser, live)
    js = await screen.page.evaluate("""([cases, t0]) => cases.map(c => {
        const W = WaitWellDisplay, state = W.parseMessage(c.msg);
        const rows = W.schedule(state.calls, c.hold).map(r => [r.call.ticket, r.start - t0, r.end - t0]);
        return [rows, c.times.map(s => {
            const now = t0 + s * 1000, b = W.stateBanner(state, now, c.hold), nxt = W.nextChange(state.calls, now, c.hold);
            return [b && b.calls.map(x => [x.ticket, x.window, x.recall]), b && b.pending,
                    nxt === null ? null : Math.round((nxt - t0) * 1000) / 1000];
        })];
    })""", [cases, T0.timestamp() * 1000])
    assert js == py
    # The table holds the interesting cases: full banners, calls never bannered, pending rows, closed halls.
    shown = [o for _, out in py for o in out if o[0] is not None]
    assert any(len(o[0]) == MAX_ROWS for o in shown) and any(o[1] for o in shown)
    assert any(len(rows) < len(parse_state(c["msg"]).calls) for c, (rows, _) in zip(cases, py, strict=True))
    assert all(o[0] is None for c, (_, out) in zip(cases, py, strict=True) if c["msg"]["open_windows"] == 0 for o in out)
    assert screen.errors == []


def _py_view(view: Any) -> Any:
    """A View as the page's buildView shapes it: slides by id, no banner key (test_js_banner_equals_python covers it)."""
    d = dataclasses.asdict(dataclasses.replace(view, promo=None))
    d["promo"] = {"slide": view.promo.slide.id if view.promo.slide else None,
                  "next": view.promo.next.id if view.promo.next else None, "fallback": view.promo.fallback}
    if d["banner"] is not None:
        del d["banner"]["key"]
    return json.loads(json.dumps(d, ensure_ascii=False))


JS_VIEW = """([cases, content, bannerMs]) => cases.map(c => {
    const W = WaitWellDisplay;
    const state = c.msg === null ? null : W.parseMessage(c.msg);
    const nowMs = W.hallNow(state, c.elapsed_s * 1000, c.wall_ms);
    const banner = W.stateBanner(state, nowMs, bannerMs / 1000);
    const tz = state ? state.hall.timezone : W.PAGE_TIMEZONE;  // as the page's hallTz()
    const slide = W.playlistSlideAt(content.slides, nowMs, W.localParts(nowMs, tz), new Set());
    const v = W.buildView(state, {elapsedMs: c.elapsed_s * 1000, monoNowMs: c.mono_s * 1000, wallNowMs: c.wall_ms,
        screen: content, banner: banner, slide: slide, offlineSinceMs: c.offline_ms});
    v.promo = {slide: v.promo.slide && v.promo.slide.id, next: v.promo.next && v.promo.next.id, fallback: v.promo.fallback};
    return v;
})"""


async def test_js_build_view_equals_python(browser: Any, live: LiveServer) -> None:
    """Every zone's text (header, calls, banner, waits, promotion, ticker) is signage.view.build_view's."""
    from signage.view import build_view, hall_now
    from tests.signage.lobby_helpers import T0, call, state_msg

    # The screen's machine is in another zone than the hall: its wall clock (before a state) and the
    # feed's clock (the offline badge) read in its zone; every hall time in the hall's.
    machine = ZoneInfo("America/New_York")
    wall = T0.astimezone(machine)
    lost = (T0 - timedelta(minutes=3)).astimezone(ZoneInfo("UTC"))
    fresh = [call("B118", "7", T0 + timedelta(seconds=4), recall=True), call("A024", "VIP", T0 + timedelta(seconds=2))]
    burst = [call(f"A0{30 + i}", str(i + 1), T0 + timedelta(seconds=1)) for i in range(5, -1, -1)]
    closed = state_msg(4, T0, fresh, waiting=(0, 0, 3))
    closed["open_windows"] = 0
    for s in closed["services"]:
        s.update(open_windows=0, expected_wait_s=None, expected_wait_range_s=None)
    long_waits = state_msg(5, T0, fresh, waiting=(12, 16, 30))
    long_waits["care_first_min"] = 12
    no_at = state_msg(3)
    no_at["at"] = None
    quiet = state_msg(6)
    quiet["quiet_hours"] = {"zh": "明天 14:00–16:00", "en": "tomorrow 14:00–16:00"}
    quiet_page_s = (len(SCREEN.tips) or 1) * SCREEN.ticker_page_seconds
    cases = [
        {"msg": None, "resync": True, "elapsed_s": 0, "mono_s": 0, "wall": wall, "offline": None},
        {"msg": None, "resync": True, "elapsed_s": 0, "mono_s": 3, "wall": wall, "offline": lost},
        {"msg": state_msg(1), "resync": True, "elapsed_s": 0, "mono_s": 0, "wall": wall, "offline": None},
        {"msg": state_msg(1), "resync": True, "elapsed_s": 185, "mono_s": 9, "wall": wall, "offline": None},
        {"msg": state_msg(2, T0, fresh + burst, busy=True), "resync": False, "elapsed_s": 4,
         "mono_s": 17.5, "wall": wall, "offline": lost},
        {"msg": state_msg(2, T0, fresh, busy=True, waiting=(0, 1, 140)), "resync": False, "elapsed_s": 3,
         "mono_s": 33, "wall": wall, "offline": None},
        {"msg": state_msg(2, T0, fresh, busy=True, waiting=(0, 1, 140)), "resync": False, "elapsed_s": 3_600,
         "mono_s": 33, "wall": wall, "offline": None},
        {"msg": closed, "resync": False, "elapsed_s": 3, "mono_s": 5, "wall": wall, "offline": None},
        {"msg": long_waits, "resync": False, "elapsed_s": 60, "mono_s": 5, "wall": wall, "offline": None},
        {"msg": no_at, "resync": True, "elapsed_s": 12, "mono_s": 1, "wall": wall + timedelta(hours=5), "offline": None},
        {"msg": quiet, "resync": True, "elapsed_s": 0, "mono_s": quiet_page_s, "wall": wall, "offline": None},
    ]
    content = load_display_content(DEFAULT_CONTENT_DIR)
    playlist = load_playlist(DEFAULT_CONTENT_DIR)
    # The page is served with the hall's zone, so before a state it reads the wall clock in that
    # zone: a pygame screen that knows the hall's zone does the same.
    assert live.runner is not None
    page_zone = ZoneInfo(live.runner.app[HUB].hall.tz.key)
    py = []
    for c in cases:
        state = parse_state(c["msg"]) if c["msg"] is not None else None
        wall_now = c["wall"] if state is not None else c["wall"].astimezone(page_zone)
        now = hall_now(state, c["elapsed_s"], c["wall"]) if state is not None else wall_now
        banner = state_banner(state, now, SCREEN.banner_seconds)
        view = build_view(state, elapsed_s=c["elapsed_s"], mono_now=c["mono_s"], wall_now=wall_now, screen=SCREEN,
                          banner=banner, slide=playlist.slide_at(now),
                          offline_since=c["offline"])
        py.append(_py_view(view))
    # The cases cover a full banner with calls to come, a closed hall, wait levels, busy and quiet tickers, several slides.
    assert py[2]["banner"] is None and py[4]["banner"]["pending"] > 0 and len(py[4]["banner"]["rows"]) == MAX_ROWS
    assert py[5]["banner"]["window"] == "VIP" and py[6]["banner"] is None and py[7]["banner"] is None
    assert py[7]["calls"]["current"] is None and {r["level"] for r in py[7]["waiting"]["rows"]} == {"none"}
    assert [r["level"] for r in py[8]["waiting"]["rows"]] == ["long", "long", "over"]
    assert len({v["promo"]["slide"] for v in py}) > 1 and len({v["ticker"]["text"] for v in py}) > 2
    assert py[-1]["ticker"]["text"] == "明天 14:00–16:00 等候较少"

    screen = await open_screen(browser, live, timezone=machine.key)
    js_cases = [{**{k: v for k, v in c.items() if k not in ("wall", "offline")},
                 "wall_ms": c["wall"].timestamp() * 1000,
                 "offline_ms": c["offline"].timestamp() * 1000 if c["offline"] else None} for c in cases]
    js = await screen.page.evaluate(JS_VIEW, [js_cases, content, BANNER_MS])
    for c, j, p in zip(cases, js, py, strict=True):
        assert j == p, c
    assert screen.errors == []
