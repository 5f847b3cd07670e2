"""Updating a hall without losing the journal, as docs/deploy.md says: an online backup of the
journal while the server runs, then a stop and a start (of the new release) on the same data dir."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.processes import Process, free_port


EVENTS = [
    {"id": "u1", "type": "window.opened", "at": "2026-11-30T09:00:00+08:00", "window": "1"},
    {"id": "u2", "type": "ticket.issued", "at": "2026-11-30T09:00:00+08:00", "ticket": "A001", "service": "quick"},
    {"id": "u3", "type": "ticket.issued", "at": "2026-11-30T09:01:00+08:00", "ticket": "A002", "service": "quick"},
    {"id": "u4", "type": "ticket.called", "at": "2026-11-30T09:02:00+08:00", "ticket": "A001", "window": "1"},
    {"id": "u5", "type": "clock.tick", "at": "2026-11-30T09:20:00+08:00"},
]


def hall(data: Path, log: Path) -> Process:
    port = free_port()
    return Process(["serve", "--port", str(port), "--data-dir", str(data), "--clock", "event",
                    "--queue-token", "q", "--staff-token", "s"], f"http://127.0.0.1:{port}", log)


async def state(server: Process) -> dict[str, Any]:
    async with aiohttp.ClientSession(headers={"Authorization": "Bearer s"}) as session:
        async with session.get(server.url + "/api/state") as resp:
            assert resp.status == 200
            body = await resp.json()
    return {"waiting": body["waiting"], "windows": body["windows"], "journal_seq": body["journal_seq"],
            "alerts": sorted((a["kind"], a.get("ticket")) for a in body["alerts"])}


async def test_backup_while_serving_then_restart_keeps_the_day(tmp_path: Path) -> None:
    sqlite = shutil.which("sqlite3")
    if sqlite is None:
        pytest.skip("the sqlite3 command is absent (apt-get install sqlite3)")
    data = tmp_path / "var-lib-waitwell"
    old = hall(data, tmp_path / "old.log")
    await old.start()
    try:
        async with aiohttp.ClientSession(headers={"Authorization": "Bearer q"}) as session:
            async with session.post(old.url + "/api/events", json=EVENTS) as resp:
                assert resp.status == 200
        before = await state(old)
        assert [t["ticket"] for t in before["waiting"]] == ["A002"]
        assert ("care_15", "A002") in before["alerts"]
        # The documented backup: sqlite3's online .backup, safe while the server writes (WAL).
        backup = tmp_path / "backup" / "journal.sqlite3"
        backup.parent.mkdir()
        subprocess.run([sqlite, str(data / "journal.sqlite3"), f".backup {backup}"], check=True, timeout=60)
    finally:
        old.stop()  # SIGTERM, as systemctl stop does

    new = hall(data, tmp_path / "new.log")
    await new.start()
    try:
        assert await state(new) == before
    finally:
        new.stop()

    # The backup alone rebuilds the same day (a box that died is replaced from it).
    restored = hall(backup.parent, tmp_path / "restored.log")
    await restored.start()
    try:
        assert await state(restored) == before
    finally:
        restored.stop()
