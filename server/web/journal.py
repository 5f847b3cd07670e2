"""The durable journal: every accepted input, on disk before it is acknowledged.

:class:`Journal` is the small interface the hub needs; :class:`SQLiteJournal` keeps it
in one SQLite file (WAL, synchronous=FULL) and commits in groups from a writer thread,
so durability costs one fsync per batch, not per event. A message log (NATS JetStream)
or PostgreSQL would be another class with the same five methods.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


__all__ = ["Journal", "Record", "SQLiteJournal", "JournalError", "read_after"]

log = logging.getLogger(__name__)


class JournalError(Exception):
    """The journal could not make a record durable."""


@dataclass(frozen=True, slots=True)
class Record:
    """One journal entry.

    Attributes:
        kind: ``event`` (a queue event), ``ack`` (a staff acknowledgement), ``tick``
            (the wall clock moved the hall and something happened), ``snapshot``
            (what outlives a business day, written just before a new one starts), ``config``
            (the hall-shaping settings the day runs on: after each snapshot, and at a start
            when none is journaled).
        body: the JSON object stored.
        event_id: for ``event`` records, the sender's id (unique in the journal).
    """

    kind: str
    body: dict[str, Any]
    event_id: str | None = None


class Journal(Protocol):
    """What the hub needs from durable storage."""

    def load(self) -> tuple[dict[str, Any] | None, Iterator[Record]]:
        """Return the latest snapshot and the records written after it, in order."""

    def contains(self, event_id: str) -> bool:
        """Tell whether a durable event record carries ``event_id``."""

    def append(self, records: list[Record]) -> asyncio.Future[None]:
        """Queue records in order; the future resolves once they are durable.

        Futures resolve in the order of the calls; a failure raises :class:`JournalError`.
        """

    async def close(self) -> None:
        """Make everything appended durable, then release the storage."""

    def last_seq(self) -> int:
        """The seq of the last durable record (0: none)."""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    event_id TEXT,
    body TEXT NOT NULL,
    written_at REAL NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS journal_event_id ON journal(event_id) WHERE event_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS journal_snapshots ON journal(kind) WHERE kind = 'snapshot';
"""

_STOP = object()

ROWS_PER_INSERT = 200
"""Rows per INSERT statement: 800 parameters, under SQLite's limit of 999 before 3.32."""


@functools.lru_cache(maxsize=ROWS_PER_INSERT)
def _insert_statement(rows: int) -> str:
    """One INSERT of ``rows`` journal rows; SQLite inserts a VALUES list in order, so ``seq`` follows it."""
    return "INSERT INTO journal (kind, event_id, body, written_at) VALUES " + ", ".join(["(?, ?, ?, ?)"] * rows)


