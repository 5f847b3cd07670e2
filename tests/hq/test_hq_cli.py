"""`waitwell hq` says what is wrong in one line: a bad HQ.yaml (exit 2), a PostgreSQL it cannot reach (exit 1)."""

from __future__ import annotations

import json
import stat
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


def test_a_generated_token_goes_to_a_private_file_and_never_into_a_log(tmp_path):
    """Under systemd stdout is the journal: the token head office made is printed only to a terminal."""
    data_dir = tmp_path / "hq"
    done = run_hq("--db", f"postgresql://postgres@127.0.0.1:{free_port()}/none", "--data-dir", str(data_dir),
                  "--log-level", "CRITICAL")
    token_file = data_dir / "hq-token.json"
    token = json.loads(token_file.read_text())["token"]
    assert token not in done.stdout and token not in done.stderr
    assert "shown only on a terminal" in done.stdout
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
