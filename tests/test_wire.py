"""wire.py: what the server sends, built from the hall: /api/state, the report, the display state."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from server.wire import alert_message, display_state, hall_state, hall_time, report, snapshot_message

from tests.halltools import at, ev, make_hall


def test_state_lists_who_waits_in_call_order_whatever_the_offsets_and_priority():
    """Tickets stamped in other offsets, and a priority ticket, are listed in call order."""
    hall = make_hall(windows=1)
    utc = timezone.utc
    # A000 at 09:00+08:00, A001 at 01:01Z (= 09:01+08:00), A002 at 09:02+08:00 with priority.
    hall.receive(ev("ticket.issued", at(0), ticket="A000", service="quick"))
    hall.receive(ev("ticket.issued", at(1).astimezone(utc), ticket="A001", service="quick"))
    hall.receive(ev("ticket.issued", at(1, 30).astimezone(timezone(timedelta(hours=-5))),
                    ticket="A002", service="quick"))
    hall.receive(ev("ticket.issued", at(2), ticket="A003", service="quick", priority=True))
    order = [t["ticket"] for t in hall_state(hall)["waiting"]]
    assert order == ["A003", "A000", "A001", "A002"]
    assert [t["position"] for t in hall_state(hall)["waiting"]] == [1, 2, 3, 4]


def _times(value: Any, path: str = "") -> Iterator[tuple[str, datetime]]:
    """Every ISO date-time string anywhere in ``value``, with where it is."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _times(item, f"{path}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _times(item, f"{path}[{n}]")
    elif isinstance(value, str) and len(value) > 10 and value[4:5] == "-" and "T" in value:
        yield path, datetime.fromisoformat(value)


def test_every_time_the_server_emits_is_in_the_halls_offset():
    """The wall clock is UTC and queue systems stamp in any offset; every moment the server sends
    (alerts raised/acknowledged/resolved, the staff snapshot, /api/state, /api/report,
    display.state) is written in the hall's offset, so a page can show its wall time as it is."""
    hall = make_hall(windows=1)
    utc, new_york = timezone.utc, timezone(timedelta(hours=-5))
    hall.advance(at(0).astimezone(utc))                      # the wall clock: UTC
    hall.receive(ev("ticket.issued", at(0).astimezone(utc), ticket="A001", service="quick"))
    hall.receive(ev("ticket.issued", at(1).astimezone(new_york), ticket="A002", service="quick"))
    hall.receive(ev("ticket.issued", at(2).astimezone(utc), ticket="A003", service="quick"))
    hall.advance(at(31).astimezone(utc))
    acked = hall.acknowledge(f"{hall.day_id}:care_30:A001", "王芳", at(32).astimezone(utc))
    hall.receive(ev("ticket.called", at(33).astimezone(new_york), ticket="A001", window="1"))
    changes = hall.alerts_to_send()
    assert {str(change) for change, _ in changes} == {"raised", "acknowledged", "resolved"}
    assert acked.acknowledged_at is not None and acked.acknowledged_at.utcoffset() == timedelta(0)

    sent: dict[str, Any] = {
        "alert messages": [alert_message(change, alert, hall.tz) for change, alert in changes],
        "snapshot": snapshot_message(hall),
        "state": hall_state(hall),
        "report": report(hall),
        "display.state": display_state(hall, 1, at(34).astimezone(utc)),
    }
    found = list(_times(sent))
    for part in sent:
        assert any(path.startswith(f".{part}") for path, _ in found), f"no time found in {part}"
    for field in ("raised_at", "acknowledged_at", "resolved_at", "waiting_since", "called_at"):
        assert any(path.endswith(field) for path, _ in found), f"no {field} checked"
    wrong = [(path, moment.isoformat()) for path, moment in found if moment.utcoffset() != timedelta(hours=8)]
    assert not wrong, f"times not in the hall's offset (+08:00): {wrong}"
    assert sent["snapshot"]["timezone"] == sent["report"]["timezone"] == "Asia/Shanghai"


def test_hall_time_writes_a_moment_in_the_zone_it_is_given():
    """The one helper behind every emitted time: the same instant, the zone's offset on that date."""
    from zoneinfo import ZoneInfo

    moment = datetime(2026, 12, 7, 6, 1, 30, tzinfo=timezone.utc)
    assert hall_time(moment, ZoneInfo("Asia/Shanghai")) == "2026-12-07T14:01:30+08:00"
    assert hall_time(moment, ZoneInfo("America/New_York")) == "2026-12-07T01:01:30-05:00"
    assert hall_time(datetime(2026, 7, 1, 12, tzinfo=timezone.utc), ZoneInfo("America/New_York")) == (
        "2026-07-01T08:00:00-04:00")
    assert hall_time(None, ZoneInfo("Asia/Shanghai")) is None
