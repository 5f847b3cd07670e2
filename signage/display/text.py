"""Text rendering with the bundled CJK font, per-glyph system-font fallback and a bounded cache."""

from __future__ import annotations

import collections
import logging
from pathlib import Path

import pygame
import pygame.freetype


__all__ = ["TextRenderer", "Color"]

log = logging.getLogger(__name__)

Color = tuple[int, int, int]

REGULAR = "NotoSansSC-Regular-GB2312.otf"
BOLD = "NotoSansSC-Bold-GB2312.otf"
# Tried in order for characters outside the bundled GB2312 subset.
FALLBACK_FONTS = ("notosanscjksc", "notosanscjk", "wenquanyizenhei", "wenquanyimicrohei", "droidsansfallback", "dejavusans")
CACHE_LIMIT = 400
# Large call numbers are big surfaces (a banner's line is ~0.7 MB): bound the cache by pixels
# too (4 bytes each). A busy hour at 1920x1080 draws 3.4 new texts per state with an unbounded
# cache and 5.8 with 8 MiB, a few ms of CPU a minute; 48 MiB made a month-old screen 37 MB
# larger than a fresh one (bench/soak_bench.py, docs/benchmarks.md).
CACHE_BYTES = 8 * 2**20
"""At 1920x1080; larger screens draw larger texts and get a proportionally larger bound."""
CACHE_BYTES_PIXELS = 1920 * 1080


def cache_bytes_for(size: tuple[int, int]) -> int:
    """The text cache bound for a screen of ``size``: a frame's texts must fit, with room to spare."""
    return max(CACHE_BYTES, int(CACHE_BYTES * size[0] * size[1] / CACHE_BYTES_PIXELS))


class TextRenderer:
    """Render text to surfaces; identical requests come from an LRU cache."""

    def __init__(self, font_dir: Path, cache_bytes: int = CACHE_BYTES) -> None:
        self.cache_limit_bytes = cache_bytes
        if not pygame.freetype.get_init():
            pygame.freetype.init()
        self.faces: dict[bool, pygame.freetype.Font] = {}
        for bold, name in ((False, REGULAR), (True, BOLD)):
            path = font_dir / name
            try:
                self.faces[bold] = pygame.freetype.Font(str(path))
            except (OSError, FileNotFoundError):
                log.error("bundled font missing: %s; using a system font", path)
                self.faces[bold] = self._system_font(bold) or pygame.freetype.Font(None)
        for face in self.faces.values():
            face.antialiased = True
            face.kerning = False
            face.pad = False
        self._fallback: pygame.freetype.Font | None = None
        self._fallback_looked_up = False  # the system font is searched once, on the first missing glyph
        self._cache: collections.OrderedDict[tuple[object, ...], pygame.Surface] = collections.OrderedDict()
        self.renders = 0
        self.cache_bytes = 0

    @staticmethod
    def _system_font(bold: bool) -> pygame.freetype.Font | None:
        for name in FALLBACK_FONTS:
            path = pygame.font.match_font(name, bold=bold)
            if path:
                try:
                    return pygame.freetype.Font(path)
                except OSError:
                    continue
        return None

    def _fallback_face(self) -> pygame.freetype.Font | None:
        if not self._fallback_looked_up:
            self._fallback_looked_up = True
            self._fallback = self._system_font(False)
            if self._fallback is None:
                log.warning("no system fallback font; characters outside GB2312 show as boxes")
            else:
                self._fallback.antialiased = True
        return self._fallback

    def _runs(self, text: str, face: pygame.freetype.Font, size: int) -> list[tuple[str, pygame.freetype.Font]]:
        metrics = face.get_metrics(text, size=size)
        if all(m is not None for m in metrics):
            return [(text, face)]
        fb = self._fallback_face()
        runs: list[tuple[str, pygame.freetype.Font]] = []
        for ch, m in zip(text, metrics):
            use = face if m is not None or fb is None else fb
            if runs and runs[-1][1] is use:
                runs[-1] = (runs[-1][0] + ch, use)
            else:
                runs.append((ch, use))
        return runs

    def render(self, text: str, size: int, color: Color, *, bold: bool = False) -> pygame.Surface:
        """Return ``text`` rendered at ``size`` px on a transparent surface."""
        size = max(6, int(size))
        key = (text, size, color, bold)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        face = self.faces[bold]
        runs = self._runs(text, face, size) if text else []
        # Glyphs are drawn straight into the line box (render_to): rendering to a surface of
        # their own and alpha-blitting that into the box cost ~10 ms for a banner's call number.
        placed = [(chunk, f, f.get_rect(chunk, size=size)) for chunk, f in runs]
        asc = max([f.get_sized_ascender(size) for _c, f, _r in placed] or [face.get_sized_ascender(size)])
        desc = min([f.get_sized_descender(size) for _c, f, _r in placed] or [face.get_sized_descender(size)])
        out = pygame.Surface((sum(r.width for _c, _f, r in placed), asc - desc), pygame.SRCALPHA)
        x = 0
        for chunk, f, r in placed:
            # On the font's baseline, so that every line of a size has the same box.
            f.render_to(out, (x, asc - r.y), chunk, color, size=size)
            x += r.width
        self.renders += 1
        self._cache[key] = out
        self.cache_bytes += out.get_width() * out.get_height() * 4
        while len(self._cache) > CACHE_LIMIT or (self.cache_bytes > self.cache_limit_bytes and len(self._cache) > 1):
            _, old = self._cache.popitem(last=False)
            self.cache_bytes -= old.get_width() * old.get_height() * 4
        return out

    def width(self, text: str, size: int, *, bold: bool = False) -> int:
        """Return the width ``render`` would give ``text``, from metrics alone (no glyphs drawn)."""
        size = max(6, int(size))
        face = self.faces[bold]
        runs = self._runs(text, face, size) if text else []
        return sum(f.get_rect(chunk, size=size).width for chunk, f in runs)

    def fit(self, text: str, size: int, color: Color, max_width: int, *, bold: bool = False, min_size: int = 10) -> pygame.Surface:
        """Render ``text`` at ``size`` or smaller so that it is at most ``max_width`` wide."""
        # Sizes are tried on metrics and only the chosen one is drawn: a banner's line that does
        # not fit at first would otherwise be drawn two or three times, each a cache entry.
        width = self.width(text, size, bold=bold)
        if width > max_width and size > min_size:
            size = max(min_size, int(size * max_width / width))
            while self.width(text, size, bold=bold) > max_width and size > min_size:
                size -= 1
        return self.render(text, size, color, bold=bold)

    @property
    def cache_size(self) -> int:
        """Number of rendered texts held."""
        return len(self._cache)


def _top(face: pygame.freetype.Font, text: str, size: int) -> int:
    """Return how far above the baseline the rendered surface of ``text`` starts."""
    return face.get_rect(text, size=size).y
