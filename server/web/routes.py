"""HTTP and WebSocket endpoints; each handler only moves JSON between the wire and the hub."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from collections.abc import AsyncIterator

from aiohttp import WSCloseCode, WSMessage, WSMsgType, web

from ..errors import InvalidEvent
from ..events import parse_json
from ..wire import hall_state, report, ticket_status
from .fanout import DRAIN_POLL_S, DisplayClient, StaffClient, Unsubscribe, text_frame
from .hub import Hub, PendingReply, dumps, error_reply, replied
from .keys import FORWARDER, HUB, SOCKETS, TOKENS
from .tokens import request_token, token_matches


__all__ = ["routes", "queue_or_staff", "MAX_FRAME", "CLOSE_UNAUTHORIZED", "HEARTBEAT_S"]

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

MAX_FRAME = 64 * 1024
"""Largest WebSocket frame accepted; aiohttp closes with 1009 above it."""

CLOSE_UNAUTHORIZED = 4401
"""Close code for a socket without a valid token (HTTP's 401 plus 4000)."""

HEARTBEAT_S = 20.0
"""Ping interval that finds tablets and screens that vanished without closing."""

REPLY_BACKLOG = 4096
"""Unanswered events a queue socket may have in flight before we stop reading it."""

ACK_BUFFER = 64 * 1024
"""Unsent reply bytes at which the queue socket stops writing until the sender reads: with the
backlog above, a sender that never reads its acks is pushed back by TCP."""


def _json_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status,
                             dumps=dumps)


def _authorized(request: web.Request, expected: str | None) -> bool:
    return token_matches(request_token(request), expected)


async def _open_socket(request: web.Request, feed: str, expected_token: str | None) -> web.WebSocketResponse | None:
    """Upgrade; close at once with 4401 when the token is wrong (browsers see the code)."""
    # No permessage-deflate for screens: compressing each state once per screen cost more than
    # sending it, and the fan-out writes the same frame bytes to every screen (see fanout.py).
    # Nor for the queue: inflating each ~200-byte event and deflating each ack cost the server
    # more than the bytes saved on a hall's network, and acks go out as plain frames, many to a
    # write (_write_replies). aiohttp refuses a plain frame of exactly max_msg_size bytes but an
    # inflated one only above it: one byte of slack, and _oversized() for inflated frames, make
    # "over 64 KiB" exact.
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S, max_msg_size=MAX_FRAME + 1, compress=feed == "staff")
    await ws.prepare(request)
    if not _authorized(request, expected_token):
        log.warning("%s socket from %s refused: missing or wrong token", feed, request.remote)
        await ws.close(code=CLOSE_UNAUTHORIZED, message=b"missing or wrong token")
        return None
    request.app[SOCKETS].add(ws)
    return ws


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    if not hub.ready:
        return web.json_response({"status": "starting"}, status=503)
    return web.json_response({"status": "ok", "day": hub.hall.day_id, "clock": hub.clock})


@routes.get("/ws/queue")
async def queue_socket(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    ws = await _open_socket(request, "queue", request.app[TOKENS].queue)
    if ws is None:
        return web.Response()
    gauge = hub.metrics.connections.labels("queue")
    gauge.inc()
    replies: asyncio.Queue[PendingReply | None] = asyncio.Queue(maxsize=REPLY_BACKLOG)
    writer = asyncio.create_task(_write_replies(ws, request.transport, replies))
    try:
        async for msg in ws:
            if await _oversized(ws, msg):
                break
            if msg.type is WSMsgType.TEXT:
                reply = hub.submit_text(msg.data)
            elif msg.type is WSMsgType.BINARY:
                reply = replied(hub.reject(None, InvalidEvent(
                    "binary_frame", "events must be sent as text frames of JSON, not binary")))
            else:
                break
            # A full backlog blocks here, so TCP pushes back on a sender outrunning the disk.
            await replies.put(reply)
    finally:
        await replies.put(None)
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            await writer
        gauge.dec()
        request.app[SOCKETS].discard(ws)
    return ws


async def _oversized(ws: web.WebSocketResponse, msg: WSMessage) -> bool:
    """Close with 1009 a frame of MAX_FRAME + 1 bytes, which aiohttp lets through inflated."""
    if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY) or len(msg.data) <= MAX_FRAME // 4:
        return False
    if len(msg.data.encode() if msg.type is WSMsgType.TEXT else msg.data) <= MAX_FRAME:
        return False
    await ws.close(code=WSCloseCode.MESSAGE_TOO_BIG, message=b"frame over 64 KiB")
    return True