class IdFilter:
    """A Bloom filter of event ids: "certainly not in the journal" without reading the disk.

    The hub asks the journal about every new id (a queue system may resend one from last
    week); nearly all are new, and an SQLite read for each cost a quarter of the server's
    time per event. A filter answers those from memory: a miss is certain, a hit (about 1% of
    new ids by mistake) is checked on disk. Ids are hashed with Python's own string hash, so
    the filter lives as long as the process and is rebuilt from the journal at start.
    """

    BITS_PER_ID = 10
    """About 1% false hits with HASHES positions per id."""
    HASHES = 7

    def __init__(self, capacity: int) -> None:
        self.capacity = max(capacity, 1024)
        self.count = 0
        self._bits = bytearray(self.capacity * self.BITS_PER_ID // 8 + 1)
        self._size = len(self._bits) * 8

    def add(self, event_id: str) -> None:
        self.count += 1
        bits, size = self._bits, self._size
        h1, h2 = _two_hashes(event_id)
        for i in range(self.HASHES):
            position = (h1 + i * h2) % size
            bits[position >> 3] |= 1 << (position & 7)

    def might_contain(self, event_id: str) -> bool:
        bits, size = self._bits, self._size
        h1, h2 = _two_hashes(event_id)
        for i in range(self.HASHES):
            position = (h1 + i * h2) % size
            if not bits[position >> 3] & (1 << (position & 7)):
                return False
        return True

    @property
    def full(self) -> bool:
        return self.count > self.capacity


def _two_hashes(event_id: str) -> tuple[int, int]:
    """Double hashing (Kirsch and Mitzenmacher): the positions from the two halves of one hash.

    A str keeps its hash once computed, so the id the hub checks and then adds is hashed once;
    a second hash of ``id + suffix`` hashed a new string every time (~10% of the server's work).
    """
    h = hash(event_id)
    return h & 0xFFFFFFFF, ((h >> 32) & 0xFFFFFFFF) | 1


class SQLiteJournal:
    """A journal in one SQLite database file with group commit.

    Args:
        path: the database file; its folder is created.
        on_commit: called from the writer thread after each commit with the
            seconds it took and the number of records (for metrics).
    """

    def __init__(self, path: str | Path, on_commit: Callable[[float, int], None] | None = None) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._on_commit = on_commit
        self._reader = self._connect()
        self._reader.executescript(_SCHEMA)
        self._unconfirmed: set[str] = set()
        """Ids appended and not yet durable: a filter rebuilt from the disk must not forget them."""
        self._ids = self._read_ids()
        row = self._reader.execute("SELECT max(seq) FROM journal").fetchone()
        self._last_seq = int(row[0] or 0)
        """Written by the writer thread after each commit (an int store is atomic under the GIL)."""
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: in WAL mode every commit syncs the log, so an ack survives power loss.
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=5000")
        return conn

    def load(self) -> tuple[dict[str, Any] | None, Iterator[Record]]:
        row = self._reader.execute(
            "SELECT seq, body FROM journal WHERE kind = 'snapshot' ORDER BY seq DESC LIMIT 1").fetchone()
        start, snapshot = (row[0], json.loads(row[1])) if row else (0, None)
        cursor = self._reader.execute(
            "SELECT kind, event_id, body FROM journal WHERE seq > ? ORDER BY seq", (start,))
        return snapshot, (Record(kind, json.loads(body), event_id) for kind, event_id, body in cursor)

    def contains(self, event_id: str) -> bool:
        if not self._ids.might_contain(event_id):
            return False
        return self._reader.execute(
            "SELECT 1 FROM journal WHERE event_id = ?", (event_id,)).fetchone() is not None

    def _read_ids(self, unconfirmed: Collection[str] = ()) -> IdFilter:
        """A filter of every event id on disk or on its way there, with room to double."""
        ids = [row[0] for row in self._reader.execute("SELECT event_id FROM journal WHERE event_id IS NOT NULL")]
        found = IdFilter(2 * (len(ids) + len(unconfirmed)))
        for event_id in (*ids, *unconfirmed):
            found.add(event_id)
        return found

    def last_seq(self) -> int:
        return self._last_seq

    def count(self) -> int:
        return int(self._reader.execute("SELECT count(*) FROM journal").fetchone()[0])

    def append(self, records: list[Record]) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        if self._thread is None:
            self._loop = loop
            self._thread = threading.Thread(target=self._write_loop, name="journal-writer", daemon=True)
            self._thread.start()
        future: asyncio.Future[None] = loop.create_future()
        self._queue.put((records, future))
        # Into the filter before they are durable: a batch that then fails leaves ids the filter
        # only thinks are on disk, and contains() reads the disk for those.
        ids = {r.event_id for r in records if r.event_id is not None}
        for event_id in ids:
            self._ids.add(event_id)
        if ids:
            self._unconfirmed |= ids
            future.add_done_callback(lambda _: self._unconfirmed.difference_update(ids))
        if self._ids.full:
            self._ids = self._read_ids(self._unconfirmed)
        return future

    async def close(self) -> None:
        if self._thread is not None:
            self._queue.put(_STOP)
            await asyncio.to_thread(self._thread.join)
            self._thread = None
        self._reader.close()

    def _write_loop(self) -> None:
        conn = self._connect()
        try:
            while True:
                batch = [self._queue.get()]
                # Group commit: take everything queued while the last commit was syncing.
                while True:
                    try:
                        batch.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                stop = any(item is _STOP for item in batch)
                batch = [item for item in batch if item is not _STOP]
                if batch:
                    self._commit(conn, batch)
                if stop:
                    return
        finally:
            conn.close()

    def _commit(self, conn: sqlite3.Connection, batch: list[tuple[list[Record], asyncio.Future[None]]]) -> None:
        started = time.perf_counter()
        error: Exception | None = None
        rows: list[tuple[str, str | None, str, float]] = []
        try:
            rows = [(r.kind, r.event_id, json.dumps(r.body, ensure_ascii=False, separators=(",", ":")),
                     time.time()) for records, _ in batch for r in records]
            conn.execute("BEGIN IMMEDIATE")
            # Many rows to a statement: executemany releases and retakes the GIL around every row,
            # and each retake can wait for the event loop's thread to let go of it.
            for start in range(0, len(rows), ROWS_PER_INSERT):
                chunk = rows[start:start + ROWS_PER_INSERT]
                conn.execute(_insert_statement(len(chunk)), [value for row in chunk for value in row])
            last = conn.execute("SELECT last_insert_rowid()").fetchone()[0] if rows else self._last_seq
            conn.execute("COMMIT")
            self._last_seq = int(last)
        # ValueError/TypeError: a record that cannot be encoded (e.g. a lone surrogate) fails its
        # batch; escaping, it would end this thread and no input would ever be acknowledged again.
        except (sqlite3.Error, ValueError, TypeError) as exc:
            error = JournalError(f"journal write failed: {exc}")
            log.error("journal: %s (%d records not written)", exc, len(rows))
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
        if self._on_commit is not None and error is None:
            self._on_commit(time.perf_counter() - started, len(rows))
        assert self._loop is not None
        futures = [future for _, future in batch]
        try:
            self._loop.call_soon_threadsafe(_resolve, futures, error)
        except RuntimeError:
            pass  # The loop is gone: nobody waits for these acks any more.


def _resolve(futures: list[asyncio.Future[None]], error: Exception | None) -> None:
    for future in futures:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)


