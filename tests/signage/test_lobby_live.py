"""The lobby screen against a real WebSocket feed: CLI screenshot, reconnect, trace, soak."""

from __future__ import annotations

import asyncio
import gc
import sys
import tracemalloc
from datetime import datetime, timedelta

import pytest
from lobby_helpers import CONTENT, REPO, T0, call, state_msg

from signage.content_files import load_content
from signage.feed import Feed
from signage.state import parse_state


async def _run_cli(*args: str, timeout: float = 30) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "signage", *args, cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode, out.decode(errors="replace")


async def test_cli_screenshot_renders_the_first_state(feed_server, tmp_path, pg):
    """`python -m signage --screenshot` against a live feed writes a PNG of the state and exits 0."""
    feed_server.send(state_msg(5))
    shot, trace = tmp_path / "shot.png", tmp_path / "trace.txt"
    code, out = await _run_cli("--server", f"ws://127.0.0.1:{feed_server.port}", "--size", "960x540", "--screenshot", str(shot), "--trace", str(trace))
    assert code == 0, out
    img = pg.image.load(str(shot))
    assert img.get_size() == (960, 540)
    # The current ticket is drawn in amber in the calls zone.
    from signage.display.zones import THEME, layout

    calls = layout(960, 540).calls
    colours = {tuple(img.get_at((x, y)))[:3] for x in range(calls.x, calls.right, 3) for y in range(calls.y, calls.centery, 3)}
    assert THEME.accent in colours
    seq, t = trace.read_text().split()
    assert seq == "5" and float(t) > 0


async def test_cli_screenshot_without_a_server_shows_the_offline_screen(tmp_path, pg):
    """With no feed the screenshot is taken after 5 s showing the offline badge, exit 0."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    shot = tmp_path / "offline.png"
    code, out = await _run_cli("--server", f"ws://127.0.0.1:{port}", "--size", "960x540", "--screenshot", str(shot))
    assert code == 0, out
    img = pg.image.load(str(shot))
    from signage.display.zones import THEME, layout

    hdr = layout(960, 540).header
    assert THEME.offline in {tuple(img.get_at((x, hdr.centery)))[:3] for x in range(hdr.width)}


async def test_cli_rejects_broken_content_naming_the_field(tmp_path):
    """A broken content dir stops the CLI with exit 2 and the file and field in the message."""
    (tmp_path / "signage").mkdir()
    (tmp_path / "signage" / "screen.yaml").write_text("banner_seconds: soon\n", encoding="utf-8")
    code, out = await _run_cli("--content", str(tmp_path), "--screenshot", str(tmp_path / "x.png"))
    assert code == 2 and "screen.yaml: banner_seconds" in out


async def _until(cond, timeout=10.0):
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.02)


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
        await _until(lambda: screen.state is not None and feed.connected)
        screen.frame(loop.time(), datetime.now().astimezone())
        assert screen.view.banner is not None  # a fresh call is announced
        await srv.stop()
        await _until(lambda: feed.offline_since is not None)
        screen.offline_since = feed.offline_since
        screen.frame(loop.time(), datetime.now().astimezone())
        assert screen.view.header.offline and screen.view.calls.current.ticket == "A001"
        # Back on the same port, with a state that moved on.
        srv2 = FeedServer()
        await srv2.start(port)
        try:
            now = datetime.now(T0.tzinfo)
            srv2.send(state_msg(2, now, [call("A002", "2", now - timedelta(minutes=3)), call("A001", "1", now - timedelta(minutes=4))]))
            await _until(lambda: screen.state.seq == 2 and feed.connected)
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
        await _until(lambda: feed.connected or bool(feed_server.clients))
        from websockets.asyncio.server import broadcast

        broadcast(feed_server.clients, '{"type":"staff.alert"}')
        broadcast(feed_server.clients, "{not json")
        feed_server.send(state_msg(7))
        await _until(lambda: bool(got))
        assert got == [(7, True)]
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def test_soak_hours_of_states_and_promos_keep_memory_flat(pg):
    """Six accelerated hours (a state every 2 s, calls, promo rotation) keep caches bounded and memory flat."""
    from signage.display.app import Screen

    screen = Screen(pg.Surface((480, 270)), load_content(CONTENT), font_dir=CONTENT / "fonts")
    calls: list[dict] = []
    step = 2.0

    def run(steps: int, start: int) -> None:
        for i in range(start, start + steps):
            at = T0 + timedelta(seconds=i * step)
            if i % 7 == 0:
                calls.insert(0, call(f"{'ABC'[i % 3]}{i % 1000:03d}", str(1 + i % 8), at, recall=i % 21 == 0))
                del calls[10:]
            msg = state_msg(i, at, list(calls), busy=(i // 300) % 2 == 1, waiting=(i % 17, i % 11, i % 5))
            screen.receive_state(parse_state(msg), False, i * step)
            screen.frame(i * step, at)

    # tracemalloc only sees allocations made after start(): start before the
    # warm-up, which is long enough for every bounded structure to fill (the
    # banner queue remembers 512 calls: one call per 7 steps needs ~3600 steps).
    tracemalloc.start()
    try:
        run(4000, 1)
        gc.collect()
        before = tracemalloc.take_snapshot()
        run(7000, 4001)
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    # pathlib interns path strings process-wide; what it keeps depends on earlier tests.
    ignore = [tracemalloc.Filter(False, "*/pathlib.py"), tracemalloc.Filter(False, "<frozen importlib._bootstrap*>")]
    stats = after.filter_traces(ignore).compare_to(before.filter_traces(ignore), "lineno")
    growth = sum(s.size_diff for s in stats)
    assert growth < 64 * 1024, f"memory grew by {growth} bytes: " + "; ".join(map(str, stats[:3]))
    sizes = screen.cache_sizes()
    assert sizes["images"] <= 6 and sizes["qr"] <= 8 and sizes["text"] <= 400
    assert screen.frames > 5000  # the soak really drew
