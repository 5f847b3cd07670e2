"""The web pages the server hosts (staff tablets, manager, browser lobby screen)."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from .display_content import setup_display_content
from .keys import HUB
from .staff_auth import setup_staff_auth


__all__ = ["setup_pages", "STATIC_DIR"]

STATIC_DIR = Path(__file__).resolve().parent / "static"

PAGES = {"/staff": "staff.html", "/manager": "manager.html", "/display": "display.html"}

ZONE_META = '<meta name="waitwell-timezone" content="">'
"""Filled with the hall's zone as the page is served, so a lobby screen's clock is in hall time
from its first frame, before any display.state arrives (a screen's device may be set to any zone)."""


def setup_pages(app: web.Application) -> None:
    """Serve each page that exists, the shared static files under /static/, and staff sign-in."""
    setup_staff_auth(app)
    setup_display_content(app)
    for path, filename in PAGES.items():
        if (STATIC_DIR / filename).exists():
            app.router.add_get(path, _page(STATIC_DIR / filename))
    if STATIC_DIR.is_dir():
        app.router.add_static("/static/", STATIC_DIR)


TRUSTED_META = '<meta name="waitwell-trusted-network" content="">'
"""Filled with "true" or "false" from the config's trusted_network: whether the staff page may send a
PIN over plain HTTP to a host other than localhost (staff.js, mayCarrySecrets)."""


def _page(file: Path) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        text = file.read_text(encoding="utf-8")
        hub = request.app[HUB]
        fills = {ZONE_META: hub.hall.tz.key, TRUSTED_META: "true" if hub.config.trusted_network else "false"}
        if any(meta in text for meta in fills):
            for meta, value in fills.items():
                text = text.replace(meta, meta.replace('""', f'"{html.escape(value)}"'))
            return web.Response(text=text, content_type="text/html", headers={"Cache-Control": "no-cache"})
        return web.FileResponse(file, headers={"Cache-Control": "no-cache"})

    return handler
