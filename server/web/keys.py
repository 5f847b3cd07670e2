"""Typed keys for what the application holds (aiohttp's AppKey: no string keys, no globals)."""

from __future__ import annotations

import weakref

from aiohttp import web

from .forwarder import Forwarder
from .hub import Hub
from .tokens import Tokens


__all__ = ["FORWARDER", "HUB", "SOCKETS", "TOKENS"]

HUB = web.AppKey("hub", Hub)
TOKENS = web.AppKey("tokens", Tokens)
SOCKETS = web.AppKey("sockets", weakref.WeakSet[web.WebSocketResponse])
FORWARDER = web.AppKey("forwarder", Forwarder)
"""Only in a hall that forwards its journal to head office (``--hq``)."""
