"""What the browser lobby screen (/display) needs besides the feed: its content, images and fonts.

The content is the pygame screen's (``content/signage/screen.yaml`` and ``playlist.yaml``),
read and checked by the screen's own rules (:mod:`signage.content_files`, pure model in
:mod:`signage.content`), so both screens accept, refuse and default alike. The server imports
only that content model and its reader, never the screen's feed or pygame code; ``signage``
never imports ``server`` (docs/lobby-screen.md, "One set of rules"). This module turns the
model into the JSON of docs/protocol.md (``display-content-schema``) and serves it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from datetime import date, time
from pathlib import Path
from typing import Any

import segno
from aiohttp import web

from signage.content import Content, ScreenConfig, Tip
from signage.content_files import file_stamps, load_content
from signage.errors import ContentError
from signage.playlist import Slide
from signage.schedule import Schedule


__all__ = ["DisplayContent", "load_display_content", "content_json", "setup_display_content",
           "DEFAULT_CONTENT_DIR", "CONTENT_ROUTE"]

log = logging.getLogger(__name__)

DEFAULT_CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"
"""The repository's sample content; ``WAITWELL_CONTENT_DIR`` points elsewhere."""

CONTENT_ROUTE = "/api/display/content"

# Only these two folders are served: the content directory also holds hall.yaml (tokens, PINs).
SERVED_DIRS = ("images", "fonts")
SERVED_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
                ".webp": "image/webp", ".otf": "font/otf", ".ttf": "font/ttf", ".woff": "font/woff",
                ".woff2": "font/woff2"}

QR_DARK, QR_LIGHT = "#0a1422", "#ffffff"  # the pygame screen's colours (signage/display/assets.py)


def _qr_svg(url: str) -> str:
    # Same symbol as the pygame screen (error level M, 2-module quiet zone); no size, so CSS scales it.
    return segno.make(url, error="m", micro=False).svg_inline(border=2, omitsize=True, dark=QR_DARK,
                                                              light=QR_LIGHT)


def _texts(tips: tuple[Tip, ...]) -> list[dict[str, str]]:
    return [{"zh": t.zh, "en": t.en} for t in tips]


def _screen_json(screen: ScreenConfig) -> dict[str, Any]:
    return {
        "banner_seconds": screen.banner_seconds,
        "chime": screen.chime,
        "history": screen.history,
        "ticker_page_seconds": screen.ticker_page_seconds,
        "qr": [{"url": q.url, "caption": q.caption, "caption_en": q.caption_en, "svg": _qr_svg(q.url)}
               for q in screen.qr],
        "tips": _texts(screen.tips),
        "self_service": _texts(screen.self_service),
        "nearby": [{"name": b.name, "name_en": b.name_en, "address": b.address, "address_en": b.address_en,
                    "distance": b.distance, "phone": b.phone} for b in screen.nearby],
    }


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d is not None else None


def _schedule_json(s: Schedule) -> dict[str, Any]:
    """The schedule with hours as [start, end] minutes of the day (end <= start: overnight)."""
    return {"weekdays": sorted(s.weekdays) if s.weekdays is not None else None,
            "hours": [[_minutes(start), _minutes(end)] for start, end in s.hours],
            "from": _iso(s.start), "until": _iso(s.end)}


def _slide_json(root: Path, s: Slide) -> dict[str, Any]:
    return {"id": s.id, "kind": s.kind, "duration_s": s.duration_s, "priority": s.priority,
            "schedule": _schedule_json(s.schedule), "image": s.image, "title": s.title, "title_en": s.title_en,
            "body": s.body, "body_en": s.body_en, "accent": s.accent, "image_url": _image_url(root, s.image)}


def content_json(content: Content) -> dict[str, Any]:
    """Return the page's content: screen settings and texts, QR codes as SVG, the playlist."""
    return {**_screen_json(content.screen),
            "slides": [_slide_json(content.root, s) for s in content.playlist.slides]}


