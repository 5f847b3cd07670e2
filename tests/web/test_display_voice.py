"""/display?voice=1 and voice=tts: the calls rendered by the server from the voice bank, spoken
by the page in the voice queue's order; the JS queue equals signage/voice/speech.py."""

from __future__ import annotations

import asyncio
import io
import random
import wave
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from signage.state import Call
from signage.voice.assemble import call_parts
from signage.voice.bank import VoiceBank
from signage.voice.speech import VoiceQueue
from tests.browser.conftest import LiveServer, at, browser, server  # noqa: F401 - fixtures

BANK = Path(__file__).resolve().parents[2] / "content" / "voice"


@pytest.fixture
def live(server: LiveServer) -> LiveServer:
    """The server with the repository's content (its voice bank)."""
    return server


async def test_call_wav_is_the_banks_rendering_and_bad_queries_are_400(live: Any) -> None:
    bank = VoiceBank.load(BANK)
    async with aiohttp.ClientSession() as session:
        async with session.get(live.url("/content/voice/call.wav?ticket=A023&window=3&recall=1&lang=both")) as r:
            assert r.status == 200 and r.headers["Content-Type"] == "audio/wav"
            body = await r.read()
        with wave.open(io.BytesIO(body)) as w:
            assert w.getframerate() == bank.rate
            assert w.readframes(w.getnframes()) == bank.render(call_parts("A023", "3", recall=True)).tobytes()
        async with session.get(live.url("/content/voice/call.json?ticket=A023&window=12&lang=both")) as r:
            assert await r.json() == {
                "clips": ["zh/qing", "zh/letter_a", "zh/digit_0", "zh/digit_2", "zh/digit_3_final", "zh/hao_dao", "zh/window_12",
                          "zh/hao_chuangkou_banli", "en/ticket", "en/letter_a", "en/digit_0", "en/digit_2", "en/digit_3_final",
                          "en/please_go_to_window", "en/window_12"],
                "text": {"zh": "请A零二三号到十二号窗口办理", "en": "Ticket A zero two three please go to window twelve"}}
        for bad in ("?window=3", "?ticket=A1", "?ticket=A1&window=3&lang=fr", "?ticket=" + "A" * 40 + "&window=3"):
            async with session.get(live.url("/content/voice/call.wav" + bad)) as r:
                assert r.status == 400


T0 = datetime(2026, 11, 30, 10, 0, tzinfo=timezone(timedelta(hours=8)))


def _cases(rng: random.Random) -> list[dict[str, Any]]:
    cases = []
    for _ in range(40):
        batches = []
        t = 0.0
        for _b in range(rng.randint(1, 4)):
            t += rng.uniform(0, 30)
            calls = [{"ticket": f"{rng.choice('AB')}{rng.randint(1, 30):03d}", "window": str(rng.randint(1, 5)),
                      "called_at": (T0 + timedelta(seconds=t - rng.uniform(0, 50))).isoformat(), "recall": rng.random() < 0.2}
                     for _ in range(rng.randint(0, 5))]
            batches.append({"at": t, "calls": calls})
        cases.append({"batches": batches, "length": rng.choice([3.0, 7.5, 11.0]), "max_age": rng.choice([20.0, 45.0]),
                      "after": rng.choice([0.0, 0.5, 1.5])})
    return cases


def _py(case: dict[str, Any]) -> list[Any]:
    from signage.state import parse_state
    from tests.signage.lobby_helpers import state_msg

    q = VoiceQueue(lambda c: case["length"], max_age_s=case["max_age"], after_s=case["after"])
    out: list[Any] = []
    batches = list(case["batches"])
    t = 0.0
    while t < 200:
        while batches and batches[0]["at"] <= t:
            b = batches.pop(0)
            calls: tuple[Call, ...] = parse_state(state_msg(1, T0, b["calls"])).calls
            q.add(calls, T0 + timedelta(seconds=t))
        u = q.due(T0 + timedelta(seconds=t))
        if u is not None:
            out.append([u.call.ticket, u.call.window, u.call.recall, round(t, 2)])
        t = round(t + 0.25, 2)
    return [out, [[c.ticket, c.recall] for c in q.dropped]]


JS_QUEUE = """([cases, t0]) => cases.map(c => {
    const W = WaitWellDisplay, V = WaitWellVoice;
    const q = new V.VoiceQueue(() => c.length, c.max_age, c.after);
    const out = [], batches = c.batches.slice();
    for (let t = 0; t < 200; t = Math.round((t + 0.25) * 100) / 100) {
        while (batches.length && batches[0].at <= t) {
            const b = batches.shift();
            q.add(b.calls.map(x => W.parseMessage(Object.assign({}, SAMPLE, {calls: [x]})).calls[0]), t0 + t * 1000);
        }
        const u = q.due(t0 + t * 1000);
        if (u !== null) out.push([u.call.ticket, u.call.window, u.call.recall, t]);
    }
    return [out, q.dropped.map(x => [x.ticket, x.recall])];
})"""


