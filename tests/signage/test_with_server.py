"""The lobby screen against the real hall server (`waitwell serve --clock event`)."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import urllib.request
from datetime import timedelta

import pytest
from lobby_helpers import CONTENT, REPO, T0, until

from signage.content_files import load_content
from signage.feed import Feed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(port: int, events: list[dict]) -> list[dict]:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/events", data=json.dumps(events).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": "Bearer qt"},
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


async def test_screen_shows_a_call_posted_to_the_real_server(tmp_path, pg):
    """Events POSTed to the hall server reach the screen: the call is current and announced with a banner."""
    pytest.importorskip("server.web.app")
    from signage.display.app import Screen

    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "serve", "--port", str(port), "--clock", "event", "--data-dir", str(tmp_path / "var"), "--queue-token", "qt",
        cwd=REPO, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )
    loop = asyncio.get_running_loop()
    screen = Screen(pg.Surface((960, 540)), load_content(CONTENT), font_dir=CONTENT / "fonts")
    feed = Feed(f"ws://127.0.0.1:{port}/ws/display", lambda s, r: screen.receive_state(s, r, loop.time()), initial_delay=0.1, max_delay=0.5)
    task = asyncio.create_task(feed.run())
    try:
        await until(lambda: screen.state is not None)
        t = T0
        events = [
            {"id": "w3", "type": "window.opened", "at": t.isoformat(), "window": "3"},
            {"id": "i1", "type": "ticket.issued", "at": (t + timedelta(seconds=1)).isoformat(), "ticket": "A001", "service": "quick"},
            {"id": "i2", "type": "ticket.issued", "at": (t + timedelta(seconds=2)).isoformat(), "ticket": "A002", "service": "quick"},
            {"id": "c1", "type": "ticket.called", "at": (t + timedelta(seconds=30)).isoformat(), "ticket": "A001", "window": "3"},
        ]
        await asyncio.to_thread(_post, port, events)
        await until(lambda: screen.state.calls and screen.state.calls[0].ticket == "A001")
        screen.frame(loop.time(), t)
        v = screen.view
        assert v.calls.current.ticket == "A001" and v.calls.current.window_zh == "3号窗口"
        assert v.banner is not None and v.banner.ticket == "A001"
        quick = next(r for r in v.waiting.rows if r.prefix == "A")
        assert quick.waiting == "1" and not quick.unknown
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        proc.terminate()
        await proc.wait()
