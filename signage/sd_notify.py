"""systemd's notify protocol: READY=1 and watchdog pings as datagrams to ``$NOTIFY_SOCKET``.

Standard library only, so the hall server (which may import signage) and the lobby screen (which
may never import server) share this one sender. Outside systemd, ``$NOTIFY_SOCKET`` is unset and
every call does nothing.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping


__all__ = ["Notifier"]

log = logging.getLogger(__name__)


class Notifier:
    """Send state lines to the service manager; ``ping_due`` paces watchdog pings."""

    def __init__(self, address: str | None, watchdog_s: float | None) -> None:
        self.address = address
        self.watchdog_s = watchdog_s
        """systemd's WatchdogSec, or None: the process must ping at least this often."""
        self._last_ping: float | None = None
        self._failed = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Notifier:
        env = os.environ if env is None else env
        address = env.get("NOTIFY_SOCKET") or None
        watchdog_s = None
        usec = env.get("WATCHDOG_USEC", "")
        # WATCHDOG_PID names the process the pings are expected from: a child that inherited the
        # environment (a subprocess of the screen, say) must not ping on its parent's behalf.
        pid = env.get("WATCHDOG_PID")
        if usec.isdigit() and int(usec) > 0 and (not pid or pid == str(os.getpid())):
            watchdog_s = int(usec) / 1_000_000
        return cls(address, watchdog_s)

    @property
    def interval_s(self) -> float | None:
        """How often to ping: half the watchdog timeout, as sd_watchdog_enabled(3) advises."""
        return None if self.watchdog_s is None else self.watchdog_s / 2

    def send(self, state: str) -> bool:
        """Send ``state`` (e.g. ``"READY=1"``); False when there is no socket or it failed."""
        if not self.address:
            return False
        address = self.address
        if address.startswith("@"):  # an abstract socket: a leading NUL byte instead of "@"
            address = "\0" + address[1:]
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.connect(address)
                sock.sendall(state.encode())
        except OSError as exc:
            if not self._failed:  # once: a manager that went away must not flood the log
                self._failed = True
                log.warning("cannot notify systemd at %s: %s", self.address, exc)
            return False
        return True

    def ready(self) -> bool:
        return self.send("READY=1")

    def stopping(self) -> bool:
        return self.send("STOPPING=1")

    def ping_due(self, mono: float) -> bool:
        """Whether a watchdog ping is due at monotonic time ``mono``."""
        interval = self.interval_s
        if interval is None or not self.address:
            return False
        return self._last_ping is None or mono - self._last_ping >= interval

    def ping(self, mono: float) -> bool:
        """Send WATCHDOG=1 when one is due at ``mono``; True if it was sent."""
        if not self.ping_due(mono):
            return False
        self._last_ping = mono
        return self.send("WATCHDOG=1")
