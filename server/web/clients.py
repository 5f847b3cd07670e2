"""Who a request comes from: the address the rate limits count, behind a reverse proxy too.

Behind nginx (deploy/), every request reaches the server from the proxy's address: the phone
page's limits and the staff PIN lockout would count the whole hall as one device, and one
guesser would lock every tablet out. A proxy the server is told to trust (``waitwell serve
--trusted-proxy ADDR``) passes the client's address in ``X-Forwarded-For``; the client is the
right-most address there that is not a trusted proxy (what a client writes further left is not
believed). From any other peer the header is ignored: anyone can send it.
"""

from __future__ import annotations

import ipaddress

from aiohttp import web


__all__ = ["TRUSTED_PROXIES", "client_address", "parse_proxies"]

TRUSTED_PROXIES: web.AppKey[frozenset[str]] = web.AppKey("trusted_proxies")


def parse_proxies(addresses: list[str]) -> frozenset[str]:
    """The trusted proxies' addresses, normalised; ``ValueError`` names one that is not an IP address."""
    out = set()
    for address in addresses:
        normal = _normal(address)
        if normal is None:
            raise ValueError(f"--trusted-proxy {address!r} is not an IP address")
        out.add(normal)
    return frozenset(out)


def _normal(address: str) -> str | None:
    """The address in one spelling (``::1``, never ``0:0::1``), or None if it is not one."""
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_address(request: web.Request) -> str:
    """The client's address as the limits count it (see the module's docstring)."""
    remote = request.remote or "unknown"
    trusted = request.app.get(TRUSTED_PROXIES) or frozenset()
    if not trusted or _normal(remote) not in trusted:
        return remote
    hops = [h for header in request.headers.getall("X-Forwarded-For", []) for h in header.split(",")]
    for hop in reversed(hops):
        address = _normal(hop)
        if address is None:
            return remote  # a hop we cannot read: count the proxy, never a made-up name
        if address not in trusted:
            return address
    return remote