def read_after(path: str | Path, seq: int, limit: int) -> list[tuple[int, str, str | None, str, float]]:
    """Up to ``limit`` records after ``seq``: (seq, kind, event_id, body as stored, written_at).

    For the head-office forwarder, from a thread: a connection of its own, read only (WAL lets it
    read beside the writer without blocking it).
    """
    conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
    try:
        conn.execute("PRAGMA busy_timeout=5000")
        return [(int(r[0]), r[1], r[2], r[3], float(r[4])) for r in conn.execute(
            "SELECT seq, kind, event_id, body, written_at FROM journal WHERE seq > ? ORDER BY seq LIMIT ?",
            (seq, limit))]
    finally:
        conn.close()


PRUNE_CHUNK = 5000
"""Rows per DELETE: the writer waits on a prune at most this long at a time (busy_timeout covers it)."""


def prune(path: str | Path, older_than: float, keep_from: int | None = None) -> int:
    """Delete records written before ``older_than`` (Unix time), never one the hall or head office still needs.

    Kept whatever their age: the last snapshot and everything after it (a restart rebuilds the hall
    from them) and every record from ``keep_from`` on (those head office has not acknowledged).
    Seqs are never reused (AUTOINCREMENT), so head office never meets a seq twice. Returns how
    many records were deleted. A connection of its own, from a thread, beside the writer.
    """
    conn = sqlite3.connect(Path(path), isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout=5000")
        last_snapshot = conn.execute("SELECT max(seq) FROM journal WHERE kind = 'snapshot'").fetchone()[0]
        if last_snapshot is None:
            return 0
        first_recent = conn.execute("SELECT min(seq) FROM journal WHERE written_at >= ?", (older_than,)).fetchone()[0]
        bound = min([int(last_snapshot), *(int(b) for b in (first_recent, keep_from) if b is not None)])
        deleted = 0
        while True:
            cursor = conn.execute("DELETE FROM journal WHERE seq IN (SELECT seq FROM journal WHERE seq < ? "
                                  "ORDER BY seq LIMIT ?)", (bound, PRUNE_CHUNK))
            deleted += cursor.rowcount
            if cursor.rowcount < PRUNE_CHUNK:
                return deleted
    finally:
        conn.close()
