"""Build head office's aiohttp application: the store, the chain of replicas, the endpoints."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime
from pathlib import Path

import psycopg
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from ..web.hub import dumps, utcnow
from ..web.tokens import request_token
from .chain import BadBatch, Chain, Refused, parse_batch, parse_start
from .report import Day, to_csv
from .pg import EmbeddedPostgres
from .settings import HALL_ID, HQSettings
from .store import Store


__all__ = ["create_hq_app", "CHAIN", "MAX_POST_BYTES"]

log = logging.getLogger(__name__)

MAX_POST_BYTES = 16 * 1024 * 1024

CHAIN = web.AppKey("chain", Chain)
TOKEN = web.AppKey("token", str)
CLOCK: web.AppKey[Callable[[], datetime]] = web.AppKey("clock")
READY = web.AppKey("ready", asyncio.Event)

routes = web.RouteTableDef()


class HQMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.records = Counter("waitwell_hq_records_stored_total", "Journal records stored", registry=self.registry)
        self.batches = Counter("waitwell_hq_batches_total", "Journal batches answered, by HTTP status",
                               ["status"], registry=self.registry)
        self.halls = Gauge("waitwell_hq_halls", "Halls head office holds", registry=self.registry)


METRICS = web.AppKey("hq_metrics", HQMetrics)


def create_hq_app(settings: HQSettings, *, token: str, data_dir: Path, dsn: str | None = None,
                  clock: Callable[[], datetime] = utcnow) -> web.Application:
    """Without ``dsn``, a private PostgreSQL is started in ``data_dir/postgres`` and stopped with the app."""
    app = web.Application(client_max_size=MAX_POST_BYTES)
    app[TOKEN] = token
    app[CLOCK] = clock
    app[METRICS] = HQMetrics()
    app[READY] = asyncio.Event()

    async def run_store(app: web.Application) -> AsyncIterator[None]:
        embedded = None
        url = dsn
        if url is None:
            embedded = EmbeddedPostgres(data_dir / "postgres")
            url = await asyncio.to_thread(embedded.start)
        store = Store(url)
        try:
            await store.open()
            chain = Chain(store, settings)
            await chain.start()
            app[CHAIN] = chain
            app[READY].set()
            yield
        finally:
            await store.close()
            if embedded is not None:
                await asyncio.to_thread(embedded.stop)

    app.cleanup_ctx.append(run_store)
    app.add_routes(routes)
    app.router.add_get("/hq", _static("board.html"))
    app.router.add_get("/hq/board.js", _static("board.js"))
    return app


STATIC = Path(__file__).resolve().parent / "static"


def _static(name: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / name, headers={"Cache-Control": "no-cache"})
    return handler


def _error(status: int, code: str, message: str, **extra: int) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message, **extra}}, status=status, dumps=dumps)


def _same(given: str | None, expected: str | None) -> bool:
    return given is not None and expected is not None and hmac.compare_digest(given.encode(), expected.encode())


def _access(request: web.Request, hall_id: str | None) -> web.Response | None:
    """None when the request may act for ``hall_id`` (None: the whole chain); else the 401 or 403.

    Head office's token works everywhere; a hall's own token (HQ.yaml) only for that hall.
    """
    given = request_token(request)
    if _same(given, request.app[TOKEN]):
        return None
    halls = request.app[CHAIN].settings.halls
    owner = next((h.id for h in halls.values() if _same(given, h.token)), None)
    if owner is None:
        return _error(401, "unauthorized", "missing or wrong token")
    if owner != hall_id:
        return _error(403, "forbidden", f"this token belongs to hall {owner}, not to "
                      f"{hall_id if hall_id else 'the whole chain'}")
    return None


def _hall_id(request: web.Request) -> str | web.Response:
    """The path's hall id if it is well formed and the token may act for it; else the 400, 401 or 403."""
    hall_id = request.match_info["hall_id"]
    if not HALL_ID.match(hall_id):
        return _error(400, "bad_hall_id", "a hall id is 1-64 letters, digits, '_', '.' or '-'")
    return _access(request, hall_id) or hall_id


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    if not request.app[READY].is_set():
        return web.json_response({"status": "starting"}, status=503)
    return web.json_response({"status": "ok", "halls": len(request.app[CHAIN].known())})


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    hq_metrics: HQMetrics = request.app[METRICS]
    hq_metrics.halls.set(len(request.app[CHAIN].known()))
    return web.Response(body=generate_latest(hq_metrics.registry),
                        headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})


