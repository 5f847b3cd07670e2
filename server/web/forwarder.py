"""The hall's side of a chain: ship the journal to head office, never waiting on it.

The journal is the outbox: records with ``seq`` above the acknowledged one go to head office in
order, in batches, over HTTP; head office answers the highest seq it holds, and that (never more
than was sent) is kept in the data dir, written atomically, so a restart resumes where head office
stands. The forwarder only reads the journal (its own connection, in a thread) and runs beside the
hub: ingest, screens and tablets never wait for it, whatever head office or the WAN does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp

from .hub import utcnow
from .journal import read_after


__all__ = ["Forwarder", "HQLink", "ACK_FILE"]

log = logging.getLogger(__name__)

ACK_FILE = "hq-ack.json"
BATCH_RECORDS = 500
POLL_S = 0.1
"""How often an idle forwarder looks at the journal's last seq (in memory: no disk, no thread)."""
HEARTBEAT_S = 20.0
"""An idle hall still calls this often, so head office tells a quiet hall from a lost one."""
BACKOFF_S = (0.5, 30.0)
"""First and longest wait before sending again after a failure (doubling in between)."""
OFFLINE_AFTER_S = 60.0
"""Failing for this long since the last answer: the link is offline (before that: late)."""
TIMEOUT_S = 15.0


@dataclass(frozen=True, slots=True)
class HQLink:
    url: str
    hall_id: str
    token: str | None = None


class Forwarder:
    """Ship ``journal_path``'s records to head office; ``last_seq`` tells what the journal holds."""

    def __init__(self, link: HQLink, journal_path: Path, data_dir: Path, last_seq: Callable[[], int], *,
                 wall_clock: Callable[[], datetime] = utcnow) -> None:
        self.link = link
        self.journal_path = journal_path
        self.ack_path = data_dir / ACK_FILE
        self.last_seq = last_seq
        self.wall_clock = wall_clock
        self.acknowledged_seq = self._read_ack()
        self.state = "offline"
        self.since = wall_clock()
        self.error: dict[str, Any] | None = None
        """Head office's last refusal (409, 401, 403, 400), shown in /api/state until a batch is taken."""
        self._last_answer: datetime | None = None
        self._endpoint = f"{link.url.rstrip('/')}/api/halls/{link.hall_id}/journal"

    def status(self) -> dict[str, Any]:
        return {"acknowledged_seq": self.acknowledged_seq, "link": self.state,
                "since": self.since.isoformat(), "error": self.error}

    def _read_ack(self) -> int:
        try:
            data = json.loads(self.ack_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return 0
        # Acknowledged by another head office, or for another hall id: this one has nothing yet.
        if not isinstance(data, dict) or data.get("hq") != self.link.url or data.get("hall_id") != self.link.hall_id:
            return 0
        seq = data.get("acknowledged_seq")
        return seq if isinstance(seq, int) and seq >= 0 else 0

    def _write_ack(self, seq: int) -> None:
        tmp = self.ack_path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as out:
            json.dump({"hq": self.link.url, "hall_id": self.link.hall_id, "acknowledged_seq": seq}, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.ack_path)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            log.info("head office link: %s -> %s", self.state, state)
            self.state, self.since = state, self.wall_clock()

    async def run(self) -> None:
        headers = {"Content-Type": "application/json"}
        if self.link.token:
            headers["Authorization"] = f"Bearer {self.link.token}"
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
        backoff = BACKOFF_S[0]
        idle_since: float = 0.0
        loop = asyncio.get_running_loop()
        async with aiohttp.ClientSession(timeout=timeout, headers=headers) as session:
            while True:
                pending = self.last_seq() > self.acknowledged_seq
                if not pending and self._last_answer is not None and loop.time() - idle_since < HEARTBEAT_S:
                    await asyncio.sleep(POLL_S)
                    continue
                try:
                    await self._send_once(session)
                    backoff = BACKOFF_S[0]
                except _Retry as exc:
                    self._failed(str(exc))
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, BACKOFF_S[1])
                idle_since = loop.time()

    async def _send_once(self, session: aiohttp.ClientSession) -> None:
        after = self.acknowledged_seq
        try:
            rows = await asyncio.to_thread(read_after, self.journal_path, after, BATCH_RECORDS)
        except Exception as exc:  # noqa: BLE001 - a journal we cannot read now may be readable later
            raise _Retry(f"cannot read the journal: {exc}") from None
        # The bodies go out as the journal holds them: no decoding and encoding of each record.
        # The journal holds nothing between the acknowledged seq and its first record (pruned before
        # this hall joined head office): say so, and a head office that holds nothing takes it.
        start = '"start":true,' if rows and rows[0][0] > after + 1 else ""
        body = '{' + start + '"records":[' + ",".join(
            f'{{"seq":{seq},"kind":{json.dumps(kind)},"event_id":{json.dumps(event_id)},'
            f'"body":{text},"written_at":{written_at!r}}}' for seq, kind, event_id, text, written_at in rows) + "]}"
        try:
            async with session.post(self._endpoint, data=body.encode()) as response:
                answer = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise _Retry(f"head office unreachable: {exc.__class__.__name__} {exc}") from None
        if status == 200 and isinstance(answer, dict) and isinstance(answer.get("acknowledged_seq"), int):
            self._answered(answer["acknowledged_seq"], rows[-1][0] if rows else after)
            return
        error = answer.get("error") if isinstance(answer, dict) else None
        error = error if isinstance(error, dict) else {"code": f"http_{status}", "message": str(answer)[:200]}
        if status == 409 and error.get("code") == "gap" and isinstance(error.get("stored_seq"), int) \
                and error["stored_seq"] < after:
            # Head office holds less than it once acknowledged (its store was restored): send it again.
            log.warning("head office holds records up to %d only, not %d: sending from there", error["stored_seq"], after)
            self.acknowledged_seq = error["stored_seq"]
            self._write_ack(self.acknowledged_seq)
            raise _Retry("head office lost records; resending")
        if status in (400, 401, 403, 409):
            self._last_answer = self.wall_clock()
            if self.error != error:
                log.error("head office refused the journal (%d %s): %s", status, error.get("code"), error.get("message"))
            self.error = {"status": status, **error}
        raise _Retry(f"head office answered {status}")

    def _answered(self, stored: int, sent_up_to: int) -> None:
        self._last_answer = self.wall_clock()
        self.error = None
        # Never past what was sent: a journal restored from a backup must not skip its own records.
        seq = min(stored, sent_up_to) if sent_up_to > self.acknowledged_seq else self.acknowledged_seq
        if seq != self.acknowledged_seq:
            self.acknowledged_seq = seq
            self._write_ack(seq)
        self._set_state("online")

    def _failed(self, why: str) -> None:
        if self.state == "online":
            log.warning("head office link: %s", why)
        last = self._last_answer
        if self.error is not None:
            self._set_state("offline")
        elif last is not None and (self.wall_clock() - last).total_seconds() < OFFLINE_AFTER_S:
            self._set_state("late")
        else:
            self._set_state("offline")


class _Retry(Exception):
    pass
