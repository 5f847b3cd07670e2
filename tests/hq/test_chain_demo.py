"""`waitwell demo --chain 3`: head office and three halls with their days; Ctrl-C stops every process."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request

from tests.hq.conftest import REPO, free_port
from tests.proctools import descendants, kill_all, wait_gone


def test_chain_demo_brings_three_halls_to_the_board_then_stops_on_ctrl_c(pg_dir):
    port = free_port()
    while any(not _free(p) for p in (port + 1, port + 2, port + 10)):
        port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "server", "demo", "--chain", "3", "--speed", "3000",
                             "--port", str(port), "--data-dir", str(pg_dir / "chain")],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    kids = []
    try:
        deadline = time.monotonic() + 90
        halls: list = []
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port + 10}/api/halls?token=demo-hq", timeout=5) as r:
                    halls = json.load(r)["halls"]
            except OSError:
                pass
            if len(halls) == 3 and all(h["last_seq"] > 50 and h["link"] == "online" for h in halls):
                break
            assert proc.poll() is None, proc.stdout.read()
            time.sleep(0.5)
        assert [h["hall_id"] for h in halls] == ["hall-1", "hall-2", "hall-3"], halls
        assert all(h["last_seq"] > 50 for h in halls), halls
        kids = descendants(proc.pid)
        assert any("postgres" in k.cmdline for k in kids), [k.cmdline for k in kids]
        proc.send_signal(signal.SIGINT)
        left = wait_gone(kids, 6.0)
        assert not left, f"still running after Ctrl-C: {[p.cmdline for p in left]}"
        out, _ = proc.communicate(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        kill_all(kids)
    assert proc.returncode == 0, out
    assert f"head office board: http://127.0.0.1:{port + 10}/hq?token=demo-hq" in out


def _free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
