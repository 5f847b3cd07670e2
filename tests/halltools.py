"""Shared helpers for the hall tests: a fixed hall time, event factories, configs and sample halls."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import datetime, timedelta, timezone
from typing import Any

import yaml

from server.config_file import DEFAULT_CONFIG_PATH, load_config, parse_config
from server.events import QueueEvent, parse_event
from server.hall import Hall


CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=CST)
"""Opening time of the test day, in the sample hall's time zone (Asia/Shanghai)."""

_ids = itertools.count(1)


def at(minutes: float = 0.0, seconds: float = 0.0) -> datetime:
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def ev(type_: str, when: datetime = T0, **fields: Any) -> QueueEvent:
    """Build a valid event through the real parser."""
    return parse_event(raw(type_, when, **fields))


def raw(type_: str, when: datetime = T0, **fields: Any) -> dict[str, Any]:
    return {"id": f"t{next(_ids)}", "type": type_, "at": when.isoformat(), **fields}


def config_with(**sections: dict[str, Any]) -> dict[str, Any]:
    """The sample hall's config file as data, with the given settings of each section changed."""
    data: dict[str, Any] = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    for section, values in sections.items():
        data.setdefault(section, {}).update(values)
    return data


def staffing_config(**staffing: Any) -> dict[str, Any]:
    """The sample hall's config file as data, with the given ``staffing`` settings changed."""
    return config_with(staffing=staffing)


def make_hall(windows: int = 0, config: dict[str, Any] | None = None, *, advice: bool = False) -> Hall:
    """A hall with the sample config (or ``config``) and ``windows`` windows opened at T0.

    ``advice`` False turns off care_soon and staffing alerts, so tests of the fixed rules
    (care_15/30, five per window) see only those; the predictions have tests of their own.
    """
    hall_config = parse_config(config) if config is not None else load_config()
    if not advice:
        hall_config = dataclasses.replace(
            hall_config, alerts=dataclasses.replace(hall_config.alerts, care_soon_probability=0.0),
            staffing=dataclasses.replace(hall_config.staffing, enabled=False))
    hall = Hall(hall_config)
    for n in range(1, windows + 1):
        hall.receive(ev("window.opened", T0, window=str(n)))
    hall.alerts_to_send()
    return hall


def kinds(changes: list[Any]) -> list[tuple[str, str]]:
    """Summarise drained alert changes as (change, kind) pairs."""
    return [(str(change), str(alert.kind)) for change, alert in changes]


def issue(hall: Hall, label: str, minute: float = 0.0, service: str = "quick", **extra: Any) -> None:
    """Issue ticket ``label`` at ``minute`` minutes after opening."""
    hall.receive(ev("ticket.issued", at(minute), ticket=label, service=service, **extra))


def raised(changes: list[Any], kind: str) -> list[Any]:
    """The alerts of ``kind`` raised among drained alert changes."""
    return [alert for change, alert in changes if str(change) == "raised" and alert.kind == kind]


def assert_counts_add_up(hall: Hall) -> None:
    """Every ticket the hall knows is counted as issued, and once under its status."""
    counts = hall.counts
    by_status = sum(counts[s] for s in ("waiting", "called", "served", "no_show", "cancelled"))
    assert counts["issued"] == by_status == len(hall.tickets), counts


def hall_after_days_with_a_surge(config: dict[str, Any]) -> tuple[Hall, datetime]:
    """Three days on which 60 customers came between 10:00 and 10:30 and few before."""
    hall = make_hall(config=config, advice=True)
    for day in range(3):
        start = T0 + timedelta(days=day)
        for w in range(1, 9):
            hall.receive(ev("window.opened", start, window=str(w)))
        n = 0
        for minute in list(range(0, 60, 6)) + [60 + k / 2 for k in range(60)]:
            n += 1
            label = f"A{n:03}"
            when = start + timedelta(minutes=minute)
            hall.receive(ev("ticket.issued", when, ticket=label, service="quick"))
            hall.receive(ev("ticket.called", when, ticket=label, window="1"))
            hall.receive(ev("ticket.served", when + timedelta(seconds=20), ticket=label, window="1"))
    start = T0 + timedelta(days=3)
    for w in range(1, 9):
        hall.receive(ev("window.opened", start, window=str(w)))
    return hall, start
