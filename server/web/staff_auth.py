"""Staff sign-in for the tablet app: a personal PIN in, the staff token and the person's name out.

Also ``GET /api/staff/hall`` (staff token): the hall's name and its services with their live
queue, so the tablets and the manager page can show service names in both languages.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections import deque
from collections.abc import Callable

from aiohttp import web

from .clients import client_address
from .hub import dumps
from .keys import HUB, TOKENS
from .tokens import request_token, token_matches


__all__ = ["PinLimiter", "setup_staff_auth", "LIMITER", "MAX_WRONG_PINS", "WINDOW_S"]

log = logging.getLogger(__name__)

MAX_WRONG_PINS = 5
"""Wrong PINs one remote address may try per window before it is refused with 429."""

WINDOW_S = 60.0
"""The rate-limit window, in seconds."""

MAX_PIN_LENGTH = 32


class PinLimiter:
    """Counts wrong PINs per remote address over a sliding window (in memory, per process)."""

    def __init__(self, limit: int = MAX_WRONG_PINS, window_s: float = WINDOW_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        now = self.clock()
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        while failures and now - failures[0] >= self.window_s:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def retry_after(self, key: str) -> int | None:
        """Seconds until ``key`` may try again, or ``None`` when it may try now."""
        failures = self._recent(key)
        if len(failures) < self.limit:
            return None
        return max(1, int(failures[0] + self.window_s - self.clock()) + 1)

    def failed(self, key: str) -> None:
        self._recent(key)
        self._failures.setdefault(key, deque()).append(self.clock())
        if len(self._failures) > 10_000:  # A scan from many addresses must not grow memory forever.
            self._failures.pop(next(iter(self._failures)))


LIMITER = web.AppKey("staff_pin_limiter", PinLimiter)


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status,
                             headers=headers, dumps=dumps)


def _match_pin(pins: dict[str, str], given: str) -> str | None:
    """Return the name for ``given``; compares against every PIN in constant time per PIN."""
    found = None
    for pin, name in pins.items():
        if hmac.compare_digest(pin.encode(), given.encode()):
            found = name
    return found


async def staff_login(request: web.Request) -> web.Response:
    """``POST /api/staff/login`` ``{"pin": "2468"}`` -> ``{"token", "name"}``."""
    limiter = request.app[LIMITER]
    remote = client_address(request)
    wait = limiter.retry_after(remote)
    if wait is not None:
        return _error(429, "too_many_attempts",
                      f"too many wrong PINs from this device; try again in {wait} s",
                      headers={"Retry-After": str(wait)})
    try:
        body = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        return _error(400, "not_json", 'the body must be JSON like {"pin": "1234"}')
    pin = body.get("pin") if isinstance(body, dict) else None
    if isinstance(pin, int) and not isinstance(pin, bool):
        pin = str(pin)
    if not isinstance(pin, str) or not pin.strip() or len(pin) > MAX_PIN_LENGTH:
        return _error(400, "invalid_field", "field 'pin' must be the personal PIN as a string")
    name = _match_pin(dict(request.app[HUB].config.staff_pins), pin.strip())
    if name is None:
        limiter.failed(remote)
        log.warning("staff sign-in from %s refused: unknown PIN", remote)
        return _error(401, "unknown_pin", "no staff member has this PIN")
    return web.json_response({"token": request.app[TOKENS].staff, "name": name}, dumps=dumps)


async def staff_hall(request: web.Request) -> web.Response:
    """``GET /api/staff/hall`` (staff token): hall name and services with their live queue."""
    if not token_matches(request_token(request), request.app[TOKENS].staff):
        return _error(401, "unauthorized", "missing or wrong staff token")
    # The hub's cached display.state (the lobby feed's own message), so this stays in step with it.
    state = json.loads(request.app[HUB].display_text())
    return web.json_response({"at": state["at"], "hall": state["hall"], "services": state["services"],
                              "waiting_total": state["waiting_total"],
                              "open_windows": state["open_windows"]}, dumps=dumps)


def setup_staff_auth(app: web.Application) -> None:
    """Register the staff sign-in routes on ``app``."""
    app[LIMITER] = PinLimiter()
    app.router.add_post("/api/staff/login", staff_login)
    app.router.add_get("/api/staff/hall", staff_hall)
