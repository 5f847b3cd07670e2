"""Processes seen through /proc (Linux): the descendants of a process, and when they are gone."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


__all__ = ["Proc", "descendants", "alive", "wait_gone", "kill_all", "interrupt", "reap", "port_is_free"]


@dataclass(frozen=True)
class Proc:
    """One process, identified by pid and start time so that a reused pid is not mistaken for it."""

    pid: int
    start: int
    cmdline: str


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, start time) of ``pid``, or None when it does not exist."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: the fields start after the last ')'.
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), int(fields[19])


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def descendants(pid: int) -> list[Proc]:
    """Every living process below ``pid`` (children, grandchildren, ...)."""
    parents: dict[int, list[int]] = {}
    stats: dict[int, tuple[str, int, int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (st := _stat(int(entry))) is not None:
            stats[int(entry)] = st
            parents.setdefault(st[1], []).append(int(entry))
    found: list[Proc] = []
    todo = list(parents.get(pid, ()))
    while todo:
        child = todo.pop()
        state, _, start = stats[child]
        if state != "Z":
            found.append(Proc(child, start, _cmdline(child)))
        todo.extend(parents.get(child, ()))
    return found


def alive(proc: Proc) -> bool:
    """True while ``proc`` runs (a zombie waiting to be reaped counts as gone)."""
    st = _stat(proc.pid)
    return st is not None and st[2] == proc.start and st[0] != "Z"


def wait_gone(procs: list[Proc], timeout: float) -> list[Proc]:
    """Wait up to ``timeout`` s for every process in ``procs`` to end; return those still running."""
    deadline = time.monotonic() + timeout
    while True:
        left = [p for p in procs if alive(p)]
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.05)


def kill_all(procs: list[Proc]) -> None:
    """SIGKILL whatever in ``procs`` still runs, so a failing test leaves no orphan behind."""
    for p in procs:
        if alive(p):
            with contextlib.suppress(ProcessLookupError):
                os.kill(p.pid, signal.SIGKILL)


def interrupt(proc: subprocess.Popen[str], kids: list[Proc], within_s: float) -> str:
    """Ctrl-C ``proc`` as a person at its terminal would; every one of ``kids`` must be gone within
    ``within_s``. Returns what ``proc`` printed."""
    proc.send_signal(signal.SIGINT)
    left = wait_gone(kids, within_s)
    assert not left, f"still running {within_s:g} s after Ctrl-C: {[p.cmdline for p in left]}"
    out, _ = proc.communicate(timeout=5)
    return out


def reap(proc: subprocess.Popen[str], kids: list[Proc]) -> None:
    """Whatever the test's outcome: ``proc`` and its ``kids`` end, so no test leaves an orphan."""
    if proc.poll() is None:
        proc.kill()
        proc.communicate()
    kill_all(kids)


def port_is_free(port: int) -> bool:
    """True when a server could listen on 127.0.0.1:``port`` now (with SO_REUSEADDR, as servers do)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            s.listen()
        except OSError:
            return False
        return True
