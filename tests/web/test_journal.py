"""The journal: records durable in order, and which event ids it holds."""

from __future__ import annotations

import asyncio

from server.web.journal import IdFilter, Record, SQLiteJournal


def test_the_id_filter_never_misses_an_id_and_rarely_claims_one():
    """Every id added is found; of 20,000 ids never added, about 1% are claimed (checked on disk)."""
    ids = IdFilter(20000)
    for n in range(20000):
        ids.add(f"e{n}")
    assert all(ids.might_contain(f"e{n}") for n in range(20000))
    false_hits = sum(ids.might_contain(f"new-{n}") for n in range(20000))
    assert false_hits < 20000 * 0.02
    assert not ids.full
    ids.add("one more")
    assert ids.full


async def test_contains_knows_ids_from_an_earlier_run_and_from_this_one(tmp_path):
    """An id written by an earlier process is found; one written now is found once durable;
    one never written is not; the filter grows past its first size without forgetting any."""
    path = tmp_path / "journal.sqlite3"
    first = SQLiteJournal(path)
    await first.append([Record("event", {"id": f"old-{n}"}, f"old-{n}") for n in range(3000)])
    await first.close()
    journal = SQLiteJournal(path)
    try:
        assert journal.contains("old-0") and journal.contains("old-2999")
        assert not journal.contains("never")
        pending = [journal.append([Record("event", {"id": f"new-{n}"}, f"new-{n}")]) for n in range(10000)]
        await asyncio.gather(*pending)
        assert all(journal.contains(f"new-{n}") for n in range(0, 10000, 97))
        assert all(journal.contains(f"old-{n}") for n in range(0, 3000, 97))
        assert not journal.contains("still never")
    finally:
        await journal.close()


async def test_a_large_group_comes_back_in_the_order_appended(tmp_path):
    """Appends of many sizes, committed in groups of hundreds of rows (several INSERTs each),
    load back in append order; a group with a duplicate id fails whole and writes nothing."""
    path = tmp_path / "journal.sqlite3"
    journal = SQLiteJournal(path)
    sizes = [1, 450, 7, 199, 200, 201, 3]
    expected: list[str] = []
    pending = []
    for size in sizes:
        records = [Record("event", {"id": f"e{len(expected) + n}", "n": len(expected) + n}, f"e{len(expected) + n}")
                   for n in range(size)]
        expected += [r.event_id for r in records if r.event_id is not None]
        pending.append(journal.append(records))
    await asyncio.gather(*pending)
    try:
        await journal.append([Record("event", {"id": "late"}, "late"), Record("event", {"id": "e5"}, "e5")])
    except Exception:  # noqa: BLE001 - the UNIQUE index refuses the group
        pass
    else:
        raise AssertionError("a duplicate id was written")
    await journal.close()
    _, records = SQLiteJournal(path).load()
    loaded = [r.event_id for r in records]
    assert loaded == expected
    assert [r.body["n"] for r in SQLiteJournal(path).load()[1]] == list(range(len(expected)))
