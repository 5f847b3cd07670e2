"""The fan-out and soak benchmarks still run: each with tiny parameters, checking its JSON.

Timings are the benchmarks' business (docs/benchmarks.md); these tests check only that the
numbers exist and hang together, and the behaviour the benchmarks rely on.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def run_bench(script: str, out: Path, *args: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, str(REPO / "bench" / script), *args, "--out", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "|---|" in proc.stdout  # the Markdown table
    return json.loads(out.read_text())


def test_fanout_bench_runs_and_reports(tmp_path):
    """20 screens and 2 tablets: every event reaches every reading screen; ingest goes on with 2 stalled."""
    r = run_bench("fanout_bench.py", tmp_path / "fanout.json", "--displays", "20", "--staff", "2",
                  "--seconds", "1.5", "--warmup", "0.5", "--ingest-events", "300", "--client-procs", "1")
    assert r["machine"]["cpus"] >= 1 and len(r["machine"]["loadavg_start"]) == 3
    for phase in ("all_reading", "stalled"):
        display = r[phase]["display"]
        assert display["samples"] > 0 and display["unreflected"] == 0
        assert 0 <= display["p50_ms"] <= display["p99_ms"] <= display["max_ms"]
        assert set(r[phase]["staff"]) >= {"samples", "p50_ms", "p99_ms", "max_ms"}
        assert r[phase]["server_cpu_pct"] >= 0 and r[phase]["states_per_screen_per_s"] > 0
    ingest = r["ingest"]
    assert ingest["stalled_clients"] == 2
    assert ingest["all_reading"]["events_per_s"] > 0 and ingest["stalled"]["events_per_s"] > 0 and ingest["ratio"] > 0
    assert r["server_rss_mb"]["end"] > 0
    assert r["push_errors"] == [] and r["server_log"]["error_lines"] == []


def test_soak_bench_runs_and_reports(tmp_path):
    """0.2 simulated hours: every event acked, memory sampled for both processes, no error lines."""
    r = run_bench("soak_bench.py", tmp_path / "soak.json", "--hours", "0.2", "--speed", "200", "--sample", "0.5")
    assert r["events"] > 0 and r["acked"] == r["events"] and r["push_errors"] == []
    assert r["hall_hours"] > 0.1 and r["states_shown"] > 0
    assert len(r["samples"]) >= 2
    for who in ("server", "screen"):
        assert 0 < r[who]["rss_after_warmup_mb"] <= r[who]["rss_max_mb"]
        assert isinstance(r[who]["rss_growth_mb"], float)
        assert r[who]["error_count"] == 0, r[who]["error_lines"]
