"""signage/feed.py: the feed URL, reconnect backoff, offline and resync against a real WebSocket."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta

import pytest
from lobby_helpers import CONTENT, T0, call, state_msg, until

from signage.content_files import load_content
from signage.feed import Feed, backoff_delays, normalize_url


def test_feed_url_and_backoff():
    """ws://HOST:PORT gets /ws/display; reconnect delays grow with jitter up to the cap."""
    assert normalize_url("ws://h:8080") == "ws://h:8080/ws/display"
    assert normalize_url("ws://h:8080/x", token="t") == "ws://h:8080/x?token=t"
    d = backoff_delays(0.5, 2, 8, random.Random(3))
    delays = [next(d) for _ in range(8)]
    assert 0.25 <= delays[0] <= 0.5 and all(4 <= x <= 8 for x in delays[5:])
    assert len(set(delays)) == len(delays)


async def test_reconnect_shows_offline_keeps_state_and_resyncs(pg):
    """Server goes away: offline badge, last state kept; it comes back: state resyncs, badge gone, no replayed banner."""
    from lobby_helpers import FeedServer

    from signage.display.app import Screen

    screen = Screen(pg.Surface((960, 540)), load_content(CONTENT), font_dir=CONTENT / "fonts")
    loop = asyncio.get_running_loop()
    srv = FeedServer()
    port = await srv.start()
    srv.send(state_msg(1, datetime.now(T0.tzinfo), [call("A001", "1", datetime.now(T0.tzinfo))]))
    feed = Feed(f"ws://127.0.0.1:{port}/ws/display", lambda s, r: screen.receive_state(s, r, loop.time()), initial_delay=0.05, max_delay=0.2)
    task = asyncio.create_task(feed.run())
    try:
        await until(lambda: screen.state is not None and feed.connected)
        screen.frame(loop.time(), datetime.now().astimezone())
        assert screen.view.banner is not None  # a fresh call is announced
        await srv.stop()
        await until(lambda: feed.offline_since is not None)
        screen.offline_since = feed.offline_since
        screen.frame(loop.time(), datetime.now().astimezone())
        assert screen.view.header.offline and screen.view.calls.current.ticket == "A001"
        # Back on the same port, with a state that moved on.
        srv2 = FeedServer()
        await srv2.start(port)
        try:
            now = datetime.now(T0.tzinfo)
            srv2.send(state_msg(2, now, [call("A002", "2", now - timedelta(minutes=3)), call("A001", "1", now - timedelta(minutes=4))]))
            await until(lambda: screen.state.seq == 2 and feed.connected)
            assert feed.offline_since is None and feed.connects == 2
            screen.offline_since = feed.offline_since
            screen.frame(loop.time() + 100, datetime.now().astimezone())
            assert screen.view.header.offline is None
            assert screen.view.calls.current.ticket == "A002" and screen.view.banner is None
        finally:
            await srv2.stop()
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_feed_ignores_unknown_and_malformed_messages(feed_server):
    """Unknown types and broken JSON are skipped; the next display.state still arrives."""
    got = []
    feed = Feed(f"ws://127.0.0.1:{feed_server.port}", lambda s, r: got.append((s.seq, r)), initial_delay=0.05)
    feed.url = f"ws://127.0.0.1:{feed_server.port}/ws/display"
    task = asyncio.create_task(feed.run())
    try:
        await until(lambda: feed.connected or bool(feed_server.clients))
        from websockets.asyncio.server import broadcast

        broadcast(feed_server.clients, '{"type":"staff.alert"}')
        broadcast(feed_server.clients, "{not json")
        feed_server.send(state_msg(7))
        await until(lambda: bool(got))
        assert got == [(7, True)]
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
