"""Pushing simulated events to a real WebSocket peer that acks like the hall server."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from server.simulator import simulate_day
from server.simulator.push import PushAborted, hall_offsets, push_events

TOKEN = "s3cret"


@dataclass
class Peer:
    """A hall-server stand-in: checks the token, acks each event in order, dedups by id."""

    drop_after: list[int] = field(default_factory=list)  # per connection: close after N frames
    ack_before_drop: int | None = None  # ack only this many frames on a connection that drops
    abort: bool = False  # drop the TCP connection instead of a clean WebSocket close
    reject: set[str] = field(default_factory=set)  # ids answered with an error
    received: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    connections: int = 0
    auth: list[str | None] = field(default_factory=list)
    port: int = 0

    def check_token(self, conn: ServerConnection, request: Request) -> Response | None:
        header = request.headers.get("Authorization")
        self.auth.append(header)
        if header != f"Bearer {TOKEN}":
            return Response(401, "Unauthorized", Headers(), b"bad token")
        return None

    async def handler(self, ws: ServerConnection) -> None:
        conn = self.connections
        self.connections += 1
        limit = self.drop_after[conn] if conn < len(self.drop_after) else None
        n = 0
        async for raw in ws:
            ev = json.loads(raw)
            self.received.append(ev["id"])
            n += 1
            if limit is not None and n >= limit:
                if self.abort:
                    ws.transport.abort()
                else:
                    await ws.close(1012, "restarting")
                return
            if limit is not None and self.ack_before_drop is not None and n > self.ack_before_drop:
                continue
            if ev["id"] in self.reject:
                await ws.send(json.dumps({"type": "error", "id": ev["id"], "code": "bad_event",
                                          "message": "rejected"}))
                continue
            reply = {"type": "ack", "id": ev["id"]}
            if ev["id"] in self.seen:
                reply["duplicate"] = True
            self.seen.add(ev["id"])
            await ws.send(json.dumps(reply))

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/queue"


async def start(peer: Peer) -> AsyncIterator[Peer]:
    async with serve(peer.handler, "127.0.0.1", 0, process_request=peer.check_token) as server:
        peer.port = server.sockets[0].getsockname()[1]
        yield peer


@pytest.fixture
def events() -> list[dict]:
    ev = simulate_day("quiet", 11).events
    return [e for e in ev if e["type"] != "clock.tick"][:120]


def first_occurrences(ids: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for i in ids:
        if i not in seen:
            seen.add(i)
            out.append(i)
    return out


def silent(msg: str) -> None:
    pass


async def test_push_as_fast_as_acks_delivers_every_event_once_in_order(events):
    """With a steady connection every event arrives exactly once, in order, and is acked."""
    async for peer in start(Peer()):
        result = await push_events(events, peer.url, TOKEN, as_fast_as_acks=True, log=silent)
    assert peer.received == [e["id"] for e in events]
    assert result.acked == len(events) and result.sent == len(events)
    assert result.reconnects == 0 and not result.errors
    assert peer.auth == [f"Bearer {TOKEN}"]


async def test_push_on_scaled_hall_clock_delivers_every_event_in_order(events):
    """--speed mode (here extremely fast) sends every event in order and waits for all acks."""
    async for peer in start(Peer()):
        result = await push_events(events, peer.url, TOKEN, speed=1e7, log=silent)
    assert peer.received == [e["id"] for e in events]
    assert result.acked == len(events)


async def test_reconnects_and_resends_unacked_events_after_a_drop(events):
    """When the peer drops mid-stream the pusher reconnects and resends the un-acked events, in order."""
    async for peer in start(Peer(drop_after=[30, 55])):
        result = await push_events(events, peer.url, TOKEN, as_fast_as_acks=True,
                                   backoff_initial=0.01, log=silent)
    ids = [e["id"] for e in events]
    assert first_occurrences(peer.received) == ids
    assert peer.connections == 3 and result.reconnects == 2
    # the frame that was never acked is sent again first on the new connection
    assert peer.received[29] == peer.received[30] == ids[29]
    assert result.acked == len(events)


async def test_pipelined_push_resends_everything_after_the_last_ack(events):
    """In --speed mode a drop with several events in flight resends all un-acked ones, in order."""
    async for peer in start(Peer(drop_after=[40], ack_before_drop=25, abort=True)):
        result = await push_events(events, peer.url, TOKEN, speed=1e7, backoff_initial=0.01,
                                   log=silent)
    ids = [e["id"] for e in events]
    assert first_occurrences(peer.received) == ids
    second = peer.received[40:]
    # The peer's acks of the first 25 can die with the aborted connection before the pusher reads
    # them; then it resends from the last ack it did read. Either way: from there on, in order.
    resent_from = ids.index(second[0])
    assert resent_from <= 25 and second == ids[resent_from:]
    assert result.acked == len(events) and result.reconnects == 1


async def test_rejected_events_are_reported_not_resent(events):
    """An error reply counts as a rejection for that id and the push goes on without resending it."""
    bad = events[5]["id"]
    async for peer in start(Peer(reject={bad})):
        result = await push_events(events, peer.url, TOKEN, as_fast_as_acks=True, log=silent)
    assert peer.received.count(bad) == 1
    assert [e["id"] for e in result.errors] == [bad]
    assert result.acked == len(events)


async def test_wrong_token_aborts_without_retrying(events):
    """A 401 on the handshake aborts the push instead of retrying forever."""
    async for peer in start(Peer()):
        with pytest.raises(PushAborted):
            await push_events(events, peer.url, "wrong", as_fast_as_acks=True,
                              backoff_initial=0.01, log=silent)
    assert peer.connections == 0 and peer.auth == ["Bearer wrong"]


async def test_unreachable_server_gives_up_after_max_attempts(events):
    """With nobody listening the pusher retries with backoff, then gives up."""
    async for peer in start(Peer()):
        url = peer.url
    with pytest.raises(PushAborted):
        await push_events(events, url, TOKEN, as_fast_as_acks=True, backoff_initial=0.001,
                          backoff_max=0.002, max_attempts=3, log=silent)


def test_hall_offsets_follow_the_hall_clock_and_cap_long_pauses():
    """Send offsets are hall seconds from the first event, with overnight gaps capped."""
    evs = [{"at": "2026-11-30T09:00:00.000+08:00"}, {"at": "2026-11-30T09:00:30.500+08:00"},
           {"at": "2026-12-01T08:55:00.000+08:00"}]
    assert hall_offsets(evs, max_gap_s=300) == [0.0, 30.5, 330.5]


async def test_cli_pushes_a_day_to_the_server():
    """`python -m server.simulator --push ... --as-fast-as-acks` delivers the whole day and exits 0."""
    day = simulate_day("quiet", 5)
    async for peer in start(Peer()):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "server.simulator", "--scenario", "quiet", "--seed", "5",
            "--push", peer.url, "--token", TOKEN, "--as-fast-as-acks",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert out == b""
    assert peer.received == [e["id"] for e in day.events]
