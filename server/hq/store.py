"""Head office's PostgreSQL: every hall's journal records, ``(hall_id, seq)`` unique.

A record's body is kept as the canonical JSON text the hall's record compares by (sorted keys,
ASCII only: a lone surrogate or a NUL escaped in an event id cannot fail the insert).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
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
    """One connection to PostgreSQL; each call is its own transaction. A broken connection (the
    server restarted) is replaced at the next call, and the failed call raises psycopg's error."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._conn: psycopg.AsyncConnection[Any] | None = None

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            if self._conn is not None:
                await self._conn.close()
            self._conn = await psycopg.AsyncConnection.connect(self.dsn, connect_timeout=5)
        return self._conn

    async def open(self) -> None:
        conn = await self._connection()
        async with conn.transaction():
            await conn.execute(_SCHEMA)

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def last_seq(self, hall_id: str) -> int:
        conn = await self._connection()
        async with conn.transaction():
            cur = await conn.execute("SELECT coalesce(max(seq), 0) FROM hall_records WHERE hall_id = %s", (hall_id,))
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def bodies(self, hall_id: str, first: int, last: int) -> dict[int, StoredRecord]:
        conn = await self._connection()
        async with conn.transaction():
            cur = await conn.execute(
                "SELECT seq, kind, event_id, body FROM hall_records WHERE hall_id = %s AND seq BETWEEN %s AND %s",
                (hall_id, first, last))
            rows = await cur.fetchall()
        return {int(seq): StoredRecord(int(seq), kind, event_id, body) for seq, kind, event_id, body in rows}

    async def insert(self, hall_id: str, records: Sequence[StoredRecord]) -> None:
        """Store ``records`` in one transaction; a seq already stored is left as it is."""
        conn = await self._connection()
        async with conn.transaction():
            async with conn.cursor() as cur:
                await cur.executemany(
                    "INSERT INTO hall_records (hall_id, seq, kind, event_id, body, written_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (hall_id, seq) DO NOTHING",
                    [(hall_id, r.seq, r.kind, r.event_id, r.body, r.written_at) for r in records])

    async def load(self, hall_id: str) -> tuple[dict[str, Any] | None, list[StoredRecord]]:
        """The hall's last snapshot and every record after it, in order (as the hall's own journal loads)."""
        conn = await self._connection()
        async with conn.transaction():
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
        conn = await self._connection()
        async with conn.transaction():
            cur = await conn.execute("SELECT hall_id, max(seq) FROM hall_records GROUP BY hall_id ORDER BY hall_id")
            rows = await cur.fetchall()
        return [(hall_id, int(seq)) for hall_id, seq in rows]

    async def count(self, hall_id: str) -> int:
        conn = await self._connection()
        async with conn.transaction():
            cur = await conn.execute("SELECT count(*) FROM hall_records WHERE hall_id = %s", (hall_id,))
            row = await cur.fetchone()
        return int(row[0]) if row else 0
