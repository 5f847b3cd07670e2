"""`waitwell` subcommands as processes of their own, on free 127.0.0.1 ports, for end-to-end tests."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import aiohttp


__all__ = ["REPO", "Process", "free_port"]

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Process:
    """A ``waitwell`` subcommand as its own process, healthy before start() returns; its output in ``log``."""

    def __init__(self, argv: list[str], url: str, log: Path, ssl_context: ssl.SSLContext | None = None) -> None:
        self.argv, self.url, self.log_path = argv, url, log
        self.ssl_context = ssl_context
        """For an https ``url``: the context that trusts the process's certificate."""
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self, timeout: float = 30.0) -> None:
        self.log = self.log_path.open("ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "server", *self.argv], cwd=REPO,
                                     stdout=self.log, stderr=self.log)
        async with aiohttp.ClientSession() as session:
            for _ in range(int(timeout / 0.05)):
                try:
                    async with session.get(self.url + "/healthz", ssl=self.ssl_context or True) as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                assert self.proc.poll() is None, self.log_path.read_text()
                await asyncio.sleep(0.05)
        raise AssertionError(f"{self.argv[0]} did not become healthy: {self.log_path.read_text()[-2000:]}")

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.log.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and not self.log.closed:
            self.log.close()
