"""A small durable JSON file beside the spool: what an adapter must remember across a restart."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


__all__ = ["StateFile"]


class StateFile:
    """One JSON object, replaced atomically (write, fsync, rename) on each save.

    Unreadable or cut short (a power loss before the rename cannot cut it, a hand edit can):
    read as empty, which loses only what the adapter would have lost without the file.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)

    def load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def save(self, data: dict[str, Any]) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    @staticmethod
    def beside(spool: Path, what: str) -> "StateFile":
        """The file ``<spool>.<what>.json``: one adapter's spool and memory travel together."""
        return StateFile(spool.with_name(f"{spool.name}.{what}.json"))
