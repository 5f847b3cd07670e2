"""The content directory on disk: its YAML files read into :mod:`signage.content`'s model; reload by mtime.

Errors name the file relative to the content directory (``signage/screen.yaml``), as the
server's ``GET /api/display/content`` reports them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import yaml

from signage.content import SCREEN_FILE, Content, ScreenConfig, parse_screen
from signage.errors import ContentError
from signage.playlist import PLAYLIST_FILE, Playlist, parse_playlist


__all__ = ["read_yaml", "load_screen", "load_playlist", "load_content", "file_stamps", "ContentWatcher",
           "CONTENT_FILES"]

log = logging.getLogger(__name__)

CONTENT_FILES = (SCREEN_FILE, PLAYLIST_FILE)


def read_yaml(root: Path, rel: str) -> Any:
    """Return the decoded YAML of ``root / rel``; None when the file is absent (the defaults).

    Raises:
        ContentError: the file cannot be read, is not UTF-8 or not YAML.
    """
    try:
        text = (root / rel).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(rel, "-", f"cannot read: {exc}") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "-"
        raise ContentError(rel, where, f"invalid YAML: {getattr(exc, 'problem', None) or exc}") from exc


def load_screen(root: Path) -> ScreenConfig:
    """Load content/signage/screen.yaml (the defaults when the file is absent).

    Raises:
        ContentError: a field is invalid; the message names the file and field.
    """
    return parse_screen(read_yaml(root, SCREEN_FILE))


def load_playlist(root: Path) -> Playlist:
    """Load content/signage/playlist.yaml (an empty playlist when absent).

    Raises:
        ContentError: a field is invalid; the message names the file and field.
    """
    return parse_playlist(read_yaml(root, PLAYLIST_FILE))


def load_content(root: Path) -> Content:
    """Load the whole content directory.

    Raises:
        ContentError: some file is invalid.
    """
    return Content(root, load_screen(root), load_playlist(root))


def file_stamps(root: Path, files: tuple[str, ...] = CONTENT_FILES) -> tuple[int | None, ...]:
    """Return the mtimes (ns) of ``files`` under ``root``, None for a file that is absent."""
    out: list[int | None] = []
    for rel in files:
        try:
            out.append((root / rel).stat().st_mtime_ns)
        except OSError:
            out.append(None)
    return tuple(out)


class ContentWatcher:
    """Reload content when a file's mtime changes; keep the last good content on errors."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._stamp = file_stamps(root)
        self.content = load_content(root)
        self.last_error: ContentError | None = None

    def poll(self) -> bool:
        """Reload if any file changed since the last poll; return True if content changed."""
        stamp = file_stamps(self.root)
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        try:
            content = load_content(self.root)
        except ContentError as exc:
            if str(exc) != str(self.last_error):
                log.error("content in %s not reloaded, keeping the previous version: %s", self.root, exc)
            self.last_error = exc
            return False
        self.last_error = None
        log.info("content reloaded from %s", self.root)
        self.content = content
        return True
