"""The stream-only baselines (LES, HOL, vendor formula) on a hand-written event stream."""

from __future__ import annotations

import pytest

import datetime as dt

from bench.metrics import precision_recall
from bench.replay import FIXED_SERVICE_S, Episode, Scorer, StreamView, hall_config, sim_hall_windows
from server.events import parse_event
from server.hall import Hall
from server.simulator import sample_hall, simulate_day

DAY = "2026-11-18"
n = 0


def ev(hms: str, type_: str, **fields) -> object:
    global n
    n += 1
    return parse_event({"id": f"e{n}", "type": type_, "at": f"{DAY}T{hms}.000+08:00", **fields})


def feed(view: StreamView, *events) -> StreamView:
    for e in events:
        view.receive(e)
    return view


def opening() -> StreamView:
    """Windows 1 and 2 serve everything, window 3 only complex (from the config, not the event)."""
    return feed(StreamView({"3": ("complex",)}),
                ev("08:55:00", "hall.reset"),
                ev("08:55:00", "window.opened", window="1"),
                ev("08:55:00", "window.opened", window="2"),
                ev("08:55:00", "window.opened", window="3"))


def test_nobody_ahead_and_nobody_served_yet_means_zero():
    """The first customer of the day: LES, HOL and the vendor formula all say 0."""
    view = feed(opening(), ev("09:00:00", "ticket.issued", ticket="A001", service="quick"))
    assert view.baselines("A001") == {"les": 0.0, "hol": 0.0, "vendor_recent": 0.0, "vendor_fixed": 0.0}


def test_les_hol_and_vendor_formula():
    """LES = wait of the last ticket called; HOL = elapsed wait of the head of the line; vendor = n x mean / windows."""
    view = feed(opening(),
                ev("09:00:00", "ticket.issued", ticket="A001", service="quick"),
                ev("09:00:10", "ticket.called", ticket="A001", window="1"),
                ev("09:01:00", "ticket.issued", ticket="A002", service="quick"),
                ev("09:01:30", "ticket.issued", ticket="B001", service="standard"),
                ev("09:02:00", "ticket.called", ticket="A002", window="2"),
                ev("09:03:00", "ticket.issued", ticket="A003", service="quick"))
    b = view.baselines("A003")
    assert b["les"] == 60.0  # A002: 09:01:00 -> 09:02:00
    assert b["hol"] == 90.0  # B001 heads the line, waiting since 09:01:30
    # One ahead (B001), two open windows serve quick (window 3 is complex only), no service
    # finished yet: the rolling mean falls back to the 5.5-min constant.
    assert b["vendor_fixed"] == pytest.approx(1 * FIXED_SERVICE_S / 2)
    assert b["vendor_recent"] == pytest.approx(1 * FIXED_SERVICE_S / 2)

    feed(view,
         ev("09:04:10", "ticket.served", ticket="A001", window="1"),  # 240 s at the window
         ev("09:05:00", "ticket.issued", ticket="C001", service="complex"))
    b = view.baselines("C001")
    # Ahead: B001 and A003 (windows 1 and 2 serve them too); three windows serve complex.
    assert b["vendor_recent"] == pytest.approx(2 * 240.0 / 3)
    assert b["vendor_fixed"] == pytest.approx(2 * FIXED_SERVICE_S / 3)
    assert b["hol"] == 210.0


def test_priority_ticket_sees_only_priority_tickets_ahead():
    """A priority newcomer is called before ordinary tickets: nobody ahead, HOL 0."""
    view = feed(opening(),
                ev("09:00:00", "ticket.issued", ticket="A001", service="quick"),
                ev("09:00:05", "ticket.issued", ticket="A002", service="quick", priority=True))
    assert view.line_ahead("A002") == []
    assert view.baselines("A002")["hol"] == 0.0
    assert [w.label for w in view.line_ahead("A001")] == ["A002"]


def test_transfer_counts_the_first_leg_as_a_service_and_waits_again():
    """A transfer ends a leg (its length feeds the rolling mean) and starts a new wait in the new service."""
    view = feed(opening(),
                ev("09:00:00", "ticket.issued", ticket="A001", service="quick"),
                ev("09:00:00", "ticket.called", ticket="A001", window="1"),
                ev("09:02:00", "ticket.transferred", ticket="A001", service="standard"),
                ev("09:02:30", "ticket.issued", ticket="A002", service="quick"))
    assert list(view.durations) == [120.0]
    assert view.baselines("A002")["hol"] == 30.0
    assert view.idle_windows() == 3


def test_a_new_day_clears_the_hall_but_keeps_the_rolling_mean():
    """hall.reset forgets waiting tickets and LES; the last 30 services stay, as in a vendor's box."""
    view = feed(opening(),
                ev("09:00:00", "ticket.issued", ticket="A001", service="quick"),
                ev("09:00:30", "ticket.called", ticket="A001", window="1"),
                ev("09:03:30", "ticket.served", ticket="A001"),
                ev("09:04:00", "ticket.issued", ticket="A002", service="quick"),
                ev("18:00:00", "hall.reset"),
                ev("18:00:00", "window.opened", window="1"),
                ev("18:01:00", "ticket.issued", ticket="A001", service="quick"))
    assert view.baselines("A001")["les"] == 0.0
    assert list(view.waiting) == ["A001"]
    assert list(view.durations) == [180.0]


def test_realised_waits_from_the_stream_match_the_simulator_truth():
    """Issue -> first call, read from the events, equals the truth file's called - issued."""
    sim_hall = sample_hall(10)
    windows = sim_hall_windows(sim_hall)
    config = hall_config(windows)
    scorer = Scorer(Hall(config), StreamView(dict(windows)), 900.0)
    day = simulate_day("normal", 11, hall=sim_hall)
    for obj in day.events:
        scorer.feed(parse_event(obj))
    scorer.finish()
    truth = {k: t["called"] - t["issued"] for k, t in day.tickets.items() if "called" in t}
    got = {r.label: r.realised for r in scorer.scored()}
    assert got.keys() == truth.keys()
    assert all(got[k] == pytest.approx(truth[k], abs=2e-3) for k in truth)
    assert len(scorer.issued) == len(day.tickets)
    flagged, long = scorer.care_soon_sets()
    assert long == {i for i, e in enumerate(scorer.episodes)
                    if (e.end - e.start).total_seconds() > 900.0}
    assert len(long) >= sum(w > 900 for w in truth.values())


def test_care_soon_flags_count_with_their_lead_time():
    """A flag at minute 12 counts as a prediction, but not as one made 5 minutes ahead of minute 15."""
    t0 = dt.datetime(2026, 11, 18, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    minute = dt.timedelta(minutes=1)
    scorer = Scorer(hall=None, view=None, care_first_s=900.0)  # type: ignore[arg-type]
    scorer.episodes = [
        Episode(t0, t0 + 16 * minute, flagged_at=t0),  # flagged at issue, came true
        Episode(t0, t0 + 16 * minute, flagged_at=t0 + 12 * minute),  # came true, flagged late
        Episode(t0, t0 + 5 * minute, flagged_at=t0 + minute),  # false alarm
        Episode(t0, t0 + 20 * minute),  # missed
        Episode(t0, t0 + 15 * minute),  # exactly 15 min is not over
    ]
    assert precision_recall(*scorer.care_soon_sets()) == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert precision_recall(*scorer.care_soon_sets(300.0)) == (0.5, pytest.approx(1 / 3))
    assert sorted(scorer.care_soon_lead_min()) == [3.0, 15.0]
