"""bench/chain_bench.py still runs: three halls, twenty hall minutes, every record stored once."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.hq.conftest import REPO


def test_chain_bench_runs_and_reports(tmp_path):
    out = tmp_path / "chain.json"
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "chain_bench.py"), "--halls", "3", "--minutes", "20",
                           "--speed", "1200", "--batch-every", "0.2", "--out", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "|---|" in proc.stdout
    r = json.loads(out.read_text())
    assert r["errors"] == [] and r["records_stored"] == r["records_sent"] > 3
    assert 0 <= r["delay_p50_s"] <= r["delay_p99_s"]
    assert r["hq_rss_mb"] > 0 and r["postgres_rss_mb"] > 0 and r["pg_bytes_per_record"] > 0
