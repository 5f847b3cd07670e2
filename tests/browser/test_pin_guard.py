"""Staff tablets refuse to send a PIN over plain HTTP to anything but localhost, unless hall.yaml
says the network is trusted; over HTTPS they sign in (headless Chromium, hall.test -> 127.0.0.1)."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from server.config_file import load_config
from server.web.app import create_app
from server.web.tls import server_context
from server.web.tokens import Tokens

from tests.deploy.certs import self_signed

from .conftest import CHROMIUM, CHROMIUM_ARGS, QUEUE_TOKEN, STAFF_TOKEN, WAIT_MS


async def start_hall(data_dir: Path, *, trusted: bool, tls: ssl.SSLContext | None = None) -> tuple[web.AppRunner, int]:
    config = replace(load_config(None), trusted_network=trusted)
    app = create_app(config, data_dir=data_dir, tokens=Tokens(queue=QUEUE_TOKEN, staff=STAFF_TOKEN, display=None),
                     clock="event")
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls).start()
    return runner, runner.addresses[0][1]


@pytest.fixture
async def hall_browser() -> AsyncIterator[Any]:
    """Chromium that resolves hall.test to 127.0.0.1: a tablet reaching the server by a LAN name."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium to run the browser tests")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                           args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP hall.test 127.0.0.1"])
        try:
            yield chromium
        finally:
            await chromium.close()


async def try_pin(browser: Any, url: str) -> tuple[Any, list[str]]:
    """Open ``url``, type a valid PIN, submit; return the page and the sign-in requests it made."""
    context = await browser.new_context(ignore_https_errors=True)
    page = await context.new_page()
    logins: list[str] = []
    page.on("request", lambda request: logins.append(request.url) if "/api/staff/login" in request.url else None)
    await page.goto(url)
    await page.wait_for_selector("#pin", timeout=WAIT_MS)
    await page.fill("#pin", "2468")
    await page.click("#pin-form button[type='submit']")
    return page, logins


async def test_plain_http_to_a_lan_name_refuses_to_send_the_pin(hall_browser: Any, tmp_path: Path) -> None:
    runner, port = await start_hall(tmp_path / "data", trusted=False)
    try:
        # Before anyone types: the page says why the PIN will not be sent.
        context = await hall_browser.new_context()
        first = await context.new_page()
        await first.goto(f"http://hall.test:{port}/staff")
        await first.wait_for_selector("#signin-message[data-key='insecure']", timeout=WAIT_MS)
        assert "https://" in await first.inner_text("#signin-message")
        await context.close()

        page, logins = await try_pin(hall_browser, f"http://hall.test:{port}/staff")
        await page.wait_for_selector("#signin-message[data-key='insecure']", timeout=WAIT_MS)
        # The token form is held to the same rule: the staff token is as secret as a PIN.
        await page.fill("#token", STAFF_TOKEN)
        await page.fill("#name", "王芳")
        await page.click("#token-form button[type='submit']")
        await page.wait_for_selector("#signin-message[data-key='insecure']", timeout=WAIT_MS)
        assert await page.input_value("#pin") == "" and await page.input_value("#token") == ""
        assert logins == []
        assert await page.locator("#board").is_hidden()
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("scheme, host, trusted", [
    ("http", "hall.test", True),     # hall.yaml: trusted_network: true
    ("http", "127.0.0.1", False),    # the tablet page on the server box itself
    ("https", "hall.test", False),   # serve --tls-cert/--tls-key: the live feed runs over wss
])
async def test_the_pin_is_sent_where_it_is_safe(hall_browser: Any, tmp_path: Path, scheme: str, host: str,
                                               trusted: bool) -> None:
    tls = server_context(*self_signed(tmp_path)) if scheme == "https" else None
    runner, port = await start_hall(tmp_path / "data", trusted=trusted, tls=tls)
    try:
        page, logins = await try_pin(hall_browser, f"{scheme}://{host}:{port}/staff")
        await page.wait_for_selector("#status[data-state='live']", timeout=WAIT_MS)
        assert logins == [f"{scheme}://{host}:{port}/api/staff/login"]
        assert "王芳" in await page.inner_text("#who")
    finally:
        await runner.cleanup()
