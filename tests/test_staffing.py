"""staffing.py: "open more windows" at five per window, and the staffing advice with its hysteresis."""

from __future__ import annotations

from datetime import timedelta

from server.config_file import load_config
from server.events import parse_event
from server.hall import Hall
from server.simulator.day import simulate_day
from server.staffing import StaffingAdvisor

from tests.halltools import (at, config_with, ev, hall_after_days_with_a_surge, issue, kinds, make_hall, raised,
                             staffing_config)


# -- open more windows: five per window --------------------------------------------------------

def test_open_windows_raises_at_exactly_five_per_window():
    """9 waiting for 2 windows raises nothing; the 10th raises open_windows once; the 11th updates it."""
    hall = make_hall(windows=2)
    for n in range(9):
        issue(hall, f"A{n:03}")
    assert hall.alerts_to_send() == []
    issue(hall, "A009")
    changes = hall.alerts_to_send()
    assert kinds(changes) == [("raised", "open_windows")]
    alert = changes[0][1]
    assert alert.ticket is None and alert.waiting == 10 and alert.open_windows == 2
    assert alert.recommended_windows == 3  # 10 waiting stay under 4 per window with 3 open
    issue(hall, "A010")
    changes = hall.alerts_to_send()
    assert kinds(changes) == [("updated", "open_windows")]
    assert changes[0][1].id == alert.id and changes[0][1].waiting == 11 and "11" in changes[0][1].message


def test_open_windows_resolves_below_four_per_window_not_before():
    """Between 4x and 5x the alert stays; below 4x it resolves; above 5x again it re-raises."""
    hall = make_hall(windows=1)
    for n in range(5):
        issue(hall, f"A{n:03}")
    assert kinds(hall.alerts_to_send()) == [("raised", "open_windows")]
    hall.receive(ev("ticket.called", at(1), ticket="A000", window="1"))
    assert kinds(hall.alerts_to_send()) == [("updated", "open_windows")]  # 4 waiting = 4 x 1: not below 4
    hall.receive(ev("ticket.called", at(2), ticket="A001", window="1"))
    assert kinds(hall.alerts_to_send()) == [("resolved", "open_windows")]
    issue(hall, "A005", 3)
    issue(hall, "A006", 3)
    changes = hall.alerts_to_send()
    assert kinds(changes) == [("raised", "open_windows")]
    assert changes[0][1].id.endswith(":2")


def test_open_windows_with_no_window_open_and_opening_resolves():
    """With no window open anyone waiting raises it; opening enough windows resolves it."""
    hall = make_hall(windows=0)
    issue(hall, "A001")
    assert kinds(hall.alerts_to_send()) == [("raised", "open_windows")]
    hall.receive(ev("window.opened", at(1), window="1"))
    assert kinds(hall.alerts_to_send()) == [("resolved", "open_windows")]


def test_open_windows_factors_are_configurable():
    """Raise and clear factors come from the config."""
    hall = make_hall(windows=1, config={"alerts": {"open_windows_per_window": 2,
                                                   "open_windows_clear_per_window": 1}})
    issue(hall, "A001")
    assert hall.alerts_to_send() == []
    issue(hall, "A002")
    assert kinds(hall.alerts_to_send()) == [("raised", "open_windows")]


def test_open_windows_recommends_the_erlang_count_and_at_least_one_more():
    """For long services open_windows recommends the Erlang count, above the four-per-window one, and names it."""
    hall = make_hall(windows=2)
    for n in range(10):
        issue(hall, f"C{n:03}", service="complex")
    alert = raised(hall.alerts_to_send(), "open_windows")[0]
    # Ten 13-minute services for two windows: far more than floor(10 / 4) + 1 = 3.
    assert alert.recommended_windows > 3
    assert f"{alert.recommended_windows}" in alert.message


