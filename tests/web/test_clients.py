"""Behind a reverse proxy the rate limits count each client, and nobody else can claim an address."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request
from aiohttp import web

from server.config_file import load_config
from server.web.app import create_app
from server.web.clients import TRUSTED_PROXIES, client_address, parse_proxies
from server.web.staff_auth import MAX_WRONG_PINS
from server.web.tokens import Tokens


def request_from(peer: str, forwarded: list[str] | None = None, trusted: frozenset[str] = frozenset()):
    app = web.Application()
    app[TRUSTED_PROXIES] = trusted
    headers = [("X-Forwarded-For", value) for value in forwarded or []]
    class Transport:
        def get_extra_info(self, name, default=None):
            return (peer, 50000) if name == "peername" else default
    from multidict import CIMultiDict
    return make_mocked_request("GET", "/", headers=CIMultiDict(headers), app=app, transport=Transport())


def test_the_client_is_the_last_address_the_trusted_proxy_did_not_write_itself():
    proxy = frozenset({"127.0.0.1", "10.0.0.2"})
    assert client_address(request_from("127.0.0.1", ["203.0.113.7"], proxy)) == "203.0.113.7"
    # A client's own header is further left: the address nginx appended wins.
    assert client_address(request_from("127.0.0.1", ["1.2.3.4, 198.51.100.9"], proxy)) == "198.51.100.9"
    # Two proxies of ours in a row (and the header split over lines): the first address not ours.
    assert client_address(request_from("127.0.0.1", ["198.51.100.9", "10.0.0.2"], proxy)) == "198.51.100.9"
    # Nothing forwarded, or an unreadable hop: the proxy itself is counted, never a made-up name.
    assert client_address(request_from("127.0.0.1", None, proxy)) == "127.0.0.1"
    assert client_address(request_from("127.0.0.1", ["unknown"], proxy)) == "127.0.0.1"


def test_the_header_is_ignored_from_anyone_not_trusted():
    assert client_address(request_from("192.0.2.5", ["203.0.113.7"])) == "192.0.2.5"
    assert client_address(request_from("192.0.2.5", ["203.0.113.7"], frozenset({"127.0.0.1"}))) == "192.0.2.5"


def test_a_trusted_proxy_must_be_an_address():
    assert parse_proxies(["127.0.0.1", " ::1 "]) == frozenset({"127.0.0.1", "::1"})
    with pytest.raises(ValueError, match="'nginx' is not an IP address"):
        parse_proxies(["nginx"])


@pytest.fixture
async def behind_proxy(tmp_path: Path) -> AsyncIterator[TestClient]:
    app = create_app(load_config(), data_dir=tmp_path, tokens=Tokens(queue="q", staff="s", display=None),
                     trusted_proxies=frozenset({"127.0.0.1"}))
    async with TestClient(TestServer(app)) as client:
        yield client


async def test_behind_a_proxy_one_guessing_tablet_does_not_lock_out_the_others(behind_proxy: TestClient):
    """All requests come from the proxy (127.0.0.1 here); the lockout is per forwarded client."""
    guesser = {"X-Forwarded-For": "192.168.1.50"}
    for _ in range(MAX_WRONG_PINS):
        assert (await behind_proxy.post("/api/staff/login", json={"pin": "9999"}, headers=guesser)).status == 401
    assert (await behind_proxy.post("/api/staff/login", json={"pin": "2468"}, headers=guesser)).status == 429
    tablet = {"X-Forwarded-For": "192.168.1.21"}
    assert (await behind_proxy.post("/api/staff/login", json={"pin": "2468"}, headers=tablet)).status == 200
