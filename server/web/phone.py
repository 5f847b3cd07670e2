"""The ticket on the customer's phone: the capability link, the page ``/t/<token>`` and its live feed.

A link is an HMAC of the hall, the business day and the ticket label under a secret kept in the
data dir, so the queue system can print it as a QR on the paper ticket and nobody can guess
another's. It is good for that business day only (the hall's day, in its zone); the day and the
label ride in the token so a later day can say 410 "expired" to a genuine link, and an unknown
or altered token gets the very 404 of any unknown path.

Tokens are never logged: our log lines name the path as ``/t/…``, and the server runs without
aiohttp's access log (``waitwell serve``); a proxy in front should not log paths either.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from ..events import text_problem
from ..hall import Hall
from ..ticket_view import day_end, ticket_view
from ..waits import TicketWait
from ..wire import hall_time
from .clients import client_address
from .hub import Hub, dumps
from .keys import HUB
from .pages import STATIC_DIR
from .routes import queue_or_staff
from .staff_auth import PinLimiter
from .tokens import write_private
from .when import FORECAST


__all__ = ["LinkKey", "PhoneLimits", "RequestCounter", "setup_phone", "SECRET_FILE", "MAC_BYTES", "REQUESTS_PER_MIN",
           "MISSES_PER_10_MIN", "FEED_CHECK_S", "KEEPALIVE_S"]

log = logging.getLogger(__name__)

SECRET_FILE = "phone_link.key"
"""In the data dir, mode 0600, made once: a new secret would void every link printed today."""

MAC_BYTES = 12
"""96 bits of HMAC-SHA256 in each token: guessing one is out of reach even without the rate limit."""

MAX_LABEL = 32

REQUESTS_PER_MIN = 600
"""Requests one client address may make to /t/… per minute. Generous: the phones on a hall's
Wi-Fi share one address, and a page polling every 5 s makes 12 a minute."""

MISSES_PER_10_MIN = 20
"""Unknown or altered tokens one client address may try per 10 minutes before every /t/… answers 429."""

FEED_CHECK_S = 1.0
"""How often a live feed looks whether its ticket's view changed (a comparison of two integers
when nothing happened; the hall's waits are worked out once per change for every phone)."""

KEEPALIVE_S = 15.0
"""A comment line this often keeps proxies and phones from dropping a quiet event stream."""


class LinkKey:
    """Makes and checks the tokens of one hall under the data dir's secret."""

    def __init__(self, hall_id: str, secret: bytes) -> None:
        self.hall_id = hall_id
        self._secret = secret

    @classmethod
    def load(cls, hall_id: str, data_dir: Path) -> LinkKey:
        """The data dir's secret, created (0600) at first use and kept."""
        path = data_dir / SECRET_FILE
        if not path.exists():
            write_private(path, secrets.token_bytes(32))
        return cls(hall_id, path.read_bytes())

    def _mac(self, day: date, resets: int, label: str) -> bytes:
        # The business day as the hall names it (2026-11-30, 2026-11-30r1 after a hall.reset).
        day_id = day.isoformat() if resets == 0 else f"{day.isoformat()}r{resets}"
        message = f"{self.hall_id}|{day_id}|{label}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).digest()[:MAC_BYTES]

    def token(self, day: date, label: str, resets: int = 0) -> str:
        """The link of ``label`` on the business day ``day`` after ``resets`` hall.resets.

        After a reset the labels start again (A001 …): the reset count is part of the day, so a
        morning link never opens the afternoon's ticket of the same label. It rides after the
        label behind a NUL (no label holds one); links of a day with no reset keep their form.
        """
        part = label if resets == 0 else f"{label}\x00{resets}"
        raw = self._mac(day, resets, label) + day.toordinal().to_bytes(3, "big") + part.encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    def open(self, token: str) -> tuple[date, int, str] | None:
        """The day, the resets before it and the label of a genuine token; ``None`` for anything else."""
        if not 0 < len(token) <= 128:
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            mac, day_bytes, part = raw[:MAC_BYTES], raw[MAC_BYTES:MAC_BYTES + 3], raw[MAC_BYTES + 3:].decode()
            day = date.fromordinal(int.from_bytes(day_bytes, "big"))
            label, _, reset_text = part.partition("\x00")
            resets = int(reset_text) if reset_text else 0
            if reset_text and str(resets) != reset_text:  # one spelling per link: "1", never "01" or "+1"
                return None
        except (binascii.Error, ValueError, UnicodeDecodeError, OverflowError):
            return None
        if not label or resets < 0 or not hmac.compare_digest(mac, self._mac(day, resets, label)):
            return None
        return day, resets, label