def test_with_every_window_open_the_alert_does_not_ask_to_open_more():
    """8 of 8 windows open and still 5 per window: no "open 1 more (8 in all)"."""
    hall = make_hall(windows=8)
    assert len(hall.windows) == 8
    for n in range(40):
        hall.receive(ev("ticket.issued", at(0, n), ticket=f"A{n:03}", service="quick"))
    raised = [alert for change, alert in hall.alerts_to_send() if str(change) == "raised"]
    assert [str(a.kind) for a in raised] == ["open_windows"]
    alert = raised[0]
    assert alert.open_windows == 8 and alert.recommended_windows == 8
    assert "more" not in alert.message and "增开" not in alert.message
    assert "8" in alert.message and "all" in alert.message


# -- the hysteresis ----------------------------------------------------------------------------

TEN_MIN = timedelta(minutes=10)


def test_a_window_advised_stays_advised_for_the_close_after_time():
    """The advice rises at once but falls only to the most that the last ten minutes' reviews needed."""
    advisor = StaffingAdvisor(TEN_MIN)
    assert advisor.update(6, 4, at(0)) == 6
    assert advisor.update(4, 6, at(1)) == 6  # one quiet review does not undo the advice
    assert advisor.update(5, 6, at(9, 30)) == 6
    assert advisor.update(4, 6, at(11)) == 5  # the most the last 10 minutes needed
    assert advisor.update(4, 5, at(20)) == 4


def test_a_clerk_on_a_break_or_still_walking_over_does_not_lower_the_advice():
    """A dip in the need while a window is on a break or still being opened does not lower the advice."""
    advisor = StaffingAdvisor(TEN_MIN)
    assert advisor.update(8, 8, at(0)) == 8
    # A window closes for a break; the need computed with one window fewer is one lower.
    assert advisor.update(7, 7, at(2)) == 8
    assert advisor.update(7, 7, at(5)) == 8
    # Raised to 9: the window is still being opened (not open yet) and the need dips.
    assert advisor.update(9, 8, at(6)) == 9
    assert advisor.update(8, 8, at(7)) == 9


def test_windows_open_beyond_the_advice_are_kept_until_the_surplus_has_lasted():
    """Windows open beyond the need stay advised until the surplus has lasted ten minutes."""
    advisor = StaffingAdvisor(TEN_MIN)
    assert advisor.update(3, 8, at(0)) == 8
    assert advisor.update(3, 8, at(9, 30)) == 8
    assert advisor.update(3, 8, at(10)) == 3
    # A busy moment ends the surplus: the windows open are wanted again, for 10 minutes.
    assert advisor.update(9, 8, at(11)) == 9
    assert advisor.update(3, 9, at(15)) == 9


# -- the advice in the hall --------------------------------------------------------------------

def test_staffing_advises_more_windows_for_a_long_queue_and_resolves_when_they_open():
    """24 standard tickets at two windows raise one staffing alert; opening the advised windows resolves it."""
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
    # Each window opened is told on the same alert ("open 2 more" while 1 of 3 opened); the last resolves it.
    steps = [(str(c), a.id) for c, a in changes if a.kind == "staffing"]
    assert steps == [("updated", staffing[0].id)] * (advice - 3) + [("resolved", staffing[0].id)]


def test_staffing_advises_closing_only_after_ten_minutes_of_surplus():
    """Eight windows in a quiet hall: the advice to close some comes only after ten minutes of surplus."""
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
    """A configured minimum share of the windows holds the advice up, however quiet the hall."""
    config = config_with(staffing={"minimums": [{"from": "09:00", "to": "10:00", "share": 0.5}]})
    hall = make_hall(windows=8, config=config, advice=True)
    issue(hall, "A001")
    hall.advance(at(20))
    assert hall.staffing_advice() == 4  # half of 8, however quiet


