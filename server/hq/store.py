"""Head office's PostgreSQL: every hall's journal records, ``(hall_id, seq)`` unique.

A record's body is kept as the canonical JSON text the hall's record compares by (sorted keys,
ASCII only: a lone surrogate or a NUL escaped in an event id cannot fail the insert).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

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


Q = TypeVar("Q")
A = TypeVar("A")


class _GroupCommit(Generic[Q, A]):
    """Calls from many halls' batches, run together: what arrives while one run is under way
    waits for the next, which takes all of it (group commit, as the hall's own journal does).

    500 halls forwarding every half second are ~1,000 calls a second; each alone took a
    connection, a BEGIN and a COMMIT, and psycopg's round trips were ~40% of head office's work.
    """

    def __init__(self, run: Callable[[list[Q]], Awaitable[list[A]]]) -> None:
        self._run = run
        self._waiting: list[tuple[Q, asyncio.Future[A]]] = []
        self._running = False

    async def __call__(self, question: Q) -> A:
        future: asyncio.Future[A] = asyncio.get_running_loop().create_future()
        self._waiting.append((question, future))
        if not self._running:
            self._running = True
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                taken, self._waiting = self._waiting, []
                try:
                    answers = await self._run([q for q, _ in taken])
                except Exception as exc:  # noqa: BLE001 - every caller of the group gets the error
                    for _, future in taken:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), answer in zip(taken, answers):
                    if not future.done():
                        future.set_result(answer)
        finally:
            self._running = False


class Store:
    """A few connections to PostgreSQL, each call on one of them in its own transaction. A broken
    connection (the server restarted) is replaced when it is next taken, and the call that found it
    broken raises psycopg's error. The two calls every batch makes (its hall's last seq, then its
    insert) are each grouped across halls: one query, one transaction for all that came meanwhile."""

    def __init__(self, dsn: str, connections: int = 4) -> None:
        self.dsn = dsn
        self._idle: asyncio.Queue[psycopg.AsyncConnection[Any] | None] = asyncio.Queue()
        for _ in range(connections):
            self._idle.put_nowait(None)
        self._last_seqs: _GroupCommit[str, int] = _GroupCommit(self._last_seqs_of)
        self._inserts: _GroupCommit[tuple[str, Sequence[StoredRecord]], None] = _GroupCommit(self._insert_all)

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
        return await self._last_seqs(hall_id)

    async def _last_seqs_of(self, hall_ids: list[str]) -> list[int]:
        async with self._connection() as conn:
            cur = await conn.execute("SELECT hall_id, max(seq) FROM hall_records WHERE hall_id = ANY(%s) "
                                     "GROUP BY hall_id", (sorted(set(hall_ids)),))
            found = {hall_id: int(seq) for hall_id, seq in await cur.fetchall()}
        return [found.get(hall_id, 0) for hall_id in hall_ids]

    async def bodies(self, hall_id: str, first: int, last: int) -> dict[int, StoredRecord]:
        async with self._connection() as conn:
            cur = await conn.execute(
                "SELECT seq, kind, event_id, body FROM hall_records WHERE hall_id = %s AND seq BETWEEN %s AND %s",
                (hall_id, first, last))
            rows = await cur.fetchall()
        return {int(seq): StoredRecord(int(seq), kind, event_id, body) for seq, kind, event_id, body in rows}

    async def insert(self, hall_id: str, records: Sequence[StoredRecord]) -> None:
        """Store ``records`` (with other halls' batches of the moment) in one transaction; a seq
        already stored is left as it is."""
        await self._inserts((hall_id, records))

    async def _insert_all(self, batches: list[tuple[str, Sequence[StoredRecord]]]) -> list[None]:
        async with self._connection() as conn:
            async with conn.cursor() as cur:
                await cur.executemany(
                    "INSERT INTO hall_records (hall_id, seq, kind, event_id, body, written_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (hall_id, seq) DO NOTHING",
                    [(hall_id, r.seq, r.kind, r.event_id, r.body, r.written_at)
                     for hall_id, records in batches for r in records])
        return [None] * len(batches)

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
