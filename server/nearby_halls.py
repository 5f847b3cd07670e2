"""Which nearby halls a busy hall's lobby suggests: those head office says are online and calmer (pure).

The hall asks head office (``GET /api/halls/{id}/nearby``) while its busy notice is up; this
module decides what of the answer the screens show, given how old it is. ``None`` means "no
live answer": the screens fall back to the static nearby halls of their content. An empty list
is a live answer that no nearby hall is calmer: the screens then suggest none, rather than
send people to a hall that is as busy.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Any

from .hall import Hall
from .wire import hall_time


__all__ = ["MAX_AGE_S", "SHOWN", "choose_nearby", "expected_wait_s", "hall_wait_s"]

MAX_AGE_S = 120.0
"""Older than this (the answer, or a hall's figures in it), a nearby hall's numbers are not shown.

A busy hall calls a customer every minute or so: two minutes old, its queue may be several people
longer than shown. Head office calls a hall online when it was heard within 60 s, and the hall
asks again every 15 s while busy, so a live chain stays well inside this; only a lost head office
or a lost nearby hall passes it.
"""

SHOWN = 3
"""At most this many halls: each takes a page of the ticker (8 s each), the calmest first."""


def hall_wait_s(waits: Iterable[Any]) -> float | None:
    """A hall's expected wait: the longest of its services' (a newcomer's worst case); None if none is open.

    The longest, so that a hall is never called calmer because one quiet service hides a long queue.
    """
    known = [float(w) for w in waits if isinstance(w, (int, float)) and not isinstance(w, bool)]
    return max(known, default=None)


def expected_wait_s(hall: Hall) -> float | None:
    """This hall's expected wait for a newcomer, by the same rule as a nearby hall's (:func:`hall_wait_s`)."""
    estimates = (hall.newcomer_estimate(service) for service in hall.service_ids())
    return hall_wait_s(e.expected_s for e in estimates if e is not None)


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        return None
    return t if t.tzinfo is not None else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def choose_nearby(rows: Any, *, own_wait_s: float | None, own_waiting: int, fetched_at: datetime | None,
                  now: datetime, tz: tzinfo) -> list[dict[str, Any]] | None:
    """Return display.state's ``nearby`` from head office's answer ``rows`` (its ``nearby`` list).

    A hall is shown when head office calls it online, its figures are at most MAX_AGE_S old
    (``as_of``: when head office last heard from it), no open_windows alert of its own is up, some
    window of it is open, and its expected wait is shorter than ours (ours unknown: fewer people
    wait there). ``as_of`` is written in the hall's offset (``tz``). ``None`` when there is no
    answer younger than MAX_AGE_S; ``rows`` comes from the network, so anything off-contract in a
    row drops the row, never the answer.
    """
    if fetched_at is None or (now - fetched_at).total_seconds() > MAX_AGE_S or not isinstance(rows, list):
        return None
    chosen: list[tuple[float, int, dict[str, Any]]] = []
    for row in rows:
        if not isinstance(row, dict) or row.get("link") != "online":
            continue
        as_of = _time(row.get("last_seen_at"))
        waiting = row.get("waiting_total")
        alerts = row.get("alerts")
        services = row.get("services")
        if as_of is None or (now - as_of).total_seconds() > MAX_AGE_S or type(waiting) is not int \
                or not isinstance(alerts, dict) or alerts.get("open_windows") or not isinstance(services, list):
            continue
        wait = hall_wait_s(s.get("expected_wait_s") for s in services if isinstance(s, dict))
        if wait is None:
            continue
        calmer = wait < own_wait_s if own_wait_s is not None else waiting < own_waiting
        if not calmer:
            continue
        name = _text(row.get("name")) or _text(row.get("hall_id"))
        chosen.append((wait, waiting, {
            "name": name, "name_en": _text(row.get("name_en")) or name, "distance": _text(row.get("distance")),
            "waiting": waiting, "expected_wait_s": round(wait), "as_of": hall_time(as_of, tz)}))
    chosen.sort(key=lambda c: (c[0], c[1]))
    return [c[2] for c in chosen[:SHOWN]]