def test_the_advice_rises_before_a_surge_earlier_days_had():
    """With lookahead the advice at 09:45 already rises for the surge earlier days had at 10:00."""
    ahead, start = hall_after_days_with_a_surge(staffing_config())
    blind, _ = hall_after_days_with_a_surge(staffing_config(lookahead_min=0))
    for hall in (ahead, blind):
        hall.receive(ev("ticket.issued", start + timedelta(minutes=40), ticket="A001", service="quick"))
        hall.advance(start + timedelta(minutes=45))  # 09:45, nobody waiting yet
    assert ahead.staffing_advice() > blind.staffing_advice()


# -- one number: the alerts follow the hall; nothing advised at closing -------------------------

def _close_all(hall, minute: float) -> None:
    for w in list(hall.windows):
        if hall.windows[w].open:
            hall.receive(ev("window.closed", at(minute), window=w))


def test_the_staffing_alert_follows_the_open_count_and_the_advice_in_place():
    """Opening some of the advised windows updates the same alert: its numbers and text say what is open now."""
    hall = make_hall(windows=2, advice=True)
    for n in range(1, 25):
        issue(hall, f"B{n:03}", service="standard")
    hall.advance(at(0, 30))
    alert = raised(hall.alerts_to_send(), "staffing")[0]
    advice = alert.recommended_windows
    assert advice >= 4
    hall.receive(ev("window.opened", at(1), window="3"))
    changes = [(c, a) for c, a in hall.alerts_to_send() if a.kind == "staffing"]
    assert kinds(changes) == [("updated", "staffing")] and changes[0][1].id == alert.id
    assert alert.open_windows == 3 == hall.open_window_count() and alert.recommended_windows == hall.staffing_advice()
    assert alert.updated_at == at(1) and f"现开 3 个" in alert.message and "3 open now" in alert.message


def test_a_step_of_the_held_advice_updates_the_alert_instead_of_raising_another():
    """As the held advice steps down a window at a time, one "may close" alert follows it: one ring, not one a step."""
    hall = make_hall(windows=8, advice=True)
    for n in range(1, 40):
        issue(hall, f"A{n:03}", minute=n * 0.25)
        hall.receive(ev("ticket.called", at(n * 0.25, 5), ticket=f"A{n:03}", window=str(1 + n % 8)))
        hall.receive(ev("ticket.served", at(n * 0.25, 50), ticket=f"A{n:03}", window=str(1 + n % 8)))
    told = []  # (change, id, advice) as each change went out
    for minute in range(10, 60):
        hall.advance(at(minute))
        told += [(str(c), a.id, a.recommended_windows) for c, a in hall.alerts_to_send() if a.kind == "staffing"]
    raised_ids = [i for c, i, _ in told if c == "raised"]
    assert len(raised_ids) == 1, told
    assert [c for c, _, _ in told] == ["raised"] + ["updated"] * (len(told) - 1)
    assert len({n for _, _, n in told}) >= 2  # the advice did step, and the same alert told each step
    assert hall.staffing_advice() == hall.alerts[raised_ids[0]].recommended_windows


def test_open_windows_never_asks_for_fewer_than_the_advice():
    """The five-per-window alert recommends at least the held staffing advice, and follows it when it rises."""
    hall = make_hall(windows=1, advice=True)
    for n in range(1, 7):
        issue(hall, f"C{n:03}", service="complex")
    hall.advance(at(0, 30))
    open_windows = [a for a in hall.active_alerts() if a.kind == "open_windows"]
    assert len(open_windows) == 1
    assert open_windows[0].recommended_windows >= hall.staffing_advice() > 1
    for n in range(7, 30):
        issue(hall, f"C{n:03}", 1, service="complex")
    hall.advance(at(1, 30))
    assert open_windows[0].recommended_windows >= hall.staffing_advice()
    assert open_windows[0].waiting == 29 and open_windows[0].active