async def test_js_voice_queue_equals_python(browser: Any, live: Any) -> None:
    """display_voice.js's VoiceQueue speaks, drops and orders as signage.voice.speech on generated bursts."""
    from tests.signage.lobby_helpers import state_msg

    cases = _cases(random.Random(15))
    py = [_py(c) for c in cases]
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(live.url("/display"))
    await page.evaluate("(s) => { window.SAMPLE = s; }", state_msg(1, T0, []))
    # One call per parse keeps the server's order within a batch: parse the batch whole instead.
    js = await page.evaluate(JS_QUEUE.replace(
        "b.calls.map(x => W.parseMessage(Object.assign({}, SAMPLE, {calls: [x]})).calls[0])",
        "W.parseMessage(Object.assign({}, SAMPLE, {calls: b.calls})).calls"), [cases, T0.timestamp() * 1000])
    assert js == py
    assert any(d for _, d in py) and any(len(o) > 3 for o, _ in py)  # stale drops and backlogs are in the table
    await context.close()


async def test_the_page_speaks_calls_in_order_with_the_banks_audio(browser: Any, live: Any) -> None:
    """With ?voice=1 the page fetches each call's audio from the server and plays them in call order."""
    context = await browser.new_context()
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(live.url("/display?voice=1&voice_lang=en"))
    await page.wait_for_selector("body[data-feed='live']", timeout=15000)
    # Chromium here runs with --autoplay-policy=no-user-gesture-required: no tap banner.
    assert await page.evaluate("WaitWellVoice.status.blocked") is False
    assert await page.locator("#voice-enable").count() == 0
    await live.push({"type": "window.opened", "at": at("09:00"), "window": "1"},
                    {"type": "window.opened", "at": at("09:00"), "window": "2"},
                    {"type": "ticket.issued", "at": at("09:01"), "ticket": "A001", "service": "quick"},
                    {"type": "ticket.issued", "at": at("09:01"), "ticket": "A002", "service": "quick"},
                    {"type": "ticket.called", "at": at("09:02"), "ticket": "A001", "window": "1"},
                    {"type": "ticket.called", "at": at("09:02"), "ticket": "A002", "window": "2"})
    for _ in range(300):
        spoken = await page.evaluate("WaitWellVoice.status.spoken")
        if len(spoken) >= 2:
            break
        await asyncio.sleep(0.1)
    bank = VoiceBank.load(BANK)
    assert [(s["ticket"], s["window"], s["recall"]) for s in spoken] == [("A001", "1", False), ("A002", "2", False)]
    for s in spoken:
        assert s["duration"] == pytest.approx(bank.length_s(call_parts(s["ticket"], s["window"], lang="en")), abs=0.01)
    assert await page.evaluate("WaitWellVoice.status.errors") == [] and errors == []
    await context.close()


async def _two_calls(live: LiveServer) -> None:
    await live.push({"type": "window.opened", "at": at("09:00"), "window": "1"},
                    {"type": "ticket.issued", "at": at("09:01"), "ticket": "B117", "service": "standard"},
                    {"type": "ticket.called", "at": at("09:02"), "ticket": "B117", "window": "1"},
                    {"type": "ticket.recalled", "at": at("09:02:30"), "ticket": "B117", "window": "1"})


async def _wait_spoken(page: Any, n: int) -> list[dict[str, Any]]:
    for _ in range(300):
        spoken = await page.evaluate("WaitWellVoice.status.spoken")
        if len(spoken) >= n:
            return spoken
        await asyncio.sleep(0.1)
    raise AssertionError(f"spoken: {spoken}")


async def test_voice_tts_hands_the_browser_the_banks_words_chinese_then_english(browser: Any, live: LiveServer) -> None:
    """?voice=tts: the browser's own voices say the same words as the bank (call.json), call then recall."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(live.url("/display?voice=tts"))
    await page.wait_for_selector("body[data-feed='live']", timeout=15000)
    await _two_calls(live)
    spoken = await _wait_spoken(page, 2)
    assert [(s["ticket"], s["recall"]) for s in spoken] == [("B117", False), ("B117", True)]
    said = [(s["lang"], s["text"]) for s in await page.evaluate("WaitWellVoice.status.said")]
    assert said == [("zh-CN", "请B一一七号到一号窗口办理"), ("en-GB", "Ticket B one one seven please go to window one"),
                    ("zh-CN", "再次呼叫请B一一七号到一号窗口办理"), ("en-GB", "Repeat call Ticket B one one seven please go to window one")]
    await context.close()


async def test_without_the_autoplay_flag_a_tap_banner_turns_sound_on(live: LiveServer) -> None:
    """A browser that refuses sound until a gesture shows 点击开启语音叫号 / Tap …; a tap starts the audio."""
    from playwright.async_api import async_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    args = [a for a in CHROMIUM_ARGS if not a.startswith("--autoplay-policy")]
    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        try:
            page = await chromium.new_page()
            await page.goto(live.url("/display?voice=1"))
            await page.wait_for_selector("body[data-feed='live']", timeout=15000)
            button = page.locator("#voice-enable")
            assert await button.count() == 1 and "Tap to turn on spoken calls" in await button.inner_text()
            assert await page.evaluate("WaitWellVoice.status.blocked") is True
            await button.click()
            await page.wait_for_function("WaitWellVoice.status.blocked === false", timeout=15000)
            assert await button.count() == 0
        finally:
            await chromium.close()


async def test_a_bank_that_fails_the_check_is_503_naming_the_problem(tmp_path: Path) -> None:
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    from server.web.voice_calls import setup_voice_calls

    app = web.Application()
    setup_voice_calls(app, tmp_path)  # no voice/ folder at all
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        r = await client.get("/content/voice/call.wav?ticket=A1&window=1")
        assert r.status == 503 and "not a directory" in await r.text()
