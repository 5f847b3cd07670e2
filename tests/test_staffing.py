"""staffing.py: "open more windows" at five per window, and the staffing advice with its hysteresis."""

from __future__ import annotations

from datetime import timedelta

from server.staffing import StaffingAdvisor

from tests.halltools import (at, config_with, ev, hall_after_days_with_a_surge, issue, kinds, make_hall, raised,
                             staffing_config)


# -- open more windows: five per window --------------------------------------------------------

def test_open_windows_raises_at_exactly_five_per_window():
    """9 waiting for 2 windows raises nothing; the 10th raises open_windows once."""
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
    assert hall.alerts_to_send() == []


def test_open_windows_resolves_below_four_per_window_not_before():
    """Between 4x and 5x the alert stays; below 4x it resolves; above 5x again it re-raises."""
    hall = make_hall(windows=1)
    for n in range(5):
        issue(hall, f"A{n:03}")
    assert kinds(hall.alerts_to_send()) == [("raised", "open_windows")]
    hall.receive(ev("ticket.called", at(1), ticket="A000", window="1"))
    assert hall.alerts_to_send() == []  # 4 waiting = 4 x 1: not below 4
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
    assert [(str(c), a.id) for c, a in changes if a.kind == "staffing"] == [("resolved", staffing[0].id)]


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