def test_after_closing_with_nobody_waiting_nothing_is_advised_and_the_staffing_alert_resolves():
    """A busy afternoon ends: the queue is served, every window closes; the advice goes, its alert resolves,
    and no staffing alert comes in the half hour after (issue 12: one a minute, 17:11-17:16)."""
    hall = make_hall(windows=2, advice=True)
    for n in range(1, 25):
        issue(hall, f"B{n:03}", service="standard")
    hall.advance(at(0, 30))
    alert = raised(hall.alerts_to_send(), "staffing")[0]
    for n in range(1, 25):  # the last of the afternoon's queue, served in a rush
        label = f"B{n:03}"
        window = str(1 + n % 2)
        hall.receive(ev("ticket.called", at(1, n), ticket=label, window=window))
        hall.receive(ev("ticket.served", at(1, n + 1), ticket=label, window=window))
    assert not hall.waiting and alert.active  # nobody waits; the advice is held and two windows are open
    _close_all(hall, 2)
    changes = hall.alerts_to_send()
    assert ("resolved", alert.id) in [(str(c), a.id) for c, a in changes]
    assert hall.staffing_advice() is None
    for minute in range(3, 60):
        hall.advance(at(minute))
    assert [a for c, a in hall.alerts_to_send() if a.kind == "staffing"] == []
    assert hall.staffing_advice() is None and not [a for a in hall.active_alerts() if a.kind == "staffing"]
    # A customer after closing is somebody waiting: the advice (and the field rule) come back.
    issue(hall, "A900", 61)
    hall.advance(at(61, 30))
    assert hall.staffing_advice() is not None
    assert [a.kind for a in hall.active_alerts()] == ["open_windows", "staffing"]


def test_past_the_configured_closing_with_nobody_waiting_windows_still_open_get_no_advice():
    """Windows with configured hours give the hall a closing time: after it, with nobody waiting, no advice,
    even while clerks are still at their windows."""
    config = config_with()
    config["windows"] = [{"id": str(n), "hours": ["09:00-09:30"]} for n in range(1, 5)]
    hall = make_hall(windows=4, config=config, advice=True)
    issue(hall, "A001", 20)
    hall.advance(at(25))
    assert hall.staffing_advice() is not None  # before closing
    hall.receive(ev("ticket.called", at(26), ticket="A001", window="1"))
    hall.advance(at(29, 30))
    assert hall.staffing_advice() is not None
    hall.advance(at(31))
    assert hall.staffing_advice() is None and hall.open_window_count() == 4


def test_a_simulated_month_end_day_keeps_one_number_and_ends_without_advice():
    """Replaying a month-end day through its closing: after every event each active staffing alert says the
    hall's open count and advice, open_windows asks no fewer than the advice; once the last window has closed
    nothing is advised and no staffing alert is raised."""
    day = simulate_day("month_end", seed=1)
    hall = Hall(load_config())
    raised_staffing = 0
    closed_at = None
    for obj in day.events:
        hall.receive(parse_event(obj))
        for change, alert in hall.alerts_to_send():
            if alert.kind == "staffing" and str(change) == "raised":
                raised_staffing += 1
                assert closed_at is None, f"staffing alert {alert.id} raised after closing"
        advice = hall.staffing_advice()
        for alert in hall.active_alerts():
            if alert.kind == "staffing":
                assert (alert.open_windows, alert.recommended_windows) == (hall.open_window_count(), advice), alert
            elif alert.kind == "open_windows":
                assert alert.open_windows == hall.open_window_count() and alert.waiting == len(hall.waiting)
                assert alert.recommended_windows >= (advice or 0)
        if closed_at is None and hall.open_window_count() == 0 and hall.now.hour >= 17:
            closed_at = hall.now
    assert closed_at is not None and not hall.waiting
    assert hall.staffing_advice() is None
    end = hall.now
    for minute in range(1, 31):
        hall.advance(end + timedelta(minutes=minute))
    assert [a for c, a in hall.alerts_to_send() if a.kind == "staffing"] == []
    assert hall.staffing_advice() is None
    # Held advice stepping down used to ring each step: 56 staffing alerts on this day before.
    assert raised_staffing <= 25, raised_staffing
