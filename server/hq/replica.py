"""A hall as head office sees it: the hall's journal records fed through the same pure hall.

The records arrive in the hall's order and are applied as the hall's hub applied them when it
wrote them: a snapshot is the base a new day's hall is built from (the live hall carries on,
the snapshot is its own export); a config record after it names the settings the day runs on,
and a hall on other settings is rebuilt from that snapshot under them. A replica rebuilt from
the store is built as the hall rebuilds itself from its journal: the last snapshot, the first
config record after it, then the rest. A hall that joined with a pruned journal (its first record
past seq 1) is replayed from mid-stream, so its first day is partial: its first snapshot record
then replaces the replica's hall, as the hall's own restart would build it.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from ..config import HallConfig, with_hall_settings
from ..errors import InvalidEvent
from ..hall import AckRejected, Hall
from ..web.hub import apply_record
from ..web.journal import Record
from .store import StoredRecord


__all__ = ["HallReplica"]

log = logging.getLogger(__name__)


class HallReplica:
    """One hall's live state at head office, up to ``last_seq``."""

    def __init__(self, hall_id: str, base: HallConfig) -> None:
        self.hall_id = hall_id
        self.base = base
        """Names and ids from HQ.yaml; the hall-shaping settings come from the hall's own stream."""
        self.hall = Hall(base)
        self.settings: dict[str, Any] | None = None
        self.snapshot: dict[str, Any] | None = None
        self.last_seq = 0
        self.last_seen_at: datetime | None = None
        self._applied_since_snapshot = 0
        self.partial = False
        """Built from a stream that starts past seq 1 with no snapshot yet: not yet the hall's own."""

    def rebuild(self, snapshot: dict[str, Any] | None, records: list[StoredRecord]) -> None:
        decoded = [(r.seq, _record(r)) for r in records]
        settings = next((rec.body.get("settings") for _, rec in decoded if rec.kind == "config"), None)
        self.hall = Hall(self._config_with(settings))
        self.settings, self.snapshot = settings, snapshot
        if snapshot is not None:
            self.hall.restore_snapshot(snapshot)
        self._applied_since_snapshot = 0
        self.partial = snapshot is None and bool(records) and records[0].seq > 1
        for seq, record in decoded:
            if record.kind != "config":
                self._apply(record)
            self.last_seq = seq

    def apply(self, record: StoredRecord) -> None:
        """Apply the next record of the stream (``record.seq`` is ``last_seq + 1``)."""
        decoded = _record(record)
        if decoded.kind == "snapshot":
            self.snapshot = decoded.body
            self._applied_since_snapshot = 0
            if self.partial:
                # What came before was part of a day: from here on, the hall as it rebuilds itself.
                self.hall = Hall(self._config_with(self.settings))
                self.hall.restore_snapshot(decoded.body)
                self.partial = False
        elif decoded.kind == "config":
            self._configure(decoded.body.get("settings"))
        else:
            self._apply(decoded)
        self.last_seq = record.seq

    def _configure(self, settings: Any) -> None:
        if settings == self.settings:
            return
        if self._applied_since_snapshot:
            # Only a journal written before days carried their settings has records before its first
            # config record; the hall replays that day under hall.yaml's settings, so does head office.
            log.warning("hall %s: settings arrived mid-day; they apply from its next day", self.hall_id)
            self.settings = settings
            return
        self.hall = Hall(self._config_with(settings))
        if self.snapshot is not None:
            self.hall.restore_snapshot(self.snapshot)
        self.settings = settings

    def _apply(self, record: Record) -> None:
        try:
            apply_record(self.hall, record)
        except (InvalidEvent, AckRejected, KeyError, TypeError, ValueError) as exc:
            # The hall accepted it, so the hall skips it in a replay too: log, keep going.
            log.error("hall %s: a %s record no longer applies: %s", self.hall_id, record.kind, exc)
        self.hall.alerts_to_send()
        self._applied_since_snapshot += 1

    def _config_with(self, settings: Any) -> HallConfig:
        if settings is None:
            return self.base
        try:
            return with_hall_settings(self.base, settings)
        except (KeyError, TypeError, ValueError) as exc:
            log.error("hall %s: its settings cannot be read (%s); replaying with defaults", self.hall_id, exc)
            return self.base


def _record(stored: StoredRecord) -> Record:
    body = json.loads(stored.body)
    return Record(stored.kind, body if isinstance(body, dict) else {}, stored.event_id)
