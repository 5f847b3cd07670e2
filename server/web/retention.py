"""How long the hall keeps its journal: ``keep_days`` (default 90), and never what head office lacks.

A busy hall journals about 4,000 records a day and, without this, keeps them forever. Old records
are pruned once an hour (and at start); the records a restart needs (the last snapshot on) and,
with head office, those it has not acknowledged stay, whatever their age. Restart time and the
learned history do not depend on old records (snapshots carry them).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path

from .journal import prune


__all__ = ["DEFAULT_KEEP_DAYS", "run_retention"]

log = logging.getLogger(__name__)

DEFAULT_KEEP_DAYS = 90
EVERY_S = 3600.0


async def run_retention(journal_path: Path, keep_days: float, acknowledged: Callable[[], int] | None, *,
                        every_s: float = EVERY_S) -> None:
    """Prune now and every ``every_s``; ``acknowledged`` is head office's seq (None: no head office)."""
    while True:
        older_than = time.time() - keep_days * 86400
        keep_from = acknowledged() + 1 if acknowledged is not None else None
        try:
            deleted = await asyncio.to_thread(prune, journal_path, older_than, keep_from)
        except Exception:  # noqa: BLE001 - a prune that fails now is tried again in an hour
            log.exception("journal retention failed")
        else:
            if deleted:
                log.info("journal retention: %d records older than %g days deleted", deleted, keep_days)
        await asyncio.sleep(every_s)
