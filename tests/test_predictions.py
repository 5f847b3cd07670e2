"""The hall's predictions: early care (care_soon), staffing advice, and estimates over the plan."""

from __future__ import annotations

from datetime import timedelta

import yaml

from server.config_file import DEFAULT_CONFIG_PATH
from server.simulator.day import simulate_day
from server.events import parse_event
from tests.halltools import T0, at, ev, kinds, make_hall


def _config(**changes):
    data = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    for section, values in changes.items():
        data.setdefault(section, {}).update(values)
    return data


def issue(hall, label, minute=0.0, service="quick", **fields):
    hall.receive(ev("ticket.issued", at(minute), ticket=label, service=service, **fields))


def raised(changes, kind):
    return [alert for change, alert in changes if str(change) == "raised" and alert.kind == kind]


# -- care_soon -------------------------------------------------------------------------------

def test_care_soon_is_raised_at_issue_for_a_ticket_likely_to_pass_15_minutes():
    """One window, three-minute services: the 9th in line expects ~27 min; the 2nd does not."""
    hall = make_hall(windows=1, advice=True)
    for n in range(1, 10):
        issue(hall, f"A{n:03}")
    soon = raised(hall.alerts_to_send(), "care_soon")
    labels = [a.ticket for a in soon]
    assert "A009" in labels and "A001" not in labels and "A002" not in labels
    alert = next(a for a in soon if a.ticket == "A009")
    assert alert.raised_at == T0 and alert.waited_s == 0
    assert alert.id == "2026-11-30:care_soon:A009"
    assert "A009" in alert.message and "15" in alert.message


def test_care_soon_gives_way_to_care_15_and_ends_with_the_call():
    hall = make_hall(windows=1, advice=True)
    for n in range(1, 10):
        issue(hall, f"A{n:03}")
    hall.alerts_to_send()
    hall.advance(at(15))
    changes = hall.alerts_to_send()
    resolved = {a.ticket for c, a in changes if str(c) == "resolved" and a.kind == "care_soon"}
    due = {a.ticket for a in raised(changes, "care_15")}
    assert resolved and resolved <= due  # each early warning ends as its visit comes due
    assert all(a.resolved_at == at(15) for c, a in changes if str(c) == "resolved" and a.kind == "care_soon")


def test_care_soon_resolves_when_windows_open_and_the_outlook_clears():
    hall = make_hall(windows=1, advice=True)
    for n in range(1, 10):
        issue(hall, f"A{n:03}")
    active = {a.ticket for a in raised(hall.alerts_to_send(), "care_soon")}
    for w in range(2, 9):
        hall.receive(ev("window.opened", at(1), window=str(w)))
    hall.advance(at(1, 30))  # the next review on the 30-second grid
    resolved = {a.ticket for c, a in hall.alerts_to_send() if str(c) == "resolved" and a.kind == "care_soon"}
    assert resolved == active


def test_care_soon_can_be_turned_off():
    hall = make_hall(windows=1, config=_config(alerts={"care_soon_probability": 0}), advice=True)
    for n in range(1, 10):
        issue(hall, f"A{n:03}")
    hall.advance(at(10))
    assert raised(hall.alerts_to_send(), "care_soon") == []


# -- staffing ---------------------------------------------------------------------------------

def test_staffing_advises_more_windows_for_a_long_queue_and_resolves_when_they_open():
    hall = make_hall(windows=2, advice=True)
    for n in range(1, 25):
        issue(hall, f"B{n:03}", service="standard")
    hall.advance(at(0, 30))
    staffing = raised(hall.alerts_to_send(), "staffing")
    assert len(staffing) == 1
    advice = staffing[0].recommended_windows
    assert advice > 2 and hall.staffing_advice() == advice
    assert staffing[0].open_windows == 2 and "B0" not in staffing[0].message
    for w in range(3, advice + 1):
        hall.receive(ev("window.opened", at(1), window=str(w)))
    changes = hall.alerts_to_send()
    assert [(str(c), a.id) for c, a in changes if a.kind == "staffing"] == [("resolved", staffing[0].id)]


