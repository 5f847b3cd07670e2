"""`waitwell demo --chain 3`: head office and three halls with their days; Ctrl-C stops every process."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

from tests.hq.conftest import REPO, free_port
from tests.proctools import descendants, interrupt, port_is_free, reap


def test_chain_demo_brings_three_halls_to_the_board_then_stops_on_ctrl_c(pg_dir):
    port = free_port()
    while any(not port_is_free(p) for p in (port + 1, port + 2, port + 10)):
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
        out = interrupt(proc, kids, 6.0)
    finally:
        reap(proc, kids)
    assert proc.returncode == 0, out
    assert f"head office board: http://127.0.0.1:{port + 10}/hq?token=demo-hq" in out