@routes.post("/api/halls/{hall_id}/journal")
async def post_journal(request: web.Request) -> web.Response:
    response = await _post_journal(request)
    request.app[METRICS].batches.labels(str(response.status)).inc()
    return response


async def _post_journal(request: web.Request) -> web.Response:
    hall_id = _hall_id(request)
    if isinstance(hall_id, web.Response):
        return hall_id
    try:
        data = json.loads(await request.read())
        records = parse_batch(data)
        start = parse_start(data)
    except web.HTTPRequestEntityTooLarge:
        return _error(413, "body_too_large", f"the batch is over {MAX_POST_BYTES} bytes; send fewer records")
    except (ValueError, RecursionError):
        return _error(400, "not_json", "the body is not JSON")
    except BadBatch as exc:
        return _error(400, "bad_batch", str(exc))
    chain = request.app[CHAIN]
    try:
        stored, new = await chain.receive(hall_id, records, request.app[CLOCK](), start=start)
    except Refused as exc:
        log.warning("hall %s: batch refused (%s): stored %d, sent %d", hall_id, exc.code, exc.stored_seq, exc.sent_seq)
        return _error(409, exc.code, exc.message, stored_seq=exc.stored_seq, sent_seq=exc.sent_seq)
    except psycopg.Error as exc:
        log.error("hall %s: the store failed: %s", hall_id, exc)
        return _error(503, "store_unavailable", "head office cannot store now; send again later")
    request.app[METRICS].records.inc(new)
    return web.json_response({"acknowledged_seq": stored}, dumps=dumps)


@routes.get("/api/halls")
async def get_halls(request: web.Request) -> web.Response:
    refused = _access(request, None)
    if refused is not None:
        return refused
    try:
        halls = await request.app[CHAIN].summaries(request.app[CLOCK]())
    except psycopg.Error:
        return _error(503, "store_unavailable", "head office cannot read its store now")
    return web.json_response({"halls": halls}, dumps=dumps)


@routes.get("/api/halls/{hall_id}/state")
async def get_hall_state(request: web.Request) -> web.Response:
    hall_id = _hall_id(request)
    if isinstance(hall_id, web.Response):
        return hall_id
    chain = request.app[CHAIN]
    try:
        replica = await chain.replica(hall_id)
    except psycopg.Error:
        return _error(503, "store_unavailable", "head office cannot read its store now")
    if replica is None:
        return _error(404, "unknown_hall", f"head office has nothing from hall {hall_id}")
    return web.json_response(chain.state(replica, request.app[CLOCK]()), dumps=dumps)


@routes.get("/api/halls/{hall_id}/nearby")
async def get_nearby(request: web.Request) -> web.Response:
    hall_id = _hall_id(request)
    if isinstance(hall_id, web.Response):
        return hall_id
    try:
        nearby = await request.app[CHAIN].nearby(hall_id, request.app[CLOCK]())
    except psycopg.Error:
        return _error(503, "store_unavailable", "head office cannot read its store now")
    return web.json_response({"hall_id": hall_id, "nearby": nearby}, dumps=dumps)


@routes.get("/api/report")
async def get_report(request: web.Request) -> web.Response:
    refused = _access(request, None)
    if refused is not None:
        return refused
    chain = request.app[CHAIN]
    asked = request.query.get("date")
    try:
        day = date.fromisoformat(asked) if asked else chain.latest_day()
    except ValueError:
        return _error(400, "bad_date", "date must be YYYY-MM-DD")
    if day is None:
        return _error(404, "no_day", "head office holds no business day yet")
    halls = []
    total = Day()
    try:
        for hall_id in chain.known():
            hall = await chain.day(hall_id, day)
            if hall is None:
                continue
            figures = Day.of(hall)
            total.add(figures)
            entry = chain.settings.halls.get(hall_id)
            halls.append({"hall_id": hall_id, "name": entry.name if entry else None,
                          "name_en": entry.name_en if entry else None, "date": day.isoformat(),
                          **figures.figures()})
    except psycopg.Error:
        return _error(503, "store_unavailable", "head office cannot read its store now")
    if request.query.get("format") == "csv":
        return web.Response(text=to_csv(halls, total.figures(), day.isoformat()), content_type="text/csv",
                            charset="utf-8")
    return web.json_response({"date": day.isoformat(), "halls": halls, "total": total.figures()}, dumps=dumps)
