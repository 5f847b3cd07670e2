"""signage/cli.py: `python -m signage` as a process (screenshot, offline, broken content)."""

from __future__ import annotations

import asyncio
import sys

from lobby_helpers import REPO, state_msg


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
