"""The ticket on the phone over HTTP: the link, its day, 404/410, the live feed and the rate limit."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import stat
import subprocess
import sys
from datetime import date, timedelta

import aiohttp
import pytest

from server.config_file import parse_config
from server.hall import Hall
from server.ticket_view import ticket_view
from server.web.phone import MISSES_PER_10_MIN, SECRET_FILE, LinkKey, RequestCounter
from tests.halltools import at, config_with, ev, make_hall, raw
from tests.web.conftest import QUEUE, STAFF, start_server, stop_server
from tests.web.test_protocol_doc import check
from tests.web.test_restart import REPO, free_port


async def link(server, label: str, token: str | None = STAFF) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with server.session.get(f"{server.url}/api/tickets/{label}/link", headers=headers) as resp:
        return resp.status, await resp.json()


async def get(server, path: str) -> tuple[int, str, dict[str, str]]:
    async with server.session.get(server.url + path) as resp:
        return resp.status, await resp.text(), dict(resp.headers)


async def open_hall(server, waiting: int = 6) -> None:
    await server.post([raw("window.opened", at(0), window="1"),
                       *[raw("ticket.issued", at(0, n), ticket=f"A{n:03}", service="quick") for n in range(1, waiting + 1)]])


def test_a_token_opens_to_its_day_and_label_and_nothing_else(tmp_path):
    """A token carries its day and label under the MAC; altering any byte, or another key, voids it."""
    key = LinkKey.load("hall-1", tmp_path)
    token = key.token(date(2026, 11, 30), "A023")
    assert key.open(token) == (date(2026, 11, 30), 0, "A023")
    assert len(token) >= 80 // 6  # at least 80 bits of MAC, in base64
    for i in range(len(token)):
        altered = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]
        assert key.open(altered) is None
    assert LinkKey("hall-2", (tmp_path / SECRET_FILE).read_bytes()).open(token) is None
    assert LinkKey.load("hall-1", tmp_path / "other").open(token) is None
    assert key.token(date(2026, 11, 30), "A024") != token and key.token(date(2026, 12, 1), "A023") != token
    for junk in ("", "x", "!!!!", "a" * 500, "AAAA"):
        assert key.open(junk) is None


def test_the_secret_is_made_once_and_kept_private(tmp_path):
    """The data dir's secret is 0600 and survives a restart: yesterday's printed links stay valid today."""
    first = LinkKey.load("h", tmp_path).token(date(2026, 11, 30), "A1")
    mode = stat.S_IMODE(os.stat(tmp_path / SECRET_FILE).st_mode)
    assert mode == 0o600
    assert LinkKey.load("h", tmp_path).token(date(2026, 11, 30), "A1") == first


async def test_ticket_status_needs_the_queue_or_staff_token(server):
    """GET /api/tickets/{label} is no longer open: anyone could walk A001...A999."""
    await open_hall(server, 2)
    for headers, expected in (({}, 401), ({"Authorization": "Bearer wrong"}, 401),
                              ({"Authorization": f"Bearer {QUEUE}"}, 200), ({"Authorization": f"Bearer {STAFF}"}, 200)):
        async with server.session.get(server.url + "/api/tickets/A001", headers=headers) as resp:
            assert resp.status == expected


async def test_the_link_needs_a_token_and_expires_at_the_end_of_the_halls_day(server):
    await open_hall(server, 1)
    assert (await link(server, "A001", None))[0] == 401
    assert (await link(server, "A001", "wrong"))[0] == 401
    status, body = await link(server, "A001", QUEUE)
    assert status == 200 and body["url"].startswith("/t/")
    assert body["expires_at"] == "2026-12-01T00:00:00+08:00"
    assert (await link(server, "x" * 33))[0] == 400


async def test_the_page_shows_only_its_own_ticket_with_a_count_ahead(server):
    """The status names this ticket and how many are ahead, never another label."""
    await open_hall(server, 6)
    _, body = await link(server, "A005")
    status, page, headers = await get(server, body["url"])
    assert status == 200 and "t.js" in page
    assert headers["Referrer-Policy"] == "no-referrer" and headers["Cache-Control"] == "no-store"
    status, text, _ = await get(server, body["url"] + "/status")
    view = json.loads(text)
    assert status == 200 and view["ticket"] == "A005" and view["state"] == "waiting" and view["ahead"] == 4
    low, high = view["expected_wait_range_s"]
    assert 0 < low <= view["expected_wait_s"] <= high
    assert not any(f"A00{n}" in text for n in (1, 2, 3, 4, 6))


async def test_states_walk_from_waiting_to_almost_to_called_to_served(server):
    await open_hall(server, 6)
    _, body = await link(server, "A005")
    states = []

    async def state() -> dict:
        _, text, _ = await get(server, body["url"] + "/status")
        check("phone", json.loads(text))
        states.append(json.loads(text)["state"])
        return json.loads(text)

    await state()
    await server.post([raw("ticket.called", at(10), ticket="A001", window="1")])
    assert (await state())["ahead"] == 3  # the default: "almost" at 3 ahead
    await server.post([raw("ticket.called", at(20), ticket="A005", window="1")])
    assert (await state())["window"] == "1"
    await server.post([raw("ticket.served", at(25), ticket="A005", window="1")])
    await state()
    assert states == ["waiting", "almost", "called", "served"]


def test_missed_and_cancelled_and_unknown_tickets():
    """A no-show is 'missed'; a genuine link whose ticket has not reached the hall yet is 'unknown'."""
    hall = make_hall(windows=1)
    for n in (1, 2):
        hall.receive(ev("ticket.issued", at(n), ticket=f"A00{n}", service="quick"))
    hall.receive(ev("ticket.called", at(5), ticket="A001", window="1"))
    hall.receive(ev("ticket.no_show", at(8), ticket="A001", window="1"))
    hall.receive(ev("ticket.cancelled", at(9), ticket="A002"))
    waits = hall.ticket_waits()
    assert ticket_view(hall, "A001", waits)["state"] == "missed"
    assert ticket_view(hall, "A002", waits)["state"] == "cancelled"
    unknown = ticket_view(hall, "A099", waits)
    assert unknown["state"] == "unknown" and unknown["ahead"] is None


def test_almost_at_is_configurable():
    hall: Hall = make_hall(windows=1)
    for n in range(1, 7):
        hall.receive(ev("ticket.issued", at(n), ticket=f"A{n:03}", service="quick"))
    waits = hall.ticket_waits()
    assert ticket_view(hall, "A006", waits, almost_at=5)["state"] == "almost"
    assert ticket_view(hall, "A006", waits, almost_at=4)["state"] == "waiting"


async def test_an_unknown_token_is_the_404_of_any_unknown_path(server):
    """Nothing tells a forged token from a path that does not exist."""
    await open_hall(server, 1)
    _, body = await link(server, "A001")
    forged = body["url"][:-2] + ("AA" if body["url"][-2:] != "AA" else "BB")
    nothing = await get(server, "/no/such/path")
    for path in (forged, forged + "/status", "/t/hello", "/t/hello/events"):
        status, text, _ = await get(server, path)
        assert (status, text) == (nothing[0], nothing[1]) == (404, "404: Not Found")


async def test_a_link_of_an_earlier_day_is_410_expired(server):
    await open_hall(server, 1)
    _, body = await link(server, "A001")
    await server.post([raw("ticket.issued", at(0) + timedelta(days=1), ticket="A001", service="quick")])
    status, page, _ = await get(server, body["url"])
    assert status == 410 and "已过期" in page and "expired" in page
    status, text, _ = await get(server, body["url"] + "/status")
    assert status == 410 and json.loads(text)["error"]["code"] == "expired"
    _, today = await link(server, "A001")
    assert today["url"] != body["url"] and (await get(server, today["url"] + "/status"))[0] == 200


async def test_a_link_from_before_a_hall_reset_never_shows_the_new_ticket_of_its_label(server):
    """A reset starts the labels again: the morning's A001 link is 410, not the afternoon's A001."""
    await open_hall(server, 1)
    _, morning = await link(server, "A001")
    await server.post([raw("hall.reset", at(60)),
                       raw("window.opened", at(61), window="1"),
                       raw("ticket.issued", at(62), ticket="A001", service="quick")])
    status, text, _ = await get(server, morning["url"] + "/status")
    assert status == 410 and json.loads(text)["error"]["code"] == "expired"
    _, afternoon = await link(server, "A001")
    assert afternoon["url"] != morning["url"] and (await get(server, afternoon["url"] + "/status"))[0] == 200


def test_a_token_carries_the_resets_of_its_day_and_a_day_without_one_keeps_its_old_form(tmp_path):
    """Links printed before resets counted (none in them) still open, as the day's first part;
    one after two resets opens as such, in one spelling only."""
    key = LinkKey.load("hall-1", tmp_path)
    plain = key.token(date(2026, 11, 30), "A023")
    assert key.open(plain) == (date(2026, 11, 30), 0, "A023")
    after = key.token(date(2026, 11, 30), "A023", resets=2)
    assert after != plain and key.open(after) == (date(2026, 11, 30), 2, "A023")
    raw_after = base64.urlsafe_b64decode(after + "=" * (-len(after) % 4))
    respelled = base64.urlsafe_b64encode(raw_after[:-1] + b"02").rstrip(b"=").decode()
    assert key.open(respelled) is None


async def test_the_event_stream_sends_each_change_and_says_expired_at_the_day_turn(server):
    await open_hall(server, 3)
    _, body = await link(server, "A003")
    async with server.session.get(server.url + body["url"] + "/events") as resp:
        assert resp.headers["Content-Type"].startswith("text/event-stream")

        async def next_event() -> tuple[str, dict]:
            kind = "message"
            while True:
                line = (await asyncio.wait_for(resp.content.readline(), 10)).decode().rstrip("\n")
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    return kind, json.loads(line[6:])

        kind, first = await next_event()
        check("phone", first)
        assert kind == "message" and first["state"] == "almost" and first["ahead"] == 2
        await server.post([raw("ticket.called", at(10), ticket="A001", window="1")])
        assert (await next_event())[1]["ahead"] == 1
        await server.post([raw("ticket.called", at(20), ticket="A003", window="1")])
        second = (await next_event())[1]
        assert second["state"] == "called" and second["window"] == "1"
        await server.post([raw("ticket.issued", at(0) + timedelta(days=1), ticket="A001", service="quick")])
        assert (await next_event())[0] == "expired"


async def test_guessing_tokens_is_refused_after_a_few_misses(server):
    """An address that tries many unknown tokens gets 429 for every /t/ path, its own link too."""
    await open_hall(server, 1)
    _, body = await link(server, "A001")
    for n in range(MISSES_PER_10_MIN):
        assert (await get(server, f"/t/guess{n}"))[0] == 404
    status, text, headers = await get(server, body["url"] + "/status")
    assert status == 429 and int(headers["Retry-After"]) > 0


async def test_tokens_are_never_logged(tmp_path):
    """A real `waitwell serve` at DEBUG, walked with a link and guesses: its output never holds a token."""
    port = free_port()
    out = (tmp_path / "server.out").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "server", "serve", "--port", str(port), "--data-dir", str(tmp_path),
                             "--clock", "event", "--queue-token", "q", "--staff-token", "s", "--log-level", "DEBUG"],
                            cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(300):
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(url + "/healthz") as resp:
                        if resp.status == 200:
                            break
                assert proc.poll() is None, (tmp_path / "server.out").read_text()
                await asyncio.sleep(0.05)
            async with session.post(url + "/api/events?token=q", json=[
                    raw("window.opened", at(0), window="1"), raw("ticket.issued", at(0), ticket="A001", service="quick")]):
                pass
            async with session.get(url + "/api/tickets/A001/link?token=s") as resp:
                token = (await resp.json())["url"][3:]
            for path in (f"/t/{token}", f"/t/{token}/status",
                         *(f"/t/{token}x{n}" for n in range(MISSES_PER_10_MIN + 2)), f"/t/{token}/status"):
                async with session.get(url + path) as resp:
                    await resp.read()
            assert resp.status == 429  # the refusals were logged
    finally:
        proc.terminate()
        proc.wait(10)
        out.close()
    text = (tmp_path / "server.out").read_text()
    assert "/t/…" in text and "refused" in text
    assert token not in text and token[:16] not in text


@pytest.mark.parametrize("almost_at", [0, 7])
async def test_phone_almost_at_comes_from_the_hall_config(tmp_path, almost_at):
    data = config_with()
    data["phone"] = {"almost_at": almost_at}
    config = parse_config(data, source="hall.yaml")
    running = await start_server(tmp_path, config=config)
    try:
        await open_hall(running, 8)
        _, body = await link(running, "A008")
        view = json.loads((await get(running, body["url"] + "/status"))[1])
        assert view["almost_at"] == almost_at
        assert view["state"] == ("almost" if almost_at >= 7 else "waiting")
    finally:
        await stop_server(running)


def test_requests_per_address_are_counted_in_windows():
    """600 a minute per address, then 429 until the minute is over; other addresses unaffected."""
    now = [0.0]
    counter = RequestCounter(3, 60.0, clock=lambda: now[0])
    assert [counter.retry_after("a") for _ in range(3)] == [None, None, None]
    now[0] = 20.0
    assert counter.retry_after("a") == 41 and counter.retry_after("b") is None
    now[0] = 60.0
    assert counter.retry_after("a") is None
