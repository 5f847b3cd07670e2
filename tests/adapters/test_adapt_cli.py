"""``waitwell adapt``: a wrong config or a missing token is one line and exit 2, not a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.adapters.payloads import GENERIC_YAML


REPO = Path(__file__).resolve().parents[2]


def adapt(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server", "adapt", *argv, "--listen", "127.0.0.1:0"],
                          cwd=REPO, capture_output=True, text=True, timeout=60, env=env)


def test_a_wrong_key_is_one_line_naming_it(tmp_path):
    config = tmp_path / "adapter.yaml"
    config.write_text(GENERIC_YAML.replace("ticket.served", "ticket.done"))
    done = adapt("generic", "--config", str(config), "--server", "http://127.0.0.1:9", "--queue-token", "q")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"waitwell adapt: {config}: types.DONE: 'ticket.done' is not a WaitWell event type (known: "
        "clock.tick, hall.reset, ticket.called, ticket.cancelled, ticket.issued, ticket.no_show, "
        "ticket.recalled, ticket.served, ticket.transferred, window.closed, window.opened)"]


def test_no_queue_token_is_refused(tmp_path):
    config = tmp_path / "adapter.yaml"
    config.write_text(GENERIC_YAML)
    env = {k: v for k, v in __import__("os").environ.items() if k != "WAITWELL_QUEUE_TOKEN"}
    done = adapt("generic", "--config", str(config), "--server", "http://127.0.0.1:9", env=env)
    assert done.returncode == 2 and "--queue-token" in done.stderr


def test_a_qminder_config_without_secret_names_it(tmp_path):
    config = tmp_path / "q.yaml"
    config.write_text("services: {'1': quick}\n")
    env = {k: v for k, v in __import__("os").environ.items() if k != "WAITWELL_QMINDER_SECRET"}
    done = adapt("qminder", "--config", str(config), "--server", "http://127.0.0.1:9", "--queue-token", "q", env=env)
    assert done.returncode == 2 and "q.yaml: secret: missing" in done.stderr
