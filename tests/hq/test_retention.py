"""Journal retention: old records go, never the last snapshot on, never what head office has not acknowledged."""

from __future__ import annotations

import time

from server.web.journal import Record, SQLiteJournal, prune, read_after


async def journal_with(path, kinds: list[str]) -> SQLiteJournal:
    journal = SQLiteJournal(path)
    await journal.append([Record(kind, {"n": i}, f"e{i}" if kind == "event" else None) for i, kind in enumerate(kinds, 1)])
    return journal


def seqs(path) -> list[int]:
    return [row[0] for row in read_after(path, 0, 1000)]


async def test_without_a_snapshot_nothing_is_pruned(tmp_path):
    path = tmp_path / "j.sqlite3"
    journal = await journal_with(path, ["config", "event", "event"])
    assert prune(path, time.time() + 60) == 0 and seqs(path) == [1, 2, 3]
    await journal.close()


async def test_old_records_before_the_last_snapshot_go_and_seqs_are_never_reused(tmp_path):
    path = tmp_path / "j.sqlite3"
    journal = await journal_with(path, ["config", "event", "snapshot", "config", "event", "snapshot", "config", "event"])
    snapshot, after = journal.load()
    expected = (snapshot, [(r.kind, r.body) for r in after])
    assert prune(path, time.time() - 3600) == 0  # nothing is an hour old
    assert prune(path, time.time() + 60) == 5
    assert seqs(path) == [6, 7, 8]
    snapshot, after = journal.load()
    assert (snapshot, [(r.kind, r.body) for r in after]) == expected  # a restart rebuilds the same hall
    await journal.append([Record("event", {"n": 9}, "e9")])
    assert seqs(path) == [6, 7, 8, 9] and journal.last_seq() == 9
    await journal.close()


async def test_records_head_office_has_not_acknowledged_stay_whatever_their_age(tmp_path):
    path = tmp_path / "j.sqlite3"
    journal = await journal_with(path, ["config", "event", "snapshot", "config", "event", "snapshot", "event"])
    assert prune(path, time.time() + 60, keep_from=3) == 2  # acknowledged up to 2
    assert seqs(path) == [3, 4, 5, 6, 7]
    assert prune(path, time.time() + 60, keep_from=8) == 3
    assert seqs(path) == [6, 7]
    await journal.close()
