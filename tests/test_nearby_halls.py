"""Which nearby halls a busy lobby suggests (server/nearby_halls.py): online, calmer, fresh."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from server.nearby_halls import MAX_AGE_S, SHOWN, choose_nearby, hall_wait_s

NOW = datetime(2026, 11, 30, 2, 40, tzinfo=timezone.utc)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def row(hall_id: str, *, waits: tuple[float | None, ...] = (300.0,), waiting: int = 3, link: str = "online",
        seen: float = 10.0, busy: int = 0, **extra: Any) -> dict[str, Any]:
    """A row of head office's ``GET /api/halls/{id}/nearby``, heard from ``seen`` seconds before NOW."""
    return {"hall_id": hall_id, "name": f"{hall_id}厅", "name_en": f"{hall_id} Hall", "region": None,
            "waiting_total": waiting, "longest_wait_s": 60, "open_windows": 2,
            "alerts": {"care_15": 0, "care_30": 0, "open_windows": busy}, "share_over_15_today": None,
            "last_seq": 40, "last_seen_at": (NOW - timedelta(seconds=seen)).isoformat(), "link": link,
            "at": "2026-11-30T10:39:00+08:00", "distance": "约800米",
            "services": [{"id": f"s{i}", "name": "x", "name_en": "x", "expected_wait_s": w} for i, w in enumerate(waits)],
            **extra}


def choose(rows: Any, own_wait_s: float | None = 1200.0, own_waiting: int = 30, fetched: float = 5.0,
           now: datetime = NOW) -> list[dict[str, Any]] | None:
    return choose_nearby(rows, own_wait_s=own_wait_s, own_waiting=own_waiting,
                         fetched_at=NOW - timedelta(seconds=fetched), now=now, tz=SHANGHAI)


def test_a_calmer_online_hall_is_shown_with_its_figures_in_the_halls_offset():
    assert choose([row("calm", waits=(240.4, 90.0), waiting=4)]) == [{
        "name": "calm厅", "name_en": "calm Hall", "distance": "约800米", "waiting": 4, "expected_wait_s": 240,
        "as_of": "2026-11-30T10:39:50+08:00"}]


def test_only_online_not_busy_halls_with_an_open_window_and_a_shorter_wait():
    rows = [row("late", link="late"), row("offline", link="offline"), row("busy", busy=1),
            row("closed", waits=(None, None)), row("longer", waits=(1500.0,)), row("same", waits=(1200.0,)),
            row("ok", waits=(600.0,))]
    assert [n["name"] for n in choose(rows) or []] == ["ok厅"]


def test_the_longest_service_wait_is_the_halls_so_a_quiet_service_hides_no_queue():
    assert hall_wait_s([60, None, 1800.0, True, "x"]) == 1800.0
    assert hall_wait_s([None]) is None
    assert choose([row("mixed", waits=(60.0, 1800.0))]) == []


def test_without_our_own_estimate_fewer_people_waiting_decides():
    rows = [row("fewer", waiting=5), row("more", waiting=40)]
    assert [n["name"] for n in choose(rows, own_wait_s=None, own_waiting=20) or []] == ["fewer厅"]


def test_calmest_first_at_most_three():
    rows = [row(f"h{i}", waits=(100.0 * (6 - i),), waiting=i) for i in range(6)]
    got = choose(rows)
    assert got is not None and len(got) == SHOWN
    assert [n["expected_wait_s"] for n in got] == [100, 200, 300]


def test_an_old_answer_or_old_figures_are_not_shown():
    assert choose([row("calm")], fetched=MAX_AGE_S) is not None
    assert choose([row("calm")], fetched=MAX_AGE_S + 1) is None  # the static halls instead
    assert choose([row("calm", seen=MAX_AGE_S + 1)]) == []
    assert choose_nearby([row("calm")], own_wait_s=1200.0, own_waiting=30, fetched_at=None, now=NOW, tz=SHANGHAI) is None


def test_an_empty_answer_is_live_none_calmer_not_the_static_halls():
    assert choose([]) == []


def test_off_contract_rows_are_dropped_never_the_answer():
    good = row("good")
    rows = [5, None, "x", {**good, "waiting_total": "3"}, {**good, "waiting_total": True},
            {**good, "last_seen_at": "yesterday"}, {**good, "last_seen_at": "2026-11-30T02:39:50"},
            {**good, "alerts": None}, {**good, "services": {}}, {**good, "name": 7, "name_en": None}]
    got = choose(rows)
    assert got is not None and [n["name"] for n in got] == ["good"]  # the unnamed row goes by its hall id
    assert choose({"nearby": []}) is None
