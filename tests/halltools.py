"""Shared helpers for the hall tests: a fixed hall time and event factories."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import datetime, timedelta, timezone
from typing import Any

from server.config_file import load_config, parse_config
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
