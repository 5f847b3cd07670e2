"""Access tokens: from the command line, the environment, the config, or made at first start."""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from ..config import HallConfig


__all__ = ["Tokens", "resolve_tokens", "request_token", "token_matches"]

TOKENS_FILE = "tokens.json"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Tokens:
    queue: str
    staff: str
    display: str | None
    generated: tuple[str, ...] = ()
    """Which tokens were made by this server (and kept in the data dir)."""


def resolve_tokens(config: HallConfig, data_dir: Path, *, queue: str | None = None,
                   staff: str | None = None) -> Tokens:
    """Pick each token: command line, then environment, then config, then the data dir.

    A token found nowhere is generated once and kept in ``data_dir/tokens.json`` so
    that tablets and the queue system keep working across restarts.
    """
    stored_path = data_dir / TOKENS_FILE
    stored: dict[str, str] = {}
    if stored_path.exists():
        stored = json.loads(stored_path.read_text(encoding="utf-8"))
        if stored_path.stat().st_mode & 0o077:  # copied or restored with the wrong mode
            log.warning("%s was readable by other users: made private (0600)", stored_path)
            os.chmod(stored_path, 0o600)
    chosen: dict[str, str] = {}
    generated = []
    for name, cli, env, configured in (
        ("queue", queue, "WAITWELL_QUEUE_TOKEN", config.queue_token),
        ("staff", staff, "WAITWELL_STAFF_TOKEN", config.staff_token),
    ):
        value = cli or os.environ.get(env) or configured or stored.get(name)
        if not value:
            value = secrets.token_urlsafe(18)
            stored[name] = value
            generated.append(name)
        chosen[name] = value
    if generated:
        write_private(stored_path, json.dumps(stored, indent=2).encode())
    display = os.environ.get("WAITWELL_DISPLAY_TOKEN") or config.display_token
    return Tokens(queue=chosen["queue"], staff=chosen["staff"], display=display, generated=tuple(generated))


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` readable by its owner only (0600), whole or not at all.

    Created 0600: never readable by others, not even between a write and a chmod; its folder
    is made if missing. Every secret the server or head office keeps on disk goes through here.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a leftover .tmp keeps its old mode through O_CREAT
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, path)


def request_token(request: web.Request) -> str | None:
    """Return the bearer token of a request: ``Authorization`` header or ``?token=``."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.query.get("token")


def token_matches(given: str | None, expected: str | None) -> bool:
    if expected is None:
        return True
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())
