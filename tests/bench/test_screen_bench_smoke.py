"""A tiny run of bench/screen_bench.py (pygame vs Chromium on Xvfb): structure and finite values.

No timing thresholds: this machine's numbers live in docs/benchmarks.md. The run uses the real
server, Xvfb and both screens, so it takes about a minute.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.screen_lab import CHROMIUM

REPO = Path(__file__).resolve().parents[2]

TINY = ["--calls", "2", "--bursts", "1", "--burst", "2", "--banner", "1", "--interval", "1.4",
        "--settle", "0.5", "--warmup", "2", "--window", "2"]


def finite(value: object) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def check_summary(s: dict, *, at_least: int) -> None:
    assert s["n"] >= at_least, s
    if s["n"]:
        assert all(finite(s[k]) for k in ("p50", "p99", "max", "min")), s
        assert s["min"] <= s["p50"] <= s["p99"] <= s["max"]


def test_tiny_run_writes_a_side_by_side_json(tmp_path: Path) -> None:
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is absent: apt-get install xvfb (bash .ci/run installs it)")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is absent: apt-get install chromium (bash .ci/run installs it)")
    out = tmp_path / "screen.json"
    run = subprocess.run([sys.executable, str(REPO / "bench" / "screen_bench.py"), *TINY, "--out", str(out)],
                         cwd=REPO, capture_output=True, text=True, timeout=420)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "| measure | pygame | Chromium /display |" in run.stdout
    res = json.loads(out.read_text(encoding="utf-8"))

    assert res["machine"]["cores"] >= 1 and res["machine"]["chromium"]
    for load in (res["load_start"], res["load_end"]):
        assert finite(load["load1"]) and load["uptime"]

    assert [r["screen"] for r in res["event_to_screen"]] == ["pygame", "chromium"]
    for r in res["event_to_screen"]:
        assert r["spaced"]["sent"] == 2
        assert set(r["first_banner_after_start"]) == {"own_clock_ms", "x_damage_ms"}
        check_summary(r["spaced"]["own_clock_ms"], at_least=1)
        check_summary(r["spaced"]["x_damage_ms"], at_least=1)
        check_summary(r["spaced"]["server_to_feed_ms"], at_least=1)
        assert r["burst"]["bursts"] == 1 and r["burst"]["calls_per_burst"] == 2
        check_summary(r["burst"]["first_call_banner_ms"], at_least=0)
        check_summary(r["burst"]["last_call_shown_ms"], at_least=0)
        assert finite(r["load"]["load1"])
    clock = res["event_to_screen"][1]["clock"]
    assert finite(clock["before"]["offset_ms"]) and finite(clock["before"]["uncertainty_ms"])

    cost = {(c["screen"], c["scenario"]) for c in res["cost"]}
    assert cost == {(s, sc) for s in ("pygame", "chromium") for sc in ("rest", "ticker+promotions", "busy hour")}
    for c in res["cost"]:
        for key in ("cpu_pct", "xvfb_cpu_pct", "pss_mb", "rss_mb", "window_s"):
            assert finite(c[key]) and c[key] >= 0, (c["screen"], c["scenario"], key, c[key])
        assert c["pss_mb"] > 0 and c["processes"] >= 1
        assert finite(c["load"]["start"]["load1"]) and finite(c["load"]["end"]["load1"])
        assert c["window"] is not None and c["window"][0] >= 1900, c["window"]  # fullscreen, not a small window
        if c["scenario"] == "busy hour":
            assert c["events_in_window"] > 0
