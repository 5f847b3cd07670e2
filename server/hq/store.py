"""Head office's PostgreSQL: every hall's journal records, ``(hall_id, seq)`` unique.

A record's body is kept as the canonical JSON text the hall's record compares by (sorted keys,
ASCII only: a lone surrogate or a NUL escaped in an event id cannot fail the insert).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg


__all__ = ["Store", "StoredRecord", "canonical"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS hall_records (
    hall_id text NOT NULL,
    seq bigint NOT NULL,
    kind text NOT NULL,
    event_id text,
    body text NOT NULL,
    written_at double precision,
    stored_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (hall_id, seq)
);
CREATE INDEX IF NOT EXISTS hall_records_snapshots ON hall_records (hall_id, seq) WHERE kind = 'snapshot';
"""


def canonical(body: Any) -> str:
    return json.dumps(body, sort_keys=True, ensure_ascii=True, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class StoredRecord:
    seq: int
    kind: str
    event_id: str | None
    body: str
    """Canonical JSON text (see :func:`canonical`)."""
    written_at: float | None = None


class Store:
    """A few connections to PostgreSQL, each call on one of them in its own transaction. Halls'
    batches run concurrently, each on its own connection (one connection runs one transaction at
    a time). A broken connection (the server restarted) is replaced when it is next taken, and the
    call that found it broken raises psycopg's error."""

    def __init__(self, dsn: str, connections: int = 4) -> None:
        self.dsn = dsn
        self._idle: asyncio.Queue[psycopg.AsyncConnection[Any] | None] = asyncio.Queue()
        for _ in range(connections):
            self._idle.put_nowait(None)

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        conn = await self._idle.get()
        try:
            if conn is None or conn.closed or conn.broken:
                if conn is not None:
                    await conn.close()
                conn = None
                conn = await psycopg.AsyncConnection.connect(self.dsn, connect_timeout=5)
            async with conn.transaction():
                yield conn
        finally:
            self._idle.put_nowait(conn)

    async def open(self) -> None:
        async with self._connection() as conn:
            await conn.execute(_SCHEMA)

    async def close(self) -> None:
        while not self._idle.empty():
            conn = self._idle.get_nowait()
            if conn is not None:
                await conn.close()

    async def last_seq(self, hall_id: str) -> int:
        async with self._connection() as conn:
            cur = await conn.execute("SELECT coalesce(max(seq), 0) FROM hall_records WHERE hall_id = %s", (hall_id,))
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def bodies(self, hall_id: str, first: int, last: int) -> dict[int, StoredRecord]:
        async with self._connection() as conn:
            cur = await conn.execute(
                "SELECT seq, kind, event_id, body FROM hall_records WHERE hall_id = %s AND seq BETWEEN %s AND %s",
                (hall_id, first, last))
            rows = await cur.fetchall()
        return {int(seq): StoredRecord(int(seq), kind, event_id, body) for seq, kind, event_id, body in rows}

    async def insert(self, hall_id: str, records: Sequence[StoredRecord]) -> None:
        """Store ``records`` in one transaction; a seq already stored is left as it is."""
        async with self._connection() as conn:
            async with conn.cursor() as cur:
                await cur.executemany(
                    "INSERT INTO hall_records (hall_id, seq, kind, event_id, body, written_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (hall_id, seq) DO NOTHING",
                    [(hall_id, r.seq, r.kind, r.event_id, r.body, r.written_at) for r in records])

    async def load(self, hall_id: str) -> tuple[dict[str, Any] | None, list[StoredRecord]]:
        """The hall's last snapshot and every record after it, in order (as the hall's own journal loads)."""
        async with self._connection() as conn:
            cur = await conn.execute(
                "SELECT seq, body FROM hall_records WHERE hall_id = %s AND kind = 'snapshot' "
                "ORDER BY seq DESC LIMIT 1", (hall_id,))
            row = await cur.fetchone()
            start, snapshot = (int(row[0]), json.loads(row[1])) if row else (0, None)
            cur = await conn.execute(
                "SELECT seq, kind, event_id, body FROM hall_records WHERE hall_id = %s AND seq > %s ORDER BY seq",
                (hall_id, start))
            rows = await cur.fetchall()
        return snapshot, [StoredRecord(int(seq), kind, event_id, body) for seq, kind, event_id, body in rows]

    async def halls(self) -> list[tuple[str, int]]:
        """Every hall with records, and its last seq."""
        async with self._connection() as conn:
            cur = await conn.execute("SELECT hall_id, max(seq) FROM hall_records GROUP BY hall_id ORDER BY hall_id")
            rows = await cur.fetchall()
        return [(hall_id, int(seq)) for hall_id, seq in rows]

    async def count(self, hall_id: str) -> int:
        async with self._connection() as conn:
            cur = await conn.execute("SELECT count(*) FROM hall_records WHERE hall_id = %s", (hall_id,))
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def day_ends(self, hall_id: str) -> list[tuple[int, str | None]]:
        """Each snapshot's seq and the day it closed (``day`` of the hall that exported it), in order."""
        async with self._connection() as conn:
            cur = await conn.execute(
                "SELECT seq, (body::jsonb)->>'day' FROM hall_records WHERE hall_id = %s AND kind = 'snapshot' "
                "ORDER BY seq", (hall_id,))
            rows = await cur.fetchall()
        return [(int(seq), day) for seq, day in rows]

    async def segment(self, hall_id: str, after: int, before: int | None) -> tuple[
            dict[str, Any] | None, list[StoredRecord]]:
        """The snapshot at ``after`` (0: none) and the records after it, up to ``before`` (excluded)."""
        async with self._connection() as conn:
            snapshot = None
            if after:
                cur = await conn.execute("SELECT body FROM hall_records WHERE hall_id = %s AND seq = %s",
                                         (hall_id, after))
                row = await cur.fetchone()
                snapshot = json.loads(row[0]) if row else None
            cur = await conn.execute(
                "SELECT seq, kind, event_id, body FROM hall_records WHERE hall_id = %s AND seq > %s AND seq < %s "
                "ORDER BY seq", (hall_id, after, before if before is not None else 2 ** 62))
            rows = await cur.fetchall()
        return snapshot, [StoredRecord(int(seq), kind, event_id, body) for seq, kind, event_id, body in rows]
