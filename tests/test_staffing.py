"""staffing.py: "open more windows" at five per window, and the staffing advice with its hysteresis."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from server.arrival_profile import ArrivalProfile
from server.config_file import load_config
from server.events import parse_event
from server.hall import Hall
from server.queueing import erlang_c_tail
from server.simulator.day import simulate_day
from server.staffing import OPEN_DELAY_S, StaffingAdvisor

from tests.halltools import T0, at, config_with, ev, issue, kinds, make_hall, raised, staffing_config


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


# -- the forecast of the customers coming -------------------------------------------------------

RUSH_DAY = [6.0 * k for k in range(10)] + [60 + k / 2 for k in range(60)]
"""Minutes after 09:00 at which customers came on the earlier days: one every 6 minutes until
10:00 (3, 2, 3, 2 per quarter-hour), then a rush of 60 in half an hour."""


def _serve_day(hall: Hall, start: datetime, minutes: list[float], service_s: float = 180.0) -> None:
    """Eight windows open at ``start``; :func:`_come` the customers."""
    for w in range(1, 9):
        hall.receive(ev("window.opened", start, window=str(w)))
    _come(hall, start, minutes, service_s=service_s)


def _come(hall: Hall, start: datetime, minutes: list[float], prefix: str = "A", service_s: float = 180.0) -> None:
    """Quick customers issued at ``minutes`` after ``start``, each called at issue on the next window in
    turn and served ``service_s`` later (eight windows take one every 30 s without overlap); those
    whose service would end after the last issue are still at their windows."""
    last = start + timedelta(minutes=minutes[-1])
    for n, minute in enumerate(minutes, start=1):
        label, window, when = f"{prefix}{n:03}", str((n - 1) % 8 + 1), start + timedelta(minutes=minute)
        hall.receive(ev("ticket.issued", when, ticket=label, service="quick"))
        hall.receive(ev("ticket.called", when, ticket=label, window=window))
        if when + timedelta(seconds=service_s) <= last:
            hall.receive(ev("ticket.served", when + timedelta(seconds=service_s), ticket=label, window=window))


def _hall_after_rush_days(days: int, **staffing: float) -> tuple[Hall, datetime]:
    """A hall that has seen ``days`` days with the rush at 10:00; the next day's windows open at 09:00."""
    hall = make_hall(config=staffing_config(**staffing), advice=True)
    for day in range(days):
        _serve_day(hall, T0 + timedelta(days=day), RUSH_DAY)
    start = T0 + timedelta(days=days)
    for w in range(1, 9):
        hall.receive(ev("window.opened", start, window=str(w)))
    return hall, start


def _fewest_for(rate_per_s: float, mean_s: float, share: float = 0.05) -> int:
    """Erlang C's fewest windows for a newcomer's P(wait > 15 min) <= share."""
    s = 1
    while erlang_c_tail(s, rate_per_s * mean_s, mean_s, 900.0) > share:
        s += 1
    return s


def test_the_forecast_sees_a_rush_the_profile_knows_and_the_advice_rises_before_it():
    """At 09:45, the day so far as usual: the customers of 09:47-10:17 (after a window asked for now
    could open) are 2 x 13/15 of the quarter-hour still to come plus 30 x 17/15 of the rush; the
    advice is Erlang C's for that rate, above what the last 15 minutes' rate alone would ask."""
    ahead, start = _hall_after_rush_days(3)
    blind, _ = _hall_after_rush_days(3, lookahead_min=0)
    for hall in (ahead, blind):
        _come(hall, start, [6.0 * k for k in range(8)])  # 09:00-09:42 as on the earlier days
        hall.advance(start + timedelta(minutes=45))
    expected = (2 * 13 / 15 + 30 * 17 / 15) / 1800
    assert ahead.staffing.forecast_per_s(ahead.now) == pytest.approx(expected)
    mean_s = ahead.learned.window_cost_s("quick")
    assert ahead.staffing.needs(ahead.now)[1] == _fewest_for(expected, mean_s) >= 4
    assert blind.staffing.forecast_per_s(blind.now) == pytest.approx(2 / 900)  # 09:36 and 09:42
    assert ahead.staffing_advice() > blind.staffing_advice()


def test_a_first_day_is_advised_on_what_it_shows_and_one_days_profile_on_half_of_it():
    """With no earlier day the forecast is the last 15 minutes' rate and the advice Erlang C's for it;
    after one earlier day the profile's forecast has half the weight (full weight from two days)."""
    first, start = _hall_after_rush_days(0)
    minutes = [30.25 + k / 2 for k in range(30)]  # 09:30-09:45: two a minute
    _come(first, start, minutes)
    first.advance(start + timedelta(minutes=45))
    assert first.staffing.forecast_per_s(first.now) == pytest.approx(30 / 900)
    mean_s = first.learned.window_cost_s("quick")
    assert first.staffing.needs(first.now)[1] == _fewest_for(30 / 900, mean_s)

    one, start = _hall_after_rush_days(1)
    _come(one, start, minutes)
    one.advance(start + timedelta(minutes=45))
    now_s = 9 * 3600 + 45 * 60
    profile = one.arrival_profile.expected_per_s(now_s, now_s + OPEN_DELAY_S, now_s + OPEN_DELAY_S + 1800)
    assert profile is not None and abs(profile - 30 / 900) > 0.001  # the blend is not either alone
    assert one.staffing.forecast_per_s(one.now) == pytest.approx(0.5 * profile + 0.5 * 30 / 900)


