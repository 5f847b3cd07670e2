"""`waitwell hq` says what is wrong in one line: a bad HQ.yaml (exit 2), a PostgreSQL it cannot reach (exit 1)."""

from __future__ import annotations

import subprocess
import sys

from tests.hq.conftest import REPO, free_port


def run_hq(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server", "hq", "--port", str(free_port()), *argv],
                          cwd=REPO, capture_output=True, text=True, timeout=60)


def test_a_bad_hq_yaml_is_one_line_and_exit_2(tmp_path):
    config = tmp_path / "hq.yaml"
    config.write_text("halls:\n  - id: h1\n    token: \"same\"\n  - id: h2\n    token: \"same\"\n", encoding="utf-8")
    done = run_hq("--config", str(config), "--data-dir", str(tmp_path / "hq"))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"waitwell hq: {config}: halls[2]: 'token' must be a string of its own "
                                                "(quote it)"]


def test_a_postgresql_it_cannot_reach_is_one_line_and_exit_1(tmp_path):
    done = run_hq("--db", f"postgresql://postgres@127.0.0.1:{free_port()}/none", "--data-dir", str(tmp_path / "hq"),
                  "--log-level", "CRITICAL")
    assert done.returncode == 1
    assert done.stderr.strip().startswith("waitwell hq: cannot use PostgreSQL: ")
    assert len(done.stderr.strip().splitlines()) == 1