def test_staffing_advises_closing_only_after_ten_minutes_of_surplus():
    hall = make_hall(windows=8, advice=True)
    issue(hall, "A001")
    hall.receive(ev("ticket.called", at(0, 10), ticket="A001", window="1"))
    hall.advance(at(9))
    assert raised(hall.alerts_to_send(), "staffing") == []  # a quiet hall, but not for long yet
    assert hall.staffing_advice() == 8
    hall.advance(at(10, 30))
    staffing = raised(hall.alerts_to_send(), "staffing")
    assert len(staffing) == 1 and staffing[0].recommended_windows < 8
    assert "8" in staffing[0].message


def test_staffing_respects_a_configured_minimum():
    config = _config(staffing={"minimums": [{"from": "09:00", "to": "10:00", "share": 0.5}]})
    hall = make_hall(windows=8, config=config, advice=True)
    issue(hall, "A001")
    hall.advance(at(20))
    assert hall.staffing_advice() == 4  # half of 8, however quiet


def test_open_windows_recommends_the_erlang_count_and_at_least_one_more():
    hall = make_hall(windows=2)
    for n in range(10):
        issue(hall, f"C{n:03}", service="complex")
    alert = raised(hall.alerts_to_send(), "open_windows")[0]
    # Ten 13-minute services for two windows: far more than floor(10 / 4) + 1 = 3.
    assert alert.recommended_windows > 3
    assert f"{alert.recommended_windows}" in alert.message


# -- estimates over the plan -------------------------------------------------------------------

def _day_with_lunch(hall, day):
    start = T0 + timedelta(days=day)
    for w in ("1", "2", "3", "4"):
        hall.receive(ev("window.opened", start, window=w))
    for w in ("3", "4"):
        hall.receive(ev("window.closed", start + timedelta(hours=3), window=w))
        hall.receive(ev("window.opened", start + timedelta(hours=4), window=w))
    for w in ("1", "2", "3", "4"):
        hall.receive(ev("window.closed", start + timedelta(hours=8), window=w))


def test_a_learned_lunch_closure_lengthens_estimates_made_before_lunch():
    hall = make_hall()
    for day in range(-3, 0):
        _day_with_lunch(hall, day)
    for w in ("1", "2", "3", "4"):
        hall.receive(ev("window.opened", at(0), window=w))
    before_lunch = at(170)  # 11:50
    for n in range(20):
        hall.receive(ev("ticket.issued", before_lunch, ticket=f"B{n:03}", service="standard"))
    with_plan = hall.estimates()["B019"][1].expected_s

    fresh = make_hall()
    for w in ("1", "2", "3", "4"):
        fresh.receive(ev("window.opened", at(0), window=w))
    for n in range(20):
        fresh.receive(ev("ticket.issued", before_lunch, ticket=f"B{n:03}", service="standard"))
    without_plan = fresh.estimates()["B019"][1].expected_s
    # 20 x 8 min over 4 windows is 40 min; with two of them at lunch from 12:00 it is much longer.
    assert with_plan > without_plan + 10 * 60


def test_the_newcomer_estimate_counts_tickets_of_other_services_that_share_the_windows():
    hall = make_hall(windows=1)
    for n in range(5):
        issue(hall, f"C{n:03}", service="complex")
    alone = make_hall(windows=1).newcomer_estimate("quick")
    behind = hall.newcomer_estimate("quick")
    assert behind.expected_s > alone.expected_s + 4 * 600


# -- determinism --------------------------------------------------------------------------------

def test_reviews_do_not_depend_on_how_often_the_clock_ticked():
    """A live hall ticked every second and a replay fed only the events agree on every alert."""
    day = simulate_day("month_end", seed=3, plan_scale=0.6)
    events = [parse_event(e) for e in day.events[:1500]]
    replay, live = make_hall(advice=True), make_hall(advice=True)
    for event in events:
        replay.receive(event)
    for event in events:
        if live.now is not None:
            t = live.now
            while t + timedelta(seconds=1) < event.at:
                t += timedelta(seconds=1)
                live.advance(t)
        live.receive(event)

    def summary(hall):
        return [(str(c), a.id, a.raised_at, a.resolved_at, a.recommended_windows) for c, a in hall.alerts_to_send()]

    expected = summary(replay)
    assert {k for _, k, *_ in expected} and any(":care_soon:" in k for _, k, *_ in expected)
    assert any(":staffing:" in k for _, k, *_ in expected)
    assert summary(live) == expected
    assert live.estimates() == replay.estimates()