class Outlooks:
    """Every waiting ticket's outlook, worked out once per change of the hall for all phones."""

    def __init__(self) -> None:
        self._key: tuple[int, int, datetime | None] | None = None
        self._waits: dict[str, TicketWait] = {}

    def of(self, hall: Hall) -> dict[str, TicketWait]:
        key = (id(hall), hall.version, hall.now)
        if key != self._key:
            self._waits = hall.ticket_waits() if hall.waiting else {}
            self._key = key
        return self._waits


class RequestCounter:
    """Requests per client address in fixed windows: two numbers per address, whatever the rate
    (a sliding window of 600 timestamps each would let a scan from many addresses eat memory)."""

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self._counts: dict[str, tuple[float, int]] = {}

    def retry_after(self, key: str) -> int | None:
        """Count one request of ``key``; seconds until it may ask again, or ``None`` when it may now."""
        now = self.clock()
        start, count = self._counts.get(key, (now, 0))
        if now - start >= self.window_s:
            start, count = now, 0
        if count >= self.limit:
            return max(1, int(start + self.window_s - now) + 1)
        self._counts[key] = (start, count + 1)
        if len(self._counts) > 10_000:
            self._counts.pop(next(iter(self._counts)))
        return None


@dataclass(slots=True)
class PhoneLimits:
    requests: RequestCounter
    misses: PinLimiter

    def refusal(self, remote: str) -> web.Response | None:
        wait = self.misses.retry_after(remote) or self.requests.retry_after(remote)
        if wait is None:
            return None
        return web.json_response({"error": {"code": "too_many_requests",
                                            "message": f"too many requests; try again in {wait} s"}},
                                 status=429, headers={"Retry-After": str(wait)})


@dataclass(slots=True)
class Phone:
    key: LinkKey
    limits: PhoneLimits
    outlooks: Outlooks
    closing: asyncio.Event


PHONE = web.AppKey("phone", Phone)

PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
"""The token is in the URL: no cache keeps the page, no Referer carries it to another site."""


def _business_day(hub: Hub) -> tuple[date, int]:
    """The hall's business day and the hall.resets within it (a reset starts the labels again)."""
    hall = hub.hall
    return (hall.day, hall.resets) if hall.day else (hub.now().astimezone(hall.tz).date(), 0)


def _expires_at(hub: Hub, day: date) -> str | None:
    return hall_time(day_end(day, hub.hall.tz), hub.hall.tz)


async def ticket_link(request: web.Request) -> web.Response:
    """``GET /api/tickets/{label}/link`` (queue or staff token): today's phone link of a ticket."""
    if not queue_or_staff(request):
        return _error(401, "unauthorized", "missing or wrong queue or staff token")
    label = request.match_info["label"]
    if not label.strip() or len(label) > MAX_LABEL:
        return _error(400, "invalid_label", f"a ticket label is 1 to {MAX_LABEL} characters")
    problem = text_problem(label)
    if problem is not None:  # the queue system would have had it refused as an event's ticket too
        return _error(400, "invalid_label", f"the ticket label {problem}")
    hub = request.app[HUB]
    day, resets = _business_day(hub)
    token = request.app[PHONE].key.token(day, label, resets)
    return web.json_response({"url": f"/t/{token}", "expires_at": _expires_at(hub, day)}, dumps=dumps)


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status, dumps=dumps,
                             headers=PRIVATE)


