"""Lobby-screen content from YAML: validation with errors naming file and field; reload by mtime."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping
from datetime import date, time
from pathlib import Path
from typing import Any

import yaml

from signage.errors import ContentError
from signage.playlist import Playlist, Schedule, Slide


__all__ = [
    "QrCode",
    "Tip",
    "NearbyBranch",
    "ScreenConfig",
    "Content",
    "load_screen",
    "load_playlist",
    "load_content",
    "ContentWatcher",
    "SCREEN_FILE",
    "PLAYLIST_FILE",
]

log = logging.getLogger(__name__)

SCREEN_FILE = "signage/screen.yaml"
PLAYLIST_FILE = "signage/playlist.yaml"
WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
HOURS_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class QrCode:
    """A QR code generated at runtime from ``url``, with a caption."""

    url: str
    caption: str
    caption_en: str = ""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Tip:
    """A bilingual ticker line."""

    zh: str
    en: str = ""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class NearbyBranch:
    """A nearby hall suggested while this one is very busy."""

    name: str
    name_en: str = ""
    address: str = ""
    address_en: str = ""
    distance: str = ""
    phone: str = ""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ScreenConfig:
    """Settings and texts of the lobby screen (content/signage/screen.yaml)."""

    banner_seconds: float = 8.0
    chime: bool = True
    history: int = 6
    ticker_page_seconds: float = 8.0
    qr: tuple[QrCode, ...] = ()
    tips: tuple[Tip, ...] = ()
    self_service: tuple[Tip, ...] = ()
    nearby: tuple[NearbyBranch, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class Content:
    """Everything loaded from the content directory."""

    root: Path
    screen: ScreenConfig
    playlist: Playlist


class _Reader:
    """Typed access to a YAML mapping that reports errors by file and dotted field."""

    def __init__(self, file: str) -> None:
        self.file = file

    def error(self, field: str, message: str) -> ContentError:
        return ContentError(self.file, field, message)

    def mapping(self, value: Any, field: str) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.error(field, f"expected a mapping, got {type(value).__name__}")
        return value

    def seq(self, value: Any, field: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(field, f"expected a list, got {type(value).__name__}")
        return value

    def text(self, d: Mapping[str, Any], key: str, field: str, *, required: bool = False) -> str:
        value = d.get(key)
        if value is None:
            if required:
                raise self.error(f"{field}.{key}" if field else key, "is required")
            return ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise self.error(f"{field}.{key}" if field else key, f"expected text, got {value!r}")
        return str(value)

    def number(self, d: Mapping[str, Any], key: str, field: str, default: float, *, minimum: float) -> float:
        value = d.get(key, default)
        name = f"{field}.{key}" if field else key
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(name, f"expected a number, got {value!r}")
        if value < minimum:
            raise self.error(name, f"must be at least {minimum}, got {value!r}")
        return float(value)

    def flag(self, d: Mapping[str, Any], key: str, default: bool) -> bool:
        value = d.get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"expected true or false, got {value!r}")
        return value


def _read_yaml(root: Path, rel: str) -> Any:
    path = root / rel
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ContentError(str(path), "-", f"cannot read: {exc}") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "-"
        raise ContentError(str(path), where, f"invalid YAML: {getattr(exc, 'problem', exc)}") from exc


def load_screen(root: Path) -> ScreenConfig:
    """Load content/signage/screen.yaml (defaults when the file is absent).

    Raises:
        ContentError: a field is invalid; the message names the file and field.
    """
    r = _Reader(str(root / SCREEN_FILE))
    d = r.mapping(_read_yaml(root, SCREEN_FILE), "(top level)")
    qr = []
    for i, item in enumerate(r.seq(d.get("qr"), "qr")):
        f = f"qr[{i}]"
        item = r.mapping(item, f)
        url = r.text(item, "url", f, required=True)
        if not re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I):
            raise r.error(f"{f}.url", f"not a URL: {url!r}")
        qr.append(QrCode(url=url, caption=r.text(item, "caption", f, required=True), caption_en=r.text(item, "caption_en", f)))

    def tips(key: str) -> tuple[Tip, ...]:
        out = []
        for i, item in enumerate(r.seq(d.get(key) if "." not in key else busy.get(key.split(".")[1]), key)):
            f = f"{key}[{i}]"
            if isinstance(item, str):
                out.append(Tip(zh=item))
                continue
            item = r.mapping(item, f)
            out.append(Tip(zh=r.text(item, "zh", f, required=True), en=r.text(item, "en", f)))
        return tuple(out)

    busy = r.mapping(d.get("busy"), "busy")
    nearby = []
    for i, item in enumerate(r.seq(busy.get("nearby"), "busy.nearby")):
        f = f"busy.nearby[{i}]"
        item = r.mapping(item, f)
        nearby.append(
            NearbyBranch(
                name=r.text(item, "name", f, required=True),
                name_en=r.text(item, "name_en", f),
                address=r.text(item, "address", f),
                address_en=r.text(item, "address_en", f),
                distance=r.text(item, "distance", f),
                phone=r.text(item, "phone", f),
            )
        )
    return ScreenConfig(
        banner_seconds=r.number(d, "banner_seconds", "", 8.0, minimum=1),
        chime=r.flag(d, "chime", True),
        history=int(r.number(d, "history", "", 6, minimum=0)),
        ticker_page_seconds=r.number(d, "ticker_page_seconds", "", 8.0, minimum=1),
        qr=tuple(qr),
        tips=tips("tips"),
        self_service=tips("busy.self_service"),
        nearby=tuple(nearby),
    )


def _parse_date(r: _Reader, value: Any, field: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise r.error(field, f"expected a date YYYY-MM-DD, got {value!r}") from None


def _parse_schedule(r: _Reader, value: Any, field: str) -> Schedule:
    d = r.mapping(value, field)
    unknown = set(d) - {"weekdays", "hours", "from", "until"}
    if unknown:
        raise r.error(f"{field}.{sorted(unknown)[0]}", "unknown schedule field (use weekdays, hours, from, until)")
    weekdays = None
    if d.get("weekdays") is not None:
        days = set()
        for i, w in enumerate(r.seq(d["weekdays"], f"{field}.weekdays")):
            key = str(w).strip().lower()[:3]
            if key not in WEEKDAYS:
                raise r.error(f"{field}.weekdays[{i}]", f"not a weekday: {w!r} (use mon … sun)")
            days.add(WEEKDAYS[key])
        weekdays = frozenset(days)
    hours = []
    raw_hours = d.get("hours")
    for i, h in enumerate([raw_hours] if isinstance(raw_hours, str) else r.seq(raw_hours, f"{field}.hours")):
        m = HOURS_RE.match(str(h))
        if not m or int(m[1]) > 24 or int(m[3]) > 24 or int(m[2]) > 59 or int(m[4]) > 59:
            raise r.error(f"{field}.hours[{i}]", f"expected HH:MM-HH:MM, got {h!r}")
        start = time(int(m[1]) % 24, int(m[2]))
        end = time(int(m[3]) % 24, int(m[4]))
        # "00:00-24:00" gives start == end: an overnight window that covers the whole day.
        hours.append((start, end))
    start_d = _parse_date(r, d.get("from"), f"{field}.from")
    end_d = _parse_date(r, d.get("until"), f"{field}.until")
    if start_d and end_d and end_d < start_d:
        raise r.error(f"{field}.until", f"{end_d} is before from: {start_d}")
    return Schedule(weekdays=weekdays, hours=tuple(hours), start=start_d, end=end_d)


def load_playlist(root: Path) -> Playlist:
    """Load content/signage/playlist.yaml (an empty playlist when absent).

    Image paths are relative to the content directory; whether they exist is
    checked by the screen when it loads them, so a missing file skips one slide.

    Raises:
        ContentError: a field is invalid; the message names the file and field.
    """
    r = _Reader(str(root / PLAYLIST_FILE))
    d = r.mapping(_read_yaml(root, PLAYLIST_FILE), "(top level)")
    default_s = r.number(d, "default_duration_s", "", 10.0, minimum=1)
    slides = []
    ids: set[str] = set()
    for i, item in enumerate(r.seq(d.get("slides"), "slides")):
        f = f"slides[{i}]"
        item = r.mapping(item, f)
        sid = r.text(item, "id", f) or f"slide-{i + 1}"
        if sid in ids:
            raise r.error(f"{f}.id", f"duplicate slide id {sid!r}")
        ids.add(sid)
        image = r.text(item, "image", f) or None
        title = r.text(item, "title", f)
        if image is None and not title:
            raise r.error(f, "a slide needs an image or a title")
        priority = item.get("priority", 0)
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise r.error(f"{f}.priority", f"expected an integer, got {priority!r}")
        slides.append(
            Slide(
                id=sid,
                kind="image" if image else "text",
                duration_s=r.number(item, "duration_s", f, default_s, minimum=1),
                priority=priority,
                schedule=_parse_schedule(r, item.get("schedule"), f"{f}.schedule"),
                image=image,
                title=title,
                title_en=r.text(item, "title_en", f),
                body=r.text(item, "body", f),
                body_en=r.text(item, "body_en", f),
                accent=r.text(item, "accent", f) or None,
            )
        )
    return Playlist(slides)


def load_content(root: Path) -> Content:
    """Load the whole content directory.

    Raises:
        ContentError: some file is invalid.
    """
    return Content(root, load_screen(root), load_playlist(root))


class ContentWatcher:
    """Reload content when a file's mtime changes; keep the last good content on errors."""

    FILES = (SCREEN_FILE, PLAYLIST_FILE)

    def __init__(self, root: Path) -> None:
        self.root = root
        self._stamp = self._stamps()
        self.content = load_content(root)
        self.last_error: ContentError | None = None

    def _stamps(self) -> tuple[float | None, ...]:
        out: list[float | None] = []
        for rel in self.FILES:
            try:
                out.append((self.root / rel).stat().st_mtime_ns)
            except OSError:
                out.append(None)
        return tuple(out)

    def poll(self) -> bool:
        """Reload if any file changed since the last poll; return True if content changed."""
        stamp = self._stamps()
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        try:
            content = load_content(self.root)
        except ContentError as exc:
            if str(exc) != str(self.last_error):
                log.error("content not reloaded, keeping the previous version: %s", exc)
            self.last_error = exc
            return False
        self.last_error = None
        log.info("content reloaded from %s", self.root)
        self.content = content
        return True