def test_a_day_busier_than_the_profile_is_forecast_busier_and_advised_more_windows():
    """Three times the usual customers since 09:00 scale the profile's forecast up by (seen + 30) / (expected + 30);
    a surge in the last 15 minutes beyond even that counts at its rate less two standard deviations."""
    usual, start = _hall_after_rush_days(3)
    busy, _ = _hall_after_rush_days(3)
    _come(usual, start, [6.0 * k for k in range(8)])
    _come(busy, start, [1.75 * k for k in range(24)])  # 09:00-09:40, three times as many
    for hall in (usual, busy):
        hall.advance(start + timedelta(minutes=45))
    base = usual.staffing.forecast_per_s(usual.now)
    # Expected so far 3 + 2 + 3 = 8 (09:00-09:45), seen 24 (none yet in the quarter-hour from 09:45).
    scale = (24 + 30) / (8 + 30)
    assert busy.staffing.forecast_per_s(busy.now) == pytest.approx(base * scale)
    assert busy.staffing.needs(busy.now)[1] > usual.staffing.needs(usual.now)[1]

    surge, _ = _hall_after_rush_days(3)
    # 60 in 09:30-09:45
    _come(surge, start, [6.0 * k for k in range(5)] + [30.125 + k / 4 for k in range(60)], service_s=60)
    surge.advance(start + timedelta(minutes=45))
    assert surge.staffing.forecast_per_s(surge.now) == pytest.approx((60 - 2 * 60 ** 0.5) / 900)


def test_a_crowd_at_the_door_is_not_expected_a_second_time():
    """The current quarter-hour brings what earlier days had in it, less what has come already: after
    opening's crowd of 20 (of the usual 30 in 09:00-09:15), 10 more are expected in its last 13 minutes."""
    profile = ArrivalProfile()
    for _ in range(2):
        for i in range(20):
            profile.issued(9 * 3600 + i * 3, "quick")
        for i in range(10):
            profile.issued(9 * 3600 + 120 + i * 78, "quick")
        profile.end_day()
    for i in range(20):
        profile.issued(9 * 3600 + i * 3, "quick")
    now = 9 * 3600 + 120.0
    scale = (20 + 30) / (30 * 120 / 900 + 30)  # today's volume so far against the profile's
    assert profile.expected_per_s(now, now, 9 * 3600 + 900) == pytest.approx((30 * scale - 20) / 780)
    assert profile.forecast_per_s(now, 780) == pytest.approx(30 * 780 / 900 * scale / 780)  # the old, uniform one


def test_before_the_first_customer_the_mix_is_earlier_days_not_an_even_one():
    """At opening, with no ticket yet today, the mean window time of the customers coming is earlier days'
    mix (all quick here), not an even mix of the three services (which overstated it by half)."""
    hall, start = _hall_after_rush_days(2)
    hall.advance(start + timedelta(seconds=30))
    assert hall.arrival_profile.mix == {"quick": 1.0}
    assert hall.staffing.arrival_mix() == {"quick": 30.0}
    _come(hall, start + timedelta(minutes=1), [0], prefix="C")
    assert hall.staffing.arrival_mix() == {"quick": 31.0}


def test_the_forecasts_need_is_held_three_minutes_the_queues_ten():
    """A window the forecast no longer needs is advised closed after three minutes (once the surplus over
    the open count has lasted); one the queue needed stays advised ten minutes."""
    advisor = StaffingAdvisor(TEN_MIN, timedelta(minutes=3))
    assert advisor.update(2, 6, at(0), ahead=6) == 6
    assert advisor.update(2, 6, at(1), ahead=4) == 6
    assert advisor.update(2, 6, at(10), ahead=4) == 6  # the surplus over the open six has not lasted
    assert advisor.update(2, 6, at(11), ahead=4) == 4  # it has, from minute 1
    assert advisor.update(2, 4, at(12), ahead=3) == 4
    assert advisor.update(2, 4, at(14), ahead=3) == 3  # three minutes after the forecast needed 4
    queue = StaffingAdvisor(TEN_MIN, timedelta(minutes=3))
    assert queue.update(6, 2, at(0), ahead=2) == 6
    assert queue.update(2, 2, at(9), ahead=2) == 6
    assert queue.update(2, 2, at(10), ahead=2) == 2


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


def test_on_a_first_day_the_forecasts_need_is_held_as_long_as_the_queues():
    """With no profile the forecast is the last 15 minutes' count, as jumpy as the queue: after a surge its
    need is held ten minutes, not three (a first day had flapped 44 openings a day at month end)."""
    hall = make_hall(config=staffing_config(), advice=True)
    for w in range(1, 9):
        hall.receive(ev("window.opened", T0, window=str(w)))
    for n in range(120):  # 09:30-09:45: eight a minute, each called at once and served in 50 s
        when, label, window = T0 + timedelta(minutes=30.05 + n / 8), f"A{n + 1:03}", str(n % 8 + 1)
        hall.receive(ev("ticket.issued", when, ticket=label, service="quick"))
        hall.receive(ev("ticket.called", when, ticket=label, window=window))
        hall.receive(ev("ticket.served", when + timedelta(seconds=50), ticket=label, window=window))
    hall.advance(T0 + timedelta(minutes=49))
    surge_need = hall.staffing.needs(hall.now)[1]
    hall.advance(T0 + timedelta(minutes=58))
    now_need = hall.staffing.needs(hall.now)[1]
    assert now_need < surge_need - 2  # the surge has mostly left the last 15 minutes
    assert hall.staffing_advice() >= surge_need
