"""Staff PIN sign-in (POST /api/staff/login) and the hall info the staff pages read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from server.config_file import load_config
from server.web.app import create_app
from server.web.staff_auth import MAX_WRONG_PINS, PinLimiter
from server.web.tokens import Tokens


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[TestClient]:
    app = create_app(load_config(None), data_dir=tmp_path, tokens=Tokens(queue="q", staff="s", display=None),
                     clock="event")
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def test_right_pin_returns_staff_token_and_name(client: TestClient) -> None:
    """A PIN from the sample hall's config signs in as that person with the staff token."""
    response = await client.post("/api/staff/login", json={"pin": "2468"})
    assert response.status == 200
    assert await response.json() == {"token": "s", "name": "王芳 Wang Fang"}


async def test_numeric_pin_is_accepted_as_text(client: TestClient) -> None:
    """A PIN sent as a JSON number is matched like the same digits as a string."""
    response = await client.post("/api/staff/login", json={"pin": 1357})
    assert response.status == 200
    assert (await response.json())["name"] == "李明 Li Ming"


async def test_wrong_pin_is_401_unknown_pin(client: TestClient) -> None:
    """A PIN nobody has is refused with 401 and the code unknown_pin, and no token leaks."""
    response = await client.post("/api/staff/login", json={"pin": "0000"})
    assert response.status == 401
    body = await response.json()
    assert body["error"]["code"] == "unknown_pin"
    assert "token" not in body


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"pin": ""}', b'{"pin": true}', b'{"nopin": 1}',
                                  b'{"pin": "' + b"1" * 100 + b'"}'])
async def test_malformed_body_is_400(client: TestClient, body: bytes) -> None:
    """A body that is not a JSON object with a usable pin is a 400 naming the problem."""
    response = await client.post("/api/staff/login", data=body)
    assert response.status == 400
    assert (await response.json())["error"]["code"] in {"not_json", "invalid_field"}


async def test_wrong_pins_are_rate_limited_per_address(client: TestClient) -> None:
    """After five wrong PINs the address gets 429 with Retry-After, even for a right PIN."""
    for _ in range(MAX_WRONG_PINS):
        assert (await client.post("/api/staff/login", json={"pin": "9999"})).status == 401
    refused = await client.post("/api/staff/login", json={"pin": "2468"})
    assert refused.status == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert (await refused.json())["error"]["code"] == "too_many_attempts"


async def test_right_pins_do_not_count_toward_the_limit(client: TestClient) -> None:
    """Signing in correctly many times never locks the device out."""
    for _ in range(MAX_WRONG_PINS + 3):
        assert (await client.post("/api/staff/login", json={"pin": "2468"})).status == 200


def test_limiter_forgets_failures_after_the_window() -> None:
    """A locked-out address may try again once its oldest failure is a window old."""
    now = [1000.0]
    limiter = PinLimiter(limit=2, window_s=60, clock=lambda: now[0])
    limiter.failed("a")
    limiter.failed("a")
    assert limiter.retry_after("a") == 61
    assert limiter.retry_after("b") is None
    now[0] += 59.5
    assert limiter.retry_after("a") is not None
    now[0] += 0.5
    assert limiter.retry_after("a") is None


async def test_hall_info_needs_the_staff_token(client: TestClient) -> None:
    """GET /api/staff/hall refuses a wrong token and lists the services with names for the right one."""
    assert (await client.get("/api/staff/hall?token=wrong")).status == 401
    response = await client.get("/api/staff/hall", headers={"Authorization": "Bearer s"})
    assert response.status == 200
    body = await response.json()
    assert body["hall"]["name_en"] == "Xingfu Road Service Hall"
    quick = next(s for s in body["services"] if s["id"] == "quick")
    assert quick["name"] == "缴费查询" and quick["name_en"] == "Payments & enquiries"
