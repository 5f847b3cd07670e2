"""The transport shell: receive a source's POSTs, translate, forward to WaitWell or spool.

The source is answered 200 only once its events are acknowledged by the WaitWell server or
fsynced to the spool; 400 for what cannot be translated (nothing forwarded for that POST);
401 for a Qminder webhook with a bad or missing signature or an Orchestra POST without the shared
secret; 422 when the server refused it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from ..errors import InvalidEvent
from ..events import QueueEvent, parse_json
from . import generic, orchestra, qminder
from .core import AdapterError
from .memory import StateFile
from .novosga_feed import NovoSGAFeed
from .spool import Spool


__all__ = ["Forwarder", "create_adapter_app"]

log = logging.getLogger("waitwell.adapt")

_RETRIES = web.AppKey("retries", asyncio.Task)
_FEED = web.AppKey("feed", asyncio.Task)

_RESEND = ("storage_error", "storage_unavailable")
"""Server replies that mean "send again later", not "this event is wrong"."""


class ServerUnavailable(Exception):
    """The WaitWell server did not take the batch; it goes to (or stays in) the spool."""


class Forwarder:
    """Delivers events in order: straight to ``POST /api/events`` while the spool is empty, else
    behind what is spooled, so the server always sees the source's order."""

    def __init__(self, server: str, token: str, spool: Spool, retry_s: float = 1.0) -> None:
        self.url = server.rstrip("/") + "/api/events"
        self.token, self.spool, self.retry_s = token, spool, retry_s
        self._lock = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None
        self._last_problem: str | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def deliver(self, events: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
        """("forwarded", the server's error replies) or ("spooled", [])."""
        async with self._lock:
            if len(self.spool) and not await self._drain_locked():
                self.spool.append(events)
                return "spooled", []
            try:
                replies = await self._post(events)
            except ServerUnavailable as exc:
                self._note(str(exc))
                self.spool.append(events)
                return "spooled", []
            return "forwarded", [r for r in replies if r.get("type") == "error"]

    async def drain(self) -> bool:
        """Resend what is spooled; True when the spool is empty afterwards."""
        async with self._lock:
            return await self._drain_locked()

    async def run_retries(self) -> None:
        while True:
            await asyncio.sleep(self.retry_s)
            if len(self.spool):
                await self.drain()

    async def _drain_locked(self) -> bool:
        pending = self.spool.pending()
        if not pending:
            return True
        try:
            replies = await self._post(pending)
        except ServerUnavailable as exc:
            self._note(str(exc))
            return False
        for reply in replies:
            if reply.get("type") == "error":
                log.warning("the server refused spooled event %s: %s %s", reply.get("id"),
                            reply.get("code"), reply.get("message"))
        self.spool.drop(len(pending))
        log.info("delivered %d spooled events", len(pending))
        self._last_problem = None
        return True

    async def _post(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        assert self._session is not None
        try:
            async with self._session.post(self.url, json=events,
                                          headers={"Authorization": f"Bearer {self.token}"}) as resp:
                if resp.status != 200:
                    raise ServerUnavailable(f"the server answered {resp.status}: {(await resp.text())[:200]}")
                replies = await resp.json()
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError) as exc:
            raise ServerUnavailable(f"cannot reach the server: {exc or type(exc).__name__}") from None
        if not isinstance(replies, list) or len(replies) != len(events):
            raise ServerUnavailable("the server's reply is not one reply per event")
        if any(r.get("code") in _RESEND for r in replies):
            # Part of the batch may be durable already; resending all of it is harmless (duplicates).
            raise ServerUnavailable("the server could not store the events (storage error)")
        return replies

    def _note(self, problem: str) -> None:
        if problem != self._last_problem:
            log.warning("%s; spooling to %s", problem, self.spool.path)
            self._last_problem = problem


class _Once:
    """Logs each unmapped or unknown source value once, not on every event carrying it."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()

    def error(self, exc: AdapterError) -> None:
        if exc.value is None:
            log.warning("cannot translate: %s", exc.message)
            return
        key = (exc.code, exc.value)
        if key not in self.seen:
            self.seen.add(key)
            log.error("%s", exc.message)


def _now() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat()


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def create_adapter_app(kind: str, config: Any, forwarder: Forwarder) -> web.Application:
    """The adapter of ``kind``: for ``generic``, ``qminder`` and ``orchestra`` a webhook receiver
    (POST on any path); for ``novosga`` a subscriber to its Mercure hub. ``GET /healthz`` in each."""
    once = _Once()
    feed = NovoSGAFeed(config, forwarder, StateFile.beside(forwarder.spool.path, "novosga"), once.error,
                       _now) if kind == "novosga" else None
    memory = StateFile.beside(forwarder.spool.path, "qminder")
    remembered = memory.load().get("lines") if kind == "qminder" else None
    state = qminder.QminderState(lines={str(k): str(v) for k, v in remembered.items()}
                                 if isinstance(remembered, dict) else {})

    def translate(body: bytes) -> list[QueueEvent]:
        obj = parse_json(body)
        if kind == "qminder":
            before = dict(state.lines)
            events = qminder.translate(obj, config, state, _now())
            if state.lines != before:
                # Durable before Qminder is answered: a restart right after still sees the line.
                memory.save({"lines": state.lines})
            return events
        if kind == "orchestra":
            return orchestra.translate(obj, config, _now())
        items = obj if isinstance(obj, list) else [obj]
        events = []
        for i, item in enumerate(items):
            try:
                events.append(generic.translate(item, config, _now()))
            except AdapterError as exc:
                if isinstance(obj, list):
                    exc.message = f"item {i}: {exc.message}"
                raise
        return events

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        if kind == "qminder":
            url = config.webhook_url or str(request.url)
            if not qminder.signature_ok(config.secret, url, body, request.headers.get("X-Qminder-Signature")):
                log.warning("refused a webhook with a bad or missing X-Qminder-Signature")
                return _error(401, "bad_signature", "X-Qminder-Signature is missing or does not match")
        if kind == "orchestra" and not orchestra.secret_ok(
                config.secret, request.headers.get("Authorization"),
                request.headers.get(orchestra.SECRET_HEADER), request.query.get("secret")):
            log.warning("refused a POST without the shared secret")
            return _error(401, "bad_secret", "the shared secret (Basic auth password, "
                          f"{orchestra.SECRET_HEADER} or ?secret=) is missing or wrong")
        try:
            events = translate(body)
        except InvalidEvent as exc:
            return _error(400, exc.code, exc.message)
        except AdapterError as exc:
            once.error(exc)
            return _error(400, exc.code, exc.message)
        if not events:
            return web.json_response({"forwarded": 0, "ignored": True})
        outcome, refused = await forwarder.deliver([e.to_json() for e in events])
        if refused:
            for reply in refused:
                log.warning("the server refused %s: %s %s", reply.get("id"), reply.get("code"), reply.get("message"))
            return web.json_response({"error": {"code": "refused", "message": "the WaitWell server refused it",
                                                "replies": refused}}, status=422)
        return web.json_response({outcome: len(events), "ids": [e.id for e in events]})

    async def health(request: web.Request) -> web.Response:
        out: dict[str, Any] = {"kind": kind, "spooled": len(forwarder.spool)}
        if feed is not None:
            out["hub"] = {"connected": feed.subscriber.connected, "last_event_id": feed.subscriber.last_id}
        return web.json_response(out)

    async def on_startup(app: web.Application) -> None:
        await forwarder.start()
        app[_RETRIES] = asyncio.create_task(forwarder.run_retries())
        if feed is not None:
            app[_FEED] = asyncio.create_task(feed.run())

    async def on_cleanup(app: web.Application) -> None:
        app[_RETRIES].cancel()
        if feed is not None:
            app[_FEED].cancel()
        await forwarder.close()

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_get("/healthz", health)
    if feed is None:
        app.router.add_post("/{tail:.*}", receive)
    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app


def default_spool(kind: str) -> Path:
    return Path("var") / f"adapt-{kind}.spool.jsonl"
