"""Head office's halls: a batch of a hall's journal records in, stored once and in order, replayed live.

What a batch must be (else :class:`BadBatch`, nothing stored): records with consecutive seqs from
1 up, each a known kind with an object body. What it must fit (else :class:`Refused`, 409, nothing
stored): its first seq at most one past the last stored (no gap), and every seq already stored
holding the same record (a hall restored from an old backup writes new records under old seqs).
One gap is taken: a batch marked ``start`` to a head office that holds nothing for the hall (a
hall that pruned its journal before it joined sends from its oldest kept record).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..config import HallConfig
from ..hall import Hall
from ..wire import hall_state
from .replica import HallReplica
from .settings import HQSettings
from .store import Store, StoredRecord, canonical


__all__ = ["Chain", "BadBatch", "Refused", "parse_batch", "parse_start", "link_of", "KINDS"]

log = logging.getLogger(__name__)

KINDS = frozenset({"event", "ack", "tick", "snapshot", "config"})

ONLINE_S = 60.0
"""A hall heard from this recently is online (its forwarder calls at least every 20 s)."""
LATE_S = 300.0
"""... up to this long ago it is late; after that, offline."""

OVER_S = 15 * 60


class BadBatch(Exception):
    """Not a batch of journal records (400)."""


@dataclass
class Refused(Exception):
    """A batch that does not continue what is stored (409)."""

    code: str
    message: str
    stored_seq: int
    sent_seq: int


def parse_batch(data: Any) -> list[StoredRecord]:
    if not isinstance(data, dict) or not isinstance(data.get("records"), list):
        raise BadBatch("the body must be an object with a 'records' list")
    out: list[StoredRecord] = []
    for n, item in enumerate(data["records"]):
        if not isinstance(item, dict):
            raise BadBatch(f"records[{n}] is not an object")
        seq, kind, body, event_id = item.get("seq"), item.get("kind"), item.get("body"), item.get("event_id")
        if type(seq) is not int or seq < 1:
            raise BadBatch(f"records[{n}].seq must be a positive integer")
        if out and seq != out[-1].seq + 1:
            raise BadBatch(f"records[{n}].seq is {seq}, expected {out[-1].seq + 1}: seqs go up by one")
        if kind not in KINDS:
            raise BadBatch(f"records[{n}].kind must be one of {', '.join(sorted(KINDS))}")
        if not isinstance(body, dict):
            raise BadBatch(f"records[{n}].body must be an object")
        if event_id is not None and not isinstance(event_id, str):
            raise BadBatch(f"records[{n}].event_id must be a string or null")
        written_at = item.get("written_at")
        if written_at is not None and type(written_at) not in (int, float):
            raise BadBatch(f"records[{n}].written_at must be a number")
        out.append(StoredRecord(seq, kind, event_id, canonical(body),
                                float(written_at) if written_at is not None else None))
    return out


def parse_start(data: Any) -> bool:
    """The batch's ``start`` mark: the hall's journal holds nothing before its first record (pruned)."""
    start = data.get("start", False) if isinstance(data, dict) else False
    if not isinstance(start, bool):
        raise BadBatch("'start' must be true or false")
    return start


def link_of(last_seen: datetime | None, now: datetime) -> str:
    if last_seen is None:
        return "offline"
    age = (now - last_seen).total_seconds()
    return "online" if age <= ONLINE_S else "late" if age <= LATE_S else "offline"


class Chain:
    """Every hall head office has heard of: the store behind, a replica of each in memory."""

    def __init__(self, store: Store, settings: HQSettings) -> None:
        self.store = store
        self.settings = settings
        self._replicas: dict[str, HallReplica] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def _lock(self, hall_id: str) -> asyncio.Lock:
        return self._locks.setdefault(hall_id, asyncio.Lock())

    def _base(self, hall_id: str) -> HallConfig:
        entry = self.settings.halls.get(hall_id)
        return HallConfig(id=hall_id, name=(entry and entry.name) or hall_id,
                          name_en=(entry and entry.name_en) or hall_id)

    async def start(self) -> None:
        """Rebuild every stored hall (as each hall rebuilds itself from its journal)."""
        for hall_id, _ in await self.store.halls():
            async with self._lock(hall_id):
                await self._replica(hall_id)

    async def _replica(self, hall_id: str) -> HallReplica:
        replica = self._replicas.get(hall_id)
        if replica is None:
            replica = HallReplica(hall_id, self._base(hall_id))
            snapshot, records = await self.store.load(hall_id)
            replica.rebuild(snapshot, records)
            replica.last_seq = max(replica.last_seq, await self.store.last_seq(hall_id))
            self._replicas[hall_id] = replica
        return replica

    async def receive(self, hall_id: str, records: list[StoredRecord], now: datetime, *,
                      start: bool = False) -> tuple[int, int]:
        """Store and replay a batch; return the highest seq stored for the hall and how many were new.

        ``start``: the hall has nothing before the batch; taken past seq 1 only while nothing is stored.
        """
        async with self._lock(hall_id):
            replica = await self._replica(hall_id)
            stored = await self.store.last_seq(hall_id)
            replica.last_seen_at = now
            if not records:
                return stored, 0
            first = records[0].seq
            joining = start and stored == 0 and first > 1
            if first > stored + 1 and not joining:
                raise Refused("gap", f"head office holds this hall's records up to seq {stored}; the batch "
                              f"starts at {first}: send from {stored + 1}", stored, first)
            old = [r for r in records if r.seq <= stored]
            if old:
                held = await self.store.bodies(hall_id, old[0].seq, old[-1].seq)
                for record in old:
                    have = held.get(record.seq)
                    if have is None or (have.kind, have.event_id, have.body) != (
                            record.kind, record.event_id, record.body):
                        raise Refused("conflict", f"seq {record.seq} is stored with other content: the hall's "
                                      "journal is not the one head office has (restored from a backup?)",
                                      stored, record.seq)
            new = [r for r in records if r.seq > stored]
            if new:
                await self.store.insert(hall_id, new)
                if joining:
                    log.info("hall %s joins from seq %d (it holds nothing before)", hall_id, first)
                    replica.partial = replica.last_seq == 0
                if replica.last_seq != stored:  # another process wrote the store: read it again
                    del self._replicas[hall_id]
                    replica = await self._replica(hall_id)
                    replica.last_seen_at = now
                else:
                    try:
                        for record in new:
                            replica.apply(record)
                    except Exception:  # noqa: BLE001 - a bug costs the replica, rebuilt from the store, not the batch
                        log.exception("hall %s: replaying a record failed; rebuilding from the store", hall_id)
                        del self._replicas[hall_id]
            return max(stored, new[-1].seq if new else stored), len(new)

    async def replica(self, hall_id: str) -> HallReplica | None:
        if hall_id not in self._replicas and hall_id not in self.settings.halls:
            if hall_id not in {h for h, _ in await self.store.halls()}:
                return None
        async with self._lock(hall_id):
            return await self._replica(hall_id)

    def known(self) -> list[str]:
        return sorted(set(self._replicas) | set(self.settings.halls))

    def state(self, replica: HallReplica, now: datetime) -> dict[str, Any]:
        """The hall's own ``GET /api/state`` document, as of its last record head office holds."""
        doc = hall_state(replica.hall)
        doc["journal_seq"] = replica.last_seq
        doc["hq"] = {"acknowledged_seq": replica.last_seq, "link": link_of(replica.last_seen_at, now),
                     "since": replica.last_seen_at.isoformat() if replica.last_seen_at else None}
        return doc

    def summary(self, hall_id: str, replica: HallReplica | None, now: datetime) -> dict[str, Any]:
        entry = self.settings.halls.get(hall_id)
        out: dict[str, Any] = {"hall_id": hall_id, "name": entry.name if entry else None,
                               "name_en": entry.name_en if entry else None, "region": entry.region if entry else None}
        if replica is None:
            return out | {"waiting_total": None, "longest_wait_s": None, "open_windows": None,
                          "alerts": {"care_15": 0, "care_30": 0, "open_windows": 0}, "share_over_15_today": None,
                          "last_seq": 0, "last_seen_at": None, "link": "offline"}
        hall = replica.hall
        hall_now = hall.now
        longest = max((int((hall_now - t.waiting_since).total_seconds()) for t in hall.waiting.values()
                       if hall_now and t.waiting_since), default=0)
        alerts = {"care_15": 0, "care_30": 0, "open_windows": 0}
        for alert in hall.active_alerts():
            if str(alert.kind) in alerts:
                alerts[str(alert.kind)] += 1
        waits = [t.first_wait_s for t in hall.tickets.values() if t.first_wait_s is not None]
        return out | {
            "waiting_total": len(hall.waiting), "longest_wait_s": longest,
            "open_windows": hall.open_window_count(), "alerts": alerts,
            "share_over_15_today": round(sum(1 for w in waits if w >= OVER_S) / len(waits), 4) if waits else None,
            "last_seq": replica.last_seq,
            "last_seen_at": replica.last_seen_at.isoformat() if replica.last_seen_at else None,
            "link": link_of(replica.last_seen_at, now),
        }

    async def day(self, hall_id: str, day: date) -> Hall | None:
        """The hall as ``day`` left it (today: as it stands), or None when head office holds no such day."""
        replica = await self.replica(hall_id)
        if replica is None:
            return None
        if replica.hall.day == day:
            return replica.hall
        ends = await self.store.day_ends(hall_id)
        closing = [i for i, (_, closed) in enumerate(ends) if closed == day.isoformat()]
        if not closing:
            return None
        i = closing[-1]  # a day reset (hall.reset) closes twice: the last part is the day as it ended
        snapshot, records = await self.store.segment(hall_id, ends[i - 1][0] if i else 0, ends[i][0])
        past = HallReplica(hall_id, self._base(hall_id))
        past.rebuild(snapshot, records)
        return past.hall

    def latest_day(self) -> date | None:
        days = [r.hall.day for r in self._replicas.values() if r.hall.day is not None]
        return max(days) if days else None

    async def nearby(self, hall_id: str, now: datetime) -> list[dict[str, Any]]:
        """The halls HQ.yaml names near ``hall_id``, each as /api/halls has it, with its distance and its
        expected wait per service."""
        entry = self.settings.halls.get(hall_id)
        out = []
        for other in entry.nearby if entry else ():
            replica = await self.replica(other)
            row = self.summary(other, replica, now)
            services = []
            if replica is not None:
                hall = replica.hall
                for service_id in hall.service_ids():
                    estimate = hall.newcomer_estimate(service_id)
                    service = hall.config.service(service_id)
                    services.append({"id": service_id, "name": service.name if service else service_id,
                                     "name_en": service.name_en if service else service_id,
                                     "expected_wait_s": estimate.expected_s if estimate else None})
            row["at"] = replica.hall.now.isoformat() if replica is not None and replica.hall.now else None
            row["distance"] = entry.distances.get(other) if entry else None
            row["services"] = services
            out.append(row)
        return out

    async def summaries(self, now: datetime) -> list[dict[str, Any]]:
        """Every hall of HQ.yaml or of the store (each stored hall has a replica since start)."""
        stored = {h for h, _ in await self.store.halls()}
        out = []
        for hall_id in sorted(set(self.known()) | stored):
            replica = await self.replica(hall_id) if hall_id in stored else self._replicas.get(hall_id)
            out.append(self.summary(hall_id, replica, now))
        return out