def _check(request: web.Request) -> tuple[date, int, str] | web.Response:
    """The ticket behind the request's token, or the answer: 429, 404 (tells nothing) or 410."""
    phone = request.app[PHONE]
    remote = client_address(request)
    refused = phone.limits.refusal(remote)
    if refused is not None:
        log.warning("phone page request from %s refused: rate limit (/t/…)", remote)
        return refused
    opened = phone.key.open(request.match_info["token"])
    if opened is None:
        phone.limits.misses.failed(remote)
        raise web.HTTPNotFound()
    day, resets, label = opened
    if (day, resets) < _business_day(request.app[HUB]):
        return web.json_response({"error": {"code": "expired", "message": "this ticket link was for an "
                                             "earlier business day"}, "expired": True}, status=410,
                                 dumps=dumps, headers=PRIVATE)
    return opened


def _view(request: web.Request, label: str, day: date) -> dict[str, Any]:
    hub = request.app[HUB]
    hall = hub.hall
    view = ticket_view(hall, label, request.app[PHONE].outlooks.of(hall), almost_at=hub.config.phone_almost_at)
    view["expires_at"] = _expires_at(hub, day)
    view["hall"] = {"name": hall.config.name, "name_en": hall.config.name_en}
    long_wait = view["state"] == "waiting"
    view["come_back"] = request.app[FORECAST].come_back(hall, view["expected_wait_s"]) if long_wait else None
    return view


async def phone_page(request: web.Request) -> web.StreamResponse:
    """``GET /t/{token}``: the page; it reads its ticket from ``/t/{token}/status`` and ``/events``."""
    checked = _check(request)
    if isinstance(checked, web.Response):
        if checked.status == 410:
            return web.FileResponse(STATIC_DIR / "t-expired.html", status=410, headers=PRIVATE)
        return checked
    return web.FileResponse(STATIC_DIR / "t.html", headers=PRIVATE)


async def phone_status(request: web.Request) -> web.Response:
    """``GET /t/{token}/status``: the ticket as JSON (the page's polling fallback)."""
    checked = _check(request)
    if isinstance(checked, web.Response):
        return checked
    day, _, label = checked
    return web.json_response(_view(request, label, day), dumps=dumps, headers=PRIVATE)


async def phone_events(request: web.Request) -> web.StreamResponse:
    """``GET /t/{token}/events``: server-sent events, one ``data:`` view whenever it changes.

    An ``expired`` event ends the stream when the hall's business day passes the link's.
    """
    checked = _check(request)
    if isinstance(checked, web.Response):
        return checked
    day, resets, label = checked
    hub = request.app[HUB]
    closing = request.app[PHONE].closing
    response = web.StreamResponse(headers={**PRIVATE, "Content-Type": "text/event-stream",
                                           "X-Accel-Buffering": "no"})
    await response.prepare(request)
    last: dict[str, Any] | None = None
    seen: tuple[int, int, datetime | None] | None = None
    quiet = 0.0
    with contextlib.suppress(ConnectionError):
        await response.write(b"retry: 3000\n\n")
        while not closing.is_set():
            if (day, resets) < _business_day(hub):
                await response.write(b"event: expired\ndata: {}\n\n")
                break
            key = (id(hub.hall), hub.hall.version, hub.hall.now)
            if key != seen:
                seen = key
                view = _view(request, label, day)
                shown = {k: v for k, v in view.items() if k != "at"}
                if shown != last:
                    last = shown
                    await response.write(f"data: {dumps(view)}\n\n".encode())
                    quiet = 0.0
            if quiet >= KEEPALIVE_S:
                await response.write(b": keep-alive\n\n")
                quiet = 0.0
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(closing.wait(), FEED_CHECK_S)
            quiet += FEED_CHECK_S
    return response


def setup_phone(app: web.Application, data_dir: Path, hall_id: str) -> None:
    """Register the phone link, page and feed on ``app``."""
    closing = asyncio.Event()
    app[PHONE] = Phone(LinkKey.load(hall_id, data_dir),
                       PhoneLimits(RequestCounter(REQUESTS_PER_MIN, 60.0), PinLimiter(MISSES_PER_10_MIN, 600.0)),
                       Outlooks(), closing)

    async def stop_feeds(app: web.Application) -> None:
        closing.set()

    app.on_shutdown.append(stop_feeds)
    app.router.add_get("/api/tickets/{label}/link", ticket_link)
    app.router.add_get("/t/{token}", phone_page)
    app.router.add_get("/t/{token}/status", phone_status)
    app.router.add_get("/t/{token}/events", phone_events)
