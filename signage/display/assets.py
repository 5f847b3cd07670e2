"""Promotion images (loaded ahead, broken files skipped with one log line) and QR surfaces."""

from __future__ import annotations

import collections
import logging
from pathlib import Path

import pygame
import segno


__all__ = ["ImageCache", "qr_surface"]

log = logging.getLogger(__name__)


class ImageCache:
    """Load and scale promotion images; remember files that failed so they are skipped.

    A failed file is retried when its mtime changes, so fixing it on disk
    brings the slide back without a restart.
    """

    def __init__(self, root: Path, limit: int = 6) -> None:
        self.root = root
        self.limit = limit
        self._scaled: collections.OrderedDict[tuple[str, int, int, int], pygame.Surface] = collections.OrderedDict()
        self._bad: dict[str, int | None] = {}  # path -> mtime_ns at failure

    def _mtime(self, path: Path) -> int | None:
        try:
            return path.stat().st_mtime_ns
        except OSError:
            return None

    def is_bad(self, rel: str) -> bool:
        """Return whether ``rel`` failed to load and has not changed since."""
        if rel not in self._bad:
            return False
        if self._mtime(self.root / rel) != self._bad[rel]:
            del self._bad[rel]
            return False
        return True

    @property
    def bad(self) -> set[str]:
        """Paths currently known to be unusable."""
        return {p for p in list(self._bad) if self.is_bad(p)}

    def get(self, rel: str, size: tuple[int, int]) -> pygame.Surface | None:
        """Return the image scaled to fit ``size`` (aspect kept), or None if it cannot be loaded."""
        path = self.root / rel
        mtime = self._mtime(path)
        key = (rel, mtime or 0, size[0], size[1])
        hit = self._scaled.get(key)
        if hit is not None:
            self._scaled.move_to_end(key)
            return hit
        if self.is_bad(rel):
            return None
        try:
            raw = pygame.image.load(str(path))
        except (pygame.error, OSError, ValueError) as exc:
            self._bad[rel] = mtime
            log.warning("promo image skipped: %s (%s)", path, exc)
            return None
        w, h = raw.get_size()
        if w == 0 or h == 0:
            self._bad[rel] = mtime
            log.warning("promo image skipped: %s (empty)", path)
            return None
        scale = min(size[0] / w, size[1] / h)
        surf = pygame.transform.smoothscale(raw.convert_alpha() if pygame.display.get_surface() else raw, (max(1, round(w * scale)), max(1, round(h * scale))))
        self._scaled[key] = surf
        while len(self._scaled) > self.limit:
            self._scaled.popitem(last=False)
        return surf

    @property
    def size(self) -> int:
        """Number of scaled images held."""
        return len(self._scaled)


def qr_surface(url: str, size: int, dark: tuple[int, int, int] = (10, 20, 34), light: tuple[int, int, int] = (255, 255, 255)) -> pygame.Surface:
    """Return a square QR code of ``url`` at most ``size`` px wide, with a quiet zone."""
    qr = segno.make(url, error="m", micro=False)
    matrix = qr.matrix
    border = 2
    n = len(matrix) + 2 * border
    module = max(1, size // n)
    side = module * n
    surf = pygame.Surface((side, side))
    surf.fill(light)
    for y, row in enumerate(matrix):
        for x, bit in enumerate(row):
            if bit:
                surf.fill(dark, ((x + border) * module, (y + border) * module, module, module))
    return surf
