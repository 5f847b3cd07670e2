"""A durable, ordered spool of events the WaitWell server has not taken yet."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


__all__ = ["Spool"]


class Spool:
    """Events as JSON lines in one file; each append is fsynced before the source is answered.

    A crash between a resend and :meth:`drop` resends those events again: harmless, since
    every event's id is deterministic and the server acks a second copy as a duplicate.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._count = len(self.pending())

    def __len__(self) -> int:
        return self._count

    def append(self, events: list[dict[str, Any]]) -> None:
        with self.path.open("a", encoding="utf-8") as f:
            for event in events:
                f.write(json.dumps(event, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self._count += len(events)

    def pending(self) -> list[dict[str, Any]]:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            try:
                out.append(json.loads(line))
            except ValueError:
                # A line cut short by a power loss mid-append was never acknowledged to the source.
                continue
        return out

    def drop(self, n: int) -> None:
        """Forget the first ``n`` events (delivered), atomically."""
        rest = self.pending()[n:]
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            for event in rest:
                f.write(json.dumps(event, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        self._count = len(rest)