def _served_file(root: Path, rel: str) -> Path | None:
    """Return the file behind ``rel`` if it is one we serve (under images/ or fonts/), else None."""
    try:
        path = (root / rel).resolve()
    except (OSError, ValueError):
        return None
    for folder in SERVED_DIRS:
        base = (root / folder).resolve()
        if path.is_relative_to(base) and path != base and path.suffix.lower() in SERVED_TYPES:
            return path
    return None


def _image_url(root: Path, rel: str | None) -> str | None:
    """Return the URL of a slide's image, versioned by mtime so a fixed file is fetched again.

    None when the file is missing or outside images/ and fonts/: the page skips the slide, as
    the pygame screen skips an image it cannot load.
    """
    if not rel:
        return None
    path = _served_file(root, rel)
    if path is None:
        return None
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return None
    return "/content/" + path.relative_to(root.resolve()).as_posix() + f"?v={stamp}"


def load_display_content(root: Path) -> dict[str, Any]:
    """Read the content directory ``root`` into the page's content (:func:`content_json`).

    Raises:
        ContentError: a file is unreadable or a field invalid (the message names both).
    """
    return content_json(load_content(root))


class DisplayContent:
    """Serve the content as JSON with an ETag; YAML is parsed again only when a file changes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._stamp: tuple[Any, ...] | None = None
        self._body: bytes | None = None
        self._etag = ""

    def _stamps(self) -> tuple[Any, ...]:
        out: list[Any] = list(file_stamps(self.root))
        # Image mtimes are in the URLs: a replaced or repaired picture changes the JSON.
        try:
            out.extend(sorted((e.name, e.stat().st_mtime_ns) for e in os.scandir(self.root / "images")))
        except OSError:
            pass  # no images folder, or a file vanished while we looked: the next request looks again
        return tuple(out)

    def current(self) -> tuple[bytes, str]:
        """Return (JSON body, ETag).

        Raises:
            ContentError: the content on disk is invalid.
        """
        stamp = self._stamps()
        if stamp != self._stamp or self._body is None:
            body = json.dumps(load_display_content(self.root), ensure_ascii=False, separators=(",", ":"))
            self._body = body.encode("utf-8")
            self._etag = '"' + hashlib.sha256(self._body).hexdigest()[:32] + '"'
            self._stamp = stamp
        return self._body, self._etag

    async def handle_content(self, request: web.Request) -> web.Response:
        try:
            body, etag = self.current()
        except ContentError as exc:
            self._body = None
            log.error("lobby content invalid (%s): %s", self.root, exc)
            return web.json_response({"error": {"code": "invalid_content", "message": str(exc)}}, status=500,
                                     dumps=lambda o: json.dumps(o, ensure_ascii=False))
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if etag in request.headers.get("If-None-Match", ""):
            return web.Response(status=304, headers=headers)
        return web.Response(body=body, content_type="application/json", charset="utf-8", headers=headers)

    async def handle_file(self, request: web.Request) -> web.StreamResponse:
        rel = f"{request.match_info['folder']}/{request.match_info['name']}"
        path = _served_file(self.root, rel)
        if path is None or not path.is_file():
            raise web.HTTPNotFound(text=f"no content file {rel!r}")
        # Immutable enough for a day: image URLs carry their mtime, fonts rarely change.
        return web.FileResponse(path, headers={"Content-Type": SERVED_TYPES[path.suffix.lower()],
                                               "Cache-Control": "public, max-age=86400"})


def setup_display_content(app: web.Application, root: Path | None = None) -> None:
    """Add GET /api/display/content and /content/{images,fonts}/… for the browser lobby screen."""
    if root is None:
        root = Path(os.environ.get("WAITWELL_CONTENT_DIR") or DEFAULT_CONTENT_DIR)
    content = DisplayContent(root)
    app.router.add_get(CONTENT_ROUTE, content.handle_content)
    app.router.add_get("/content/{folder:images|fonts}/{name:.+}", content.handle_file)
    from .voice_calls import setup_voice_calls

    setup_voice_calls(app, root)
