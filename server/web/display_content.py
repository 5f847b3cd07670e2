"""What the browser lobby screen (/display) needs besides the feed: its content, images and fonts.

The lobby content (``content/signage/screen.yaml`` and ``playlist.yaml``) is the pygame
screen's. The server must not import ``signage`` (the screen talks to the server only through
the wire), so the few rules the page depends on are checked again here, with errors that name
the file and the field like ``signage.content`` does.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import segno
import yaml
from aiohttp import web


__all__ = ["ContentProblem", "DisplayContent", "load_display_content", "setup_display_content",
           "DEFAULT_CONTENT_DIR", "CONTENT_ROUTE"]

log = logging.getLogger(__name__)

DEFAULT_CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"
"""The repository's sample content; ``WAITWELL_CONTENT_DIR`` points elsewhere."""

CONTENT_ROUTE = "/api/display/content"
SCREEN_FILE = "signage/screen.yaml"
PLAYLIST_FILE = "signage/playlist.yaml"

# Only these two folders are served: the content directory also holds hall.yaml (tokens, PINs).
SERVED_DIRS = ("images", "fonts")
SERVED_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
                ".webp": "image/webp", ".otf": "font/otf", ".ttf": "font/ttf", ".woff": "font/woff",
                ".woff2": "font/woff2"}

WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
HOURS_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
QR_DARK, QR_LIGHT = "#0a1422", "#ffffff"  # the pygame screen's colours (signage/display/assets.py)


class ContentProblem(Exception):
    """The lobby content is invalid; ``str()`` names the file and the field."""

    def __init__(self, file: str, field: str, message: str) -> None:
        super().__init__(f"{file}: {field}: {message}")
        self.file, self.field, self.message = file, field, message


