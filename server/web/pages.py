"""The web pages the server hosts (staff tablets, manager, browser lobby screen)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from .display_content import setup_display_content
from .staff_auth import setup_staff_auth


__all__ = ["setup_pages", "STATIC_DIR"]

STATIC_DIR = Path(__file__).resolve().parent / "static"

PAGES = {"/staff": "staff.html", "/manager": "manager.html", "/display": "display.html"}


def setup_pages(app: web.Application) -> None:
    """Serve each page that exists, the shared static files under /static/, and staff sign-in."""
    setup_staff_auth(app)
    setup_display_content(app)
    for path, filename in PAGES.items():
        if (STATIC_DIR / filename).exists():
            app.router.add_get(path, _page(STATIC_DIR / filename))
    if STATIC_DIR.is_dir():
        app.router.add_static("/static/", STATIC_DIR)


def _page(file: Path) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(file, headers={"Cache-Control": "no-cache"})

    return handler
