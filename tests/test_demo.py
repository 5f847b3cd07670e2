"""`waitwell demo` brings up the whole hall and stops cleanly on Ctrl-C."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from server.config_file import DEFAULT_CONFIG_PATH, load_config
from tests.proctools import descendants, interrupt, reap
from tests.web.test_restart import free_port


REPO = Path(__file__).resolve().parents[1]
DEMO_CONFIG = REPO / "content" / "demo-hall.yaml"


def test_demo_runs_server_simulator_and_screen_then_stops_on_ctrl_c(tmp_path):
    """Headless demo: events reach the server, screenshots appear, SIGINT stops every process within 5 s."""
    port = free_port()
    shots = tmp_path / "shots"
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "demo", "--headless", "--speed", "3000", "--port", str(port),
         "--shots", str(shots), "--shot-every", "2", "--data-dir", str(tmp_path / "data")],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    kids = []
    try:
        deadline = time.monotonic() + 90
        state = {}
        while time.monotonic() < deadline:
            if list(shots.glob("lobby-*.png")):
                req = urllib.request.Request(f"http://127.0.0.1:{port}/api/report?token=demo-staff")
                with urllib.request.urlopen(req, timeout=5) as resp:
                    state = json.load(resp)
                if state.get("issued", 0) > 0:
                    break
            assert proc.poll() is None, proc.stdout.read()
            time.sleep(0.5)
        assert state.get("issued", 0) > 0, "the simulated day never reached the server"
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/state?token=demo-staff")
        with urllib.request.urlopen(req, timeout=5) as resp:
            windows = {w["id"]: w["services"] for w in json.load(resp)["windows"]}
        kids = descendants(proc.pid)
        assert any(" serve " in k.cmdline for k in kids), [k.cmdline for k in kids]
        # Server and queue system run the same hall: the windows the server knows are the config's.
        for part in (" serve ", "server.simulator"):
            assert any(part in k.cmdline and f"--config {DEMO_CONFIG} " in k.cmdline + " " for k in kids), \
                [k.cmdline for k in kids]
        out = interrupt(proc, kids, 5.0)
    finally:
        reap(proc, kids)
    assert proc.returncode == 0, out
    assert f"http://127.0.0.1:{port}/staff?token=demo-staff" in out
    assert f"  hall config:  {DEMO_CONFIG} (幸福路营业厅 / Xingfu Road Service Hall: 15 windows, 3 services)" in out
    config = load_config(DEMO_CONFIG)
    assert windows == {w.id: list(w.services) if w.services else None for w in config.windows}


def test_the_demo_hall_is_the_sample_hall_at_month_end_size():
    """content/demo-hall.yaml differs from content/hall.yaml only in its windows: 9-15 are added, serving all."""
    sample, demo = load_config(DEFAULT_CONFIG_PATH), load_config(DEMO_CONFIG)
    assert demo.windows[:8] == sample.windows
    assert [(w.id, w.services, w.hours) for w in demo.windows[8:]] == [(str(n), None, None) for n in range(9, 16)]
    assert dataclasses.replace(demo, windows=sample.windows, data_dir=sample.data_dir) == sample
    assert demo.data_dir != sample.data_dir, "two halls sharing one journal would mix their days"