class _Reader:
    """Typed access to one YAML file's mapping; every error names the file and dotted field."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, field: str, message: str) -> ContentProblem:
        return ContentProblem(self.file, field, message)

    def mapping(self, value: Any, field: str) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(field, f"expected a mapping, got {type(value).__name__}")
        return value

    def seq(self, value: Any, field: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(field, f"expected a list, got {type(value).__name__}")
        return value

    def text(self, d: Mapping[str, Any], key: str, field: str, *, required: bool = False) -> str:
        name = f"{field}.{key}" if field else key
        value = d.get(key)
        if value is None:
            if required:
                raise self.fail(name, "is required")
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.fail(name, f"expected text, got {value!r}")
        return str(value)

    def number(self, d: Mapping[str, Any], key: str, field: str, default: float, *, minimum: float) -> float:
        name = f"{field}.{key}" if field else key
        value = d.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(name, f"expected a number, got {value!r}")
        if value < minimum:
            raise self.fail(name, f"must be at least {minimum:g}, got {value!r}")
        return float(value)


def _read_yaml(root: Path, rel: str) -> Any:
    try:
        text = (root / rel).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None  # an absent file means the defaults, as on the pygame screen
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentProblem(rel, "-", f"cannot read: {exc}") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "-"
        raise ContentProblem(rel, where, f"invalid YAML: {getattr(exc, 'problem', None) or exc}") from exc


def _tips(r: _Reader, items: Any, field: str) -> list[dict[str, str]]:
    out = []
    for i, item in enumerate(r.seq(items, field)):
        f = f"{field}[{i}]"
        if isinstance(item, str):
            out.append({"zh": item, "en": ""})
            continue
        item = r.mapping(item, f)
        out.append({"zh": r.text(item, "zh", f, required=True), "en": r.text(item, "en", f)})
    return out


def _qr_svg(url: str) -> str:
    # Same symbol as the pygame screen (error level M, 2-module quiet zone); no size, so CSS scales it.
    return segno.make(url, error="m", micro=False).svg_inline(border=2, omitsize=True, dark=QR_DARK,
                                                              light=QR_LIGHT)


def _screen(root: Path) -> dict[str, Any]:
    r = _Reader(SCREEN_FILE)
    d = r.mapping(_read_yaml(root, SCREEN_FILE), "(top level)")
    chime = d.get("chime", True)
    if not isinstance(chime, bool):
        raise r.fail("chime", f"expected true or false, got {chime!r}")
    qr = []
    for i, item in enumerate(r.seq(d.get("qr"), "qr")):
        f = f"qr[{i}]"
        item = r.mapping(item, f)
        url = r.text(item, "url", f, required=True)
        if not re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I):
            raise r.fail(f"{f}.url", f"not a URL: {url!r}")
        qr.append({"url": url, "caption": r.text(item, "caption", f, required=True),
                   "caption_en": r.text(item, "caption_en", f), "svg": _qr_svg(url)})
    busy = r.mapping(d.get("busy"), "busy")
    nearby = []
    for i, item in enumerate(r.seq(busy.get("nearby"), "busy.nearby")):
        f = f"busy.nearby[{i}]"
        item = r.mapping(item, f)
        nearby.append({"name": r.text(item, "name", f, required=True),
                       **{k: r.text(item, k, f) for k in ("name_en", "address", "address_en", "distance", "phone")}})
    return {
        "banner_seconds": r.number(d, "banner_seconds", "", 8.0, minimum=1),
        "chime": chime,
        "history": int(r.number(d, "history", "", 6, minimum=0)),
        "ticker_page_seconds": r.number(d, "ticker_page_seconds", "", 8.0, minimum=1),
        "qr": qr,
        "tips": _tips(r, d.get("tips"), "tips"),
        "self_service": _tips(r, busy.get("self_service"), "busy.self_service"),
        "nearby": nearby,
    }


def _date(r: _Reader, value: Any, field: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):  # YAML reads an unquoted 2027-02-05 as a date already
        return value.isoformat()
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise r.fail(field, f"expected a date YYYY-MM-DD, got {value!r}") from None


def _schedule(r: _Reader, value: Any, field: str) -> dict[str, Any]:
    """Return the schedule with hours as [start, end] minutes of the day (end <= start: overnight)."""
    d = r.mapping(value, field)
    unknown = set(d) - {"weekdays", "hours", "from", "until"}
    if unknown:
        raise r.fail(f"{field}.{sorted(unknown)[0]}", "unknown schedule field (use weekdays, hours, from, until)")
    weekdays = None
    if d.get("weekdays") is not None:
        days = set()
        for i, w in enumerate(r.seq(d["weekdays"], f"{field}.weekdays")):
            key = str(w).strip().lower()[:3]
            if key not in WEEKDAYS:
                raise r.fail(f"{field}.weekdays[{i}]", f"not a weekday: {w!r} (use mon … sun)")
            days.add(WEEKDAYS[key])
        weekdays = sorted(days)
    hours = []
    raw = d.get("hours")
    for i, h in enumerate([raw] if isinstance(raw, str) else r.seq(raw, f"{field}.hours")):
        m = HOURS_RE.match(str(h))
        if not m or int(m[1]) > 24 or int(m[3]) > 24 or int(m[2]) > 59 or int(m[4]) > 59:
            raise r.fail(f"{field}.hours[{i}]", f"expected HH:MM-HH:MM, got {h!r}")
        hours.append([(int(m[1]) % 24) * 60 + int(m[2]), (int(m[3]) % 24) * 60 + int(m[4])])
    start, end = _date(r, d.get("from"), f"{field}.from"), _date(r, d.get("until"), f"{field}.until")
    if start and end and end < start:
        raise r.fail(f"{field}.until", f"{end} is before from: {start}")
    return {"weekdays": weekdays, "hours": hours, "from": start, "until": end}


def _playlist(root: Path) -> list[dict[str, Any]]:
    r = _Reader(PLAYLIST_FILE)
    d = r.mapping(_read_yaml(root, PLAYLIST_FILE), "(top level)")
    default_s = r.number(d, "default_duration_s", "", 10.0, minimum=1)
    slides = []
    ids: set[str] = set()
    for i, item in enumerate(r.seq(d.get("slides"), "slides")):
        f = f"slides[{i}]"
        item = r.mapping(item, f)
        sid = r.text(item, "id", f) or f"slide-{i + 1}"
        if sid in ids:
            raise r.fail(f"{f}.id", f"duplicate slide id {sid!r}")
        ids.add(sid)
        image = r.text(item, "image", f) or None
        title = r.text(item, "title", f)
        if image is None and not title:
            raise r.fail(f, "a slide needs an image or a title")
        priority = item.get("priority", 0)
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise r.fail(f"{f}.priority", f"expected an integer, got {priority!r}")
        slides.append({
            "id": sid,
            "kind": "image" if image else "text",
            "duration_s": r.number(item, "duration_s", f, default_s, minimum=1),
            "priority": priority,
            "schedule": _schedule(r, item.get("schedule"), f"{f}.schedule"),
            "image": image,
            "title": title,
            **{k: r.text(item, k, f) for k in ("title_en", "body", "body_en")},
            "accent": r.text(item, "accent", f) or None,
        })
    return slides


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
    """Return the page's content: screen settings and texts, QR codes as SVG, the playlist.

    Raises:
        ContentProblem: a file is unreadable or a field invalid (the message names both).
    """
    screen = _screen(root)
    slides = _playlist(root)
    for slide in slides:
        slide["image_url"] = _image_url(root, slide["image"])
    return {**screen, "slides": slides}


class DisplayContent:
    """Serve the content as JSON with an ETag; YAML is parsed again only when a file changes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._stamp: tuple[Any, ...] | None = None
        self._body: bytes | None = None
        self._etag = ""

    def _stamps(self) -> tuple[Any, ...]:
        out: list[Any] = []
        for rel in (SCREEN_FILE, PLAYLIST_FILE):
            try:
                out.append((self.root / rel).stat().st_mtime_ns)
            except OSError:
                out.append(None)
        # Image mtimes are in the URLs: a replaced or repaired picture changes the JSON.
        try:
            out.extend(sorted((e.name, e.stat().st_mtime_ns) for e in os.scandir(self.root / "images")))
        except OSError:
            pass  # no images folder, or a file vanished while we looked: the next request looks again
        return tuple(out)

    def current(self) -> tuple[bytes, str]:
        """Return (JSON body, ETag).

        Raises:
            ContentProblem: the content on disk is invalid.
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
        except ContentProblem as exc:
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
