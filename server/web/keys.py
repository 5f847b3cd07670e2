"""Typed keys for what the application holds (aiohttp's AppKey: no string keys, no globals)."""

from __future__ import annotations

import weakref

from aiohttp import web

from .hub import Hub
from .tokens import Tokens


__all__ = ["HUB", "SOCKETS", "TOKENS"]

HUB = web.AppKey("hub", Hub)
TOKENS = web.AppKey("tokens", Tokens)
SOCKETS = web.AppKey("sockets", weakref.WeakSet[web.WebSocketResponse])
