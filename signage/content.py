"""The lobby screen's content: settings, QR codes, tips and nearby halls, read and checked (pure).

The same rules serve the pygame screen and the browser screen (`/display`): the server reads
the content directory with :mod:`signage.content_files` and sends this model as JSON.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any, TypedDict

from signage.fields import FieldReader
from signage.playlist import Playlist


__all__ = ["QrCode", "Tip", "NearbyBranch", "ScreenConfig", "Content", "parse_screen", "SCREEN_FILE"]

SCREEN_FILE = "signage/screen.yaml"
"""Where the screen's settings and texts are, relative to the content directory."""

URL_RE = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


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
    """Everything read from the content directory ``root``."""

    root: Path
    screen: ScreenConfig
    playlist: Playlist


def _qr(r: FieldReader, item: Any, field: str) -> QrCode:
    d = r.mapping(item, field)
    url = r.text(d, "url", field, required=True)
    if not URL_RE.match(url):
        raise r.error(f"{field}.url", f"not a URL: {url!r}")
    return QrCode(url=url, caption=r.text(d, "caption", field, required=True), caption_en=r.text(d, "caption_en", field))


def _tips(r: FieldReader, items: Any, field: str) -> tuple[Tip, ...]:
    out = []
    for i, item in enumerate(r.seq(items, field)):
        if isinstance(item, str):  # a bare line is Chinese only
            out.append(Tip(zh=item))
            continue
        d = r.mapping(item, f"{field}[{i}]")
        out.append(Tip(zh=r.text(d, "zh", f"{field}[{i}]", required=True), en=r.text(d, "en", f"{field}[{i}]")))
    return tuple(out)


def _nearby(r: FieldReader, item: Any, field: str) -> NearbyBranch:
    d = r.mapping(item, field)
    return NearbyBranch(
        name=r.text(d, "name", field, required=True),
        name_en=r.text(d, "name_en", field),
        address=r.text(d, "address", field),
        address_en=r.text(d, "address_en", field),
        distance=r.text(d, "distance", field),
        phone=r.text(d, "phone", field),
    )


class _Busy(TypedDict):
    self_service: tuple[Tip, ...]
    nearby: tuple[NearbyBranch, ...]


def _busy(r: FieldReader, value: Any) -> _Busy:
    busy = r.mapping(value, "busy")
    self_service = _tips(r, busy.get("self_service"), "busy.self_service")
    nearby = r.seq(busy.get("nearby"), "busy.nearby")
    return {"self_service": self_service,
            "nearby": tuple(_nearby(r, item, f"busy.nearby[{i}]") for i, item in enumerate(nearby))}


def parse_screen(data: Any, file: str = SCREEN_FILE) -> ScreenConfig:
    """Return the settings in decoded screen.yaml ``data`` (None, an empty file: the defaults).

    Raises:
        ContentError: a field is invalid; the message names ``file`` and the field.
    """
    r = FieldReader(file)
    d = r.mapping(data, "(top level)")
    # Keyword arguments are evaluated in order, the sample file's: the first error reported is the topmost.
    return ScreenConfig(
        banner_seconds=r.number(d, "banner_seconds", "", 8.0, minimum=1),
        chime=r.flag(d, "chime", "", True),
        history=int(r.number(d, "history", "", 6, minimum=0)),
        ticker_page_seconds=r.number(d, "ticker_page_seconds", "", 8.0, minimum=1),
        qr=tuple(_qr(r, item, f"qr[{i}]") for i, item in enumerate(r.seq(d.get("qr"), "qr"))),
        tips=_tips(r, d.get("tips"), "tips"),
        **_busy(r, d.get("busy")),
    )
