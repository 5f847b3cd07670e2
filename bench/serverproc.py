"""A real `waitwell serve` for the benchmarks: a free port, waiting until it answers, and its CPU time."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux; 0 once it is gone).

    CPU time is what the benchmarks compare commits by: a busy machine disturbs it far less
    than the wall clock.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_healthy(url: str, proc: subprocess.Popen[bytes], *, who: str, log: Path | None = None,
                 timeout_s: float = 10.0) -> None:
    """Return once ``url``/healthz answers 200; exit naming ``who`` and the log's tail if it never does.

    A server that exits during start-up ends the wait at once; one that does not answer in
    ``timeout_s`` is killed, so no benchmark leaves it running.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"{who}: the server exited at start (code {proc.returncode}){_tail(log)}")
        time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"{who}: the server did not answer /healthz within {timeout_s:g} s{_tail(log)}")


def _tail(log: Path | None) -> str:
    if log is None or not log.exists():
        return ""
    return f"; {log}:\n{log.read_text(errors='replace')[-2000:]}"