async def _write_replies(ws: web.WebSocketResponse, transport: asyncio.Transport | None,
                         replies: asyncio.Queue[PendingReply | None]) -> None:
    """Send each reply in order once it resolves; replies already resolved go out in one write.

    The acks of one journal batch resolve together: written as one run of frames they cost one
    send, not one each. The frames are whole and plain (the queue socket negotiates no
    compression), so they sit beside aiohttp's own pings and close frames on the transport.
    """
    frames: list[bytes] = []
    while True:
        pending = replies.get_nowait() if frames and not replies.empty() else await replies.get()
        if pending is not None and not pending.done() and frames:
            await _write_frames(ws, transport, frames)
        if pending is None:
            await _write_frames(ws, transport, frames)
            return
        frames.append(text_frame(dumps(await pending)))
        if replies.empty():
            await _write_frames(ws, transport, frames)


async def _write_frames(ws: web.WebSocketResponse, transport: asyncio.Transport | None, frames: list[bytes]) -> None:
    """Write ``frames`` (then empty it); wait while the sender leaves its acks unread."""
    if frames and not ws.closed and transport is not None and not transport.is_closing():
        transport.write(b"".join(frames))
        while transport.get_write_buffer_size() > ACK_BUFFER and not transport.is_closing():
            await asyncio.sleep(DRAIN_POLL_S)
    frames.clear()


