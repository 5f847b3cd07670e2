"""The server's listening sockets, opened up front so that a port it cannot have is one clear line."""

from __future__ import annotations

import argparse
import errno
import os
import socket


__all__ = ["ListenError", "open_listeners", "port_number", "describe_listen_error"]


class ListenError(Exception):
    """The server cannot listen where it was asked to; ``str()`` is one line that names the flag to change."""


def port_number(text: str) -> int:
    """``--port`` value: an integer 0-65535 (argparse type)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0-65535)")
    return port


def open_listeners(host: str | None, port: int, backlog: int = 128) -> list[socket.socket]:
    """Bound, listening sockets on every address of ``host`` (None or "": all interfaces).

    The same socket options as asyncio's ``create_server`` (SO_REUSEADDR on POSIX, IPV6_V6ONLY),
    so the sockets behave as if aiohttp had opened them. Raises ListenError.
    """
    try:
        infos = socket.getaddrinfo(host or None, port, family=socket.AF_UNSPEC, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ListenError(describe_listen_error(exc, host, port)) from None
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            if os.name == "posix":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            # listen() too: two SO_REUSEADDR sockets may both bind a port, only one may listen.
            sock.listen(backlog)
    except OSError as exc:
        for sock in sockets:
            sock.close()
        raise ListenError(describe_listen_error(exc, host, port)) from None
    return sockets


def describe_listen_error(exc: OSError, host: str | None, port: int) -> str:
    """One line saying why ``host``:``port`` cannot be listened on and which flag to change."""
    where = f"port {port} on {host}" if host else f"port {port} (all interfaces)"
    if isinstance(exc, socket.gaierror):
        return f"cannot listen on --host {host!r}: the name does not resolve ({exc.strerror}); give an address such as 127.0.0.1"
    if exc.errno == errno.EADDRINUSE:
        return f"{where} is already in use by another program; stop it or choose another port with --port"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return (f"not allowed to listen on {where} (ports below 1024 need root or CAP_NET_BIND_SERVICE); "
                f"choose a port from 1024 up with --port")
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on --host {host}: it is not an address of this machine; use one of its addresses or 0.0.0.0"
    return f"cannot listen on {where}: {exc.strerror or exc}; check --host and --port"
