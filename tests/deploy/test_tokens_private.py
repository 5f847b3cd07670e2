"""Tokens never go to logs: `waitwell serve` prints them only to an interactive terminal, and
keeps generated ones in a file only its user can read."""

from __future__ import annotations

import json
import os
import pty
import stat
import subprocess
import sys
import time
from pathlib import Path

from server.config_file import load_config
from server.web.tokens import TOKENS_FILE, resolve_tokens

from tests.processes import REPO, Process, free_port


async def test_serve_under_a_service_manager_logs_no_token(tmp_path: Path) -> None:
    """stdout to a file (the journal, a log): no token, not even inside the staff link."""
    port = free_port()
    data = tmp_path / "data"
    server = Process(["serve", "--port", str(port), "--data-dir", str(data)], f"http://127.0.0.1:{port}",
                     tmp_path / "serve.log")
    await server.start()
    server.stop()
    log = (tmp_path / "serve.log").read_text()
    tokens = json.loads((data / TOKENS_FILE).read_text())
    assert set(tokens) == {"queue", "staff"}
    for value in tokens.values():
        assert value not in log, log
    assert str(data / TOKENS_FILE) in log  # says where the tokens are
    assert f"http://127.0.0.1:{port}/staff" in log
    assert stat.S_IMODE((data / TOKENS_FILE).stat().st_mode) == 0o600


def test_serve_in_a_terminal_prints_the_tokens(tmp_path: Path) -> None:
    """A person at a terminal (a pseudo-terminal here) sees the generated tokens and the staff link."""
    port = free_port()
    data = tmp_path / "data"
    controller, terminal = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "server", "serve", "--port", str(port), "--data-dir", str(data)],
                            cwd=REPO, stdout=terminal, stderr=subprocess.DEVNULL)
    os.close(terminal)
    seen = b""
    try:
        deadline = time.monotonic() + 60
        while b"manager:" not in seen:
            assert time.monotonic() < deadline and proc.poll() is None, seen
            seen += os.read(controller, 4096)
    finally:
        proc.terminate()
        proc.wait(15)
        os.close(controller)
    tokens = json.loads((data / TOKENS_FILE).read_text())
    text = seen.decode()
    assert f"generated queue token (kept in {data / TOKENS_FILE}): {tokens['queue']}" in text
    assert f"/staff?token={tokens['staff']}" in text


def test_a_tokens_file_others_could_read_is_made_private(tmp_path: Path) -> None:
    """An old or copied tokens.json readable by others is tightened to 0600 when it is read."""
    path = tmp_path / TOKENS_FILE
    path.write_text(json.dumps({"queue": "q" * 24, "staff": "s" * 24}))
    path.chmod(0o644)
    tokens = resolve_tokens(load_config(None), tmp_path)
    assert tokens.queue == "q" * 24 and tokens.generated == ()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_tokens_file_is_never_readable_by_others_even_while_written(tmp_path: Path) -> None:
    """Written 0600 from the first byte (not chmod-ed afterwards), whatever the umask."""
    old = os.umask(0o022)
    try:
        resolve_tokens(load_config(None), tmp_path / "data")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "data" / TOKENS_FILE).stat().st_mode) == 0o600
    assert [p.name for p in (tmp_path / "data").iterdir()] == [TOKENS_FILE]