@routes.post("/api/events")
async def post_events(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    if not _authorized(request, request.app[TOKENS].queue):
        return _json_error(401, "unauthorized", "missing or wrong queue token")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:  # aiohttp's own answer would be text/plain
        return _json_error(413, "body_too_large", f"the request body is over {request.client_max_size} "
                           "bytes; send fewer events per request")
    try:
        data = parse_json(body)
    except InvalidEvent as exc:
        hub.metrics.rejects.labels(exc.code).inc()
        return _json_error(400, exc.code, f"the request body is {exc.message}")
    items = data if isinstance(data, list) else [data]
    pending = [hub.submit(item) for item in items]
    replies = [await p for p in pending]
    return web.json_response(replies, dumps=dumps)


@routes.get("/ws/staff")
async def staff_socket(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    ws = await _open_socket(request, "staff", request.app[TOKENS].staff)
    if ws is None:
        return web.Response()
    client = StaffClient(ws)
    # Snapshot queued and client subscribed in one step: no alert change can fall between them.
    client.offer(hub.staff_snapshot())
    async with _subscribed(request, hub, "staff", client, hub.fanout.subscribe_staff(client)):
        async for msg in ws:
            if await _oversized(ws, msg):
                break
            if msg.type is not WSMsgType.TEXT:
                if msg.type is WSMsgType.BINARY:
                    await ws.send_str(dumps(error_reply(None, "binary_frame", "send JSON text frames")))
                    continue
                break
            reply = await _staff_command(hub, msg.data)
            # An acknowledgement reaches this tablet through the fan-out, like every other.
            if reply.get("type") != "alert.acknowledged":
                await ws.send_str(dumps(reply))
    return ws


@contextlib.asynccontextmanager
async def _subscribed(request: web.Request, hub: Hub, feed: str, client: StaffClient | DisplayClient,
                      unsubscribe: Unsubscribe) -> AsyncIterator[None]:
    """Run ``client``'s sender task while the body runs; then take it out of the fan-out."""
    gauge = hub.metrics.connections.labels(feed)
    gauge.inc()
    sender = asyncio.create_task(client.run_sender())
    try:
        yield
    finally:
        unsubscribe()
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await sender
        gauge.dec()
        request.app[SOCKETS].discard(client.ws)


def _staff_command(hub: Hub, text: str) -> PendingReply:
    try:
        message = parse_json(text)
    except InvalidEvent as exc:
        return replied(error_reply(None, exc.code, exc.message))
    if not isinstance(message, dict):
        return replied(error_reply(None, "not_an_object", "a staff message must be a JSON object"))
    kind = message.get("type")
    if kind == "alert.ack":
        return hub.acknowledge(message.get("id"), message.get("by"))
    if kind == "ping":
        return replied({"type": "pong"})
    return replied(error_reply(message.get("id") if isinstance(message.get("id"), str) else None,
                               "unknown_type", f"unknown staff message type {str(kind)[:40]!r}; expected 'alert.ack'"))


@routes.get("/ws/display")
async def display_socket(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    ws = await _open_socket(request, "display", request.app[TOKENS].display)
    if ws is None:
        return web.Response()
    client = DisplayClient(ws, request.transport)
    client.offer(text_frame(hub.display_text()))
    async with _subscribed(request, hub, "display", client, hub.fanout.subscribe_display(client)):
        async for msg in ws:
            if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                break
            # Screens only listen, but a browser cannot send WebSocket pings: it sends
            # {"type":"ping"} to learn that a silent server is still there. All else is ignored.
            if msg.type is WSMsgType.TEXT and _is_ping(msg.data):
                await ws.send_str('{"type":"pong"}')
    return ws


def _is_ping(text: str) -> bool:
    if len(text) > 64:
        return False
    try:
        message: object = json.loads(text)
    except ValueError:
        return False
    return message == {"type": "ping"}


@routes.get("/api/state")
async def get_state(request: web.Request) -> web.Response:
    if not _authorized(request, request.app[TOKENS].staff):
        return _json_error(401, "unauthorized", "missing or wrong staff token")
    hub = request.app[HUB]
    state = hall_state(hub.hall)
    state["journal_seq"] = hub.journal.last_seq()
    forwarder = request.app.get(FORWARDER)
    state["hq"] = forwarder.status() if forwarder is not None else None
    return web.json_response(state, dumps=dumps)


@routes.get("/api/report")
async def get_report(request: web.Request) -> web.Response:
    if not _authorized(request, request.app[TOKENS].staff):
        return _json_error(401, "unauthorized", "missing or wrong staff token")
    return web.json_response(report(request.app[HUB].hall), dumps=dumps)


def queue_or_staff(request: web.Request) -> bool:
    """The queue system or a staff tablet: who may read a ticket by its label, or make its phone link."""
    tokens = request.app[TOKENS]
    given = request_token(request)
    return token_matches(given, tokens.queue) or token_matches(given, tokens.staff)


@routes.get("/api/tickets/{label}")
async def get_ticket(request: web.Request) -> web.Response:
    # Labels run A001, A002...: open, anyone could walk them and read every ticket's wait.
    if not queue_or_staff(request):
        return _json_error(401, "unauthorized", "missing or wrong queue or staff token")
    label = request.match_info["label"]
    status = ticket_status(request.app[HUB].hall, label)
    if status is None:
        return _json_error(404, "unknown_ticket", f"no ticket {label[:64]!r} today")
    return web.json_response(status, dumps=dumps)


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    body = request.app[HUB].metrics.render()
    return web.Response(body=body, headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})


async def close_sockets(app: web.Application) -> None:
    """On shutdown, tell every client we are going away so it reconnects to the next server."""
    sockets: weakref.WeakSet[web.WebSocketResponse] = app[SOCKETS]
    for ws in list(sockets):
        with contextlib.suppress(Exception):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
