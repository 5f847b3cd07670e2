"""window_plan.py: which windows will be open later today, configured or learned by time of day."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from server.window_plan import BREAK_S, WindowPlan, parse_hours

from tests.halltools import at, ev, make_hall


H = 3600


def _lunch_days(plan: WindowPlan, days: int) -> None:
    """Windows 1-4 open 9-17 with 3 and 4 closed for lunch 12-13."""
    for _ in range(days):
        for w in ("1", "2", "3", "4"):
            plan.opened(w, 9 * H)
        for w in ("3", "4"):
            plan.closed(w, 12 * H)
            plan.opened(w, 13 * H)
        for w in ("1", "2", "3", "4"):
            plan.closed(w, 17 * H)
        plan.end_day()


def test_plan_is_learned_by_time_of_day_after_two_days():
    """One day of lunch closures is not a habit; after two the plan expects windows 3 and 4 closed at 12:30."""
    plan = WindowPlan()
    _lunch_days(plan, 1)
    assert plan.expected_open("3", 12.5 * H) is None  # one day is not a habit yet
    _lunch_days(plan, 1)
    assert plan.expected_open("3", 12.5 * H) == 0.0
    assert plan.expected_open("3", 11.5 * H) == 1.0
    assert plan.expected_open("1", 12.5 * H) == 1.0
    assert plan.expected_open("1", 8 * H) == 0.0


def test_a_day_without_any_window_teaches_nothing():
    """A day on which no window opened (a holiday) is not counted as a learned day."""
    plan = WindowPlan()
    _lunch_days(plan, 2)
    plan.end_day()  # a holiday
    assert plan.learned_days == 2


def test_availability_keeps_today_and_adds_the_plans_changes():
    """A window open now follows the plan's coming closing and reopening; one opened beyond the plan stays open."""
    plan = WindowPlan()
    _lunch_days(plan, 3)
    for w in ("1", "2", "3", "4"):
        plan.opened(w, 9 * H)  # today as the plan has it: full trust
    now = 11.75 * H
    starts = plan.breakpoints(now, 4 * H)
    # Window 3 is open now and will close for lunch, then come back.
    avail = plan.availability("3", True, now, starts)
    at = dict(zip(starts, avail))
    assert at[0.0] == 1.0
    assert at[0.25 * H] == 0.0  # 12:00
    assert at[1.25 * H] == 1.0  # 13:00
    # Window 5 was opened today beyond the plan: it stays open.
    assert plan.availability("5", True, now, starts) == [1.0] * len(starts)


def test_a_window_closed_while_planned_open_is_expected_back_after_a_break():
    """A window closed while the plan has it open is expected back after BREAK_S."""
    plan = WindowPlan()
    _lunch_days(plan, 3)
    plan.opened("1", 9 * H)
    plan.closed("1", 10 * H)
    now = 10 * H + 60
    starts = plan.breakpoints(now, 2 * H)
    back = 10 * H + BREAK_S - now
    assert back in starts
    avail = dict(zip(starts, plan.availability("1", False, now, starts)))
    assert avail[0.0] == 0.0 and avail[back] == 1.0


def test_windows_open_at_closing_serve_out_the_queue():
    """Around closing, open windows stay open to serve out the queue and closed ones stay closed; lunch still closes."""
    plan = WindowPlan()
    _lunch_days(plan, 3)
    assert plan.closing_s() == 17 * H
    for now in (16.95 * H, 17.1 * H):  # a ticket just before closing, and one served late
        starts = plan.breakpoints(now, 3 * H)
        assert plan.availability("1", True, now, starts) == [1.0] * len(starts)
        assert plan.availability("2", False, now, starts) == [0.0] * len(starts)
    # Lunch still closes windows: the day's end is not any dip.
    starts = plan.breakpoints(11.75 * H, 2 * H)
    assert 0.0 in plan.availability("3", True, 11.75 * H, starts)


def test_a_part_time_window_does_not_end_the_day():
    """Window 9 works mornings; the others have no hours and no history yet: the day has no known end."""
    plan = WindowPlan({"9": [parse_hours("08:00-12:00")]}, windows=["1", "2", "9"])
    starts = plan.breakpoints(11.5 * H, 2 * H)
    avail = dict(zip(starts, plan.availability("9", True, 11.5 * H, starts)))
    assert avail[0.0] == 1.0 and avail[0.5 * H] == 0.0


def test_a_thin_afternoon_still_closes_windows_for_good_at_noon():
    """Ten windows 9-12 and four 12-17: the day ends at 17:00, and six windows go at noon."""
    plan = WindowPlan()
    for _ in range(3):
        for i in range(10):
            plan.opened(str(i), 9 * H)
            plan.closed(str(i), 17 * H if i < 4 else 12 * H)
        plan.end_day()
    assert plan.closing_s() == 17 * H
    starts = plan.breakpoints(11.5 * H, 2 * H)
    assert plan.availability("7", True, 11.5 * H, starts)[-1] == 0.0
    starts = plan.breakpoints(16.5 * H, 2 * H)
    assert plan.availability("1", True, 16.5 * H, starts) == [1.0] * len(starts)


def test_the_day_ends_where_the_serving_out_fade_begins():
    """Windows leave between 17:00 and 17:45 as their queues empty: the day's end is 17:00."""
    plan = WindowPlan()
    for _ in range(3):
        for i in range(10):
            plan.opened(str(i), 9 * H)
            plan.closed(str(i), 17 * H + i * 300)  # 17:00, 17:05, ... 17:45
        plan.end_day()
    assert plan.closing_s() == 17 * H


def test_a_reset_replayed_from_a_snapshot_closes_the_same_windows():
    """The hub snapshots before a hall.reset; a restart replays the reset on the restored hall."""
    live = make_hall(windows=3)
    live.receive(ev("ticket.issued", at(5), ticket="A001", service="quick"))
    snapshot = live.export_snapshot()
    live.receive(ev("hall.reset", at(10)))
    restored = make_hall(windows=0)
    restored.restore_snapshot(snapshot)
    restored.receive(ev("hall.reset", at(10)))
    assert restored.plan.export() == live.plan.export()
    assert live.plan.export()["closed_at"]  # the reset did close the three windows


def test_configured_closing_is_the_last_configured_hour():
    """With configured hours the day ends at the latest one; a window's earlier end still closes it."""
    plan = WindowPlan({"1": [parse_hours("08:55-12:00"), parse_hours("13:30-17:00")],
                       "2": [parse_hours("08:55-12:30")]})
    assert plan.closing_s() == 17 * H
    starts = plan.breakpoints(16.9 * H, 2 * H)
    assert plan.availability("1", True, 16.9 * H, starts) == [1.0] * len(starts)
    starts = plan.breakpoints(12.4 * H, 2 * H)
    assert plan.availability("2", True, 12.4 * H, starts)[-1] == 0.0  # window 2 still goes at 12:30


def test_availability_follows_a_window_closed_at_the_same_moment():
    """Answers are reused within one moment, never across a change of the plan."""
    plan = WindowPlan()
    _lunch_days(plan, 3)
    plan.opened("1", 9 * H)
    now = 10 * H
    starts = plan.breakpoints(now, 2 * H)
    before = plan.availability("1", False, now, starts)
    assert before == [0.0] * len(starts)  # closed with no record of when: not expected back
    plan.closed("1", now)
    starts = plan.breakpoints(now, 2 * H)
    assert BREAK_S in starts
    after = dict(zip(starts, plan.availability("1", False, now, starts)))
    assert after[BREAK_S] == 1.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(8 * H, 18 * H), st.sampled_from(["1", "3", "9"]), st.booleans()),
                min_size=1, max_size=12))
def test_remembered_availability_equals_a_fresh_answer(moments):
    """Reused answers (per moment, per slot shape) match a plan that has never answered before."""
    plan = WindowPlan()
    _lunch_days(plan, 3)
    plan.opened("1", 8 * H)
    plan.closed("1", 10 * H)
    for now, window, is_open in sorted(moments):
        starts = plan.breakpoints(now, 4 * H)
        fresh = WindowPlan()
        fresh.restore(plan.export())
        assert fresh.breakpoints(now, 4 * H) == starts
        assert plan.availability(window, is_open, now, starts) == fresh.availability(window, is_open, now, starts)


def test_a_restored_plan_forgets_what_it_answered_before():
    """Restoring another plan's export drops the answers remembered from the plan it replaces."""
    plan = WindowPlan()
    _lunch_days(plan, 3)
    starts = plan.breakpoints(11.75 * H, 2 * H)
    assert 0.0 in plan.availability("3", True, 11.75 * H, starts)  # lunch ahead
    flat = WindowPlan()
    for _ in range(3):
        flat.opened("3", 9 * H)
        flat.closed("3", 17 * H)
        flat.end_day()
    plan.restore(flat.export())
    assert plan.availability("3", True, 11.75 * H, starts) == [1.0] * len(starts)


def test_configured_hours_win_over_learning():
    """Configured hours decide when a window is open, and their edges are among the breakpoints."""
    plan = WindowPlan({"1": [parse_hours("08:55-12:00"), parse_hours("13:30-17:00")]})
    assert plan.expected_open("1", 12.5 * H) == 0.0
    assert plan.expected_open("1", 13.5 * H) == 1.0
    starts = plan.breakpoints(11.9 * H, 3 * H)
    assert 0.1 * H == pytest.approx(min(s for s in starts if s > 0))  # the 12:00 edge


def test_plan_export_restores_mid_day_and_folds_the_same_day():
    """A plan restored mid-day from an export ends the day into the same state as the live plan."""
    live = WindowPlan()
    _lunch_days(live, 2)
    live.opened("1", 9 * H)
    live.closed("1", 10 * H)
    live.opened("2", 9 * H)
    restored = WindowPlan()
    restored.restore(live.export())
    live.end_day()
    restored.end_day()
    assert restored.export() == live.export()


@pytest.mark.parametrize("spec", ["9-17", "12:00-11:00", "25:00-26:00", "08:60-09:00"])
def test_bad_hours_are_refused(spec):
    """Hours not written HH:MM-HH:MM, ending before they start, or with an impossible hour or minute are refused."""
    with pytest.raises(ValueError):
        parse_hours(spec)


# -- trust in proportion to evidence (issue 13) ---------------------------------------------------

def _today_opens(plan: WindowPlan, windows: tuple[str, ...], at_s: float = 9 * H) -> None:
    for w in windows:
        plan.opened(w, at_s)


def test_a_plan_with_one_day_of_evidence_is_half_believed():
    """After one lunch day, window 3 (open now, as the plan had it) is expected half open over lunch;
    after two days, closed: trust is days / TRUST_DAYS while today agrees."""
    one = WindowPlan()
    _lunch_days(one, 1)
    _today_opens(one, ("1", "2", "3", "4"))
    now = 11.75 * H
    assert one.trust("3", True, now) == 0.5
    starts = one.breakpoints(now, 4 * H)
    avail = dict(zip(starts, one.availability("3", True, now, starts)))
    assert avail[0.0] == 1.0
    assert avail[0.25 * H] == 0.5  # 12:00: 1 + 0.5 * (0 - 1)
    assert avail[1.25 * H] == 1.0  # 13:00: back
    two = WindowPlan()
    _lunch_days(two, 2)
    _today_opens(two, ("1", "2", "3", "4"))
    assert two.trust("3", True, now) == 1.0
    assert dict(zip(starts, two.availability("3", True, now, starts)))[0.25 * H] == 0.0


def test_a_day_that_departs_from_the_plan_loses_trust_at_once():
    """Window 4 does not open today (an absent clerk): by 10:00 its plan is believed at 1 / 4.3616,
    the five slots 09:00-10:00 weighing 1 + 0.8 + ... + 0.8^4 against one prior slot of agreement;
    the windows that opened as planned keep full trust, and the estimate leans on today's evidence more."""
    plan = WindowPlan()
    _lunch_days(plan, 3)
    _today_opens(plan, ("1", "2", "3"))
    now = 10 * H
    assert plan.trust("1", True, now) == 1.0
    assert plan.trust("4", False, now) == pytest.approx(1 / (1 + 3.3616), abs=1e-4)
    # A break is not a departure: window 1, closed ten minutes ago, counts as open now; only the
    # 09:45 slot it spent two thirds closed costs a little: (3.3616 - 0.8 * 2/3 + 1) / 4.3616.
    plan.closed("1", now - 600)
    assert plan.trust("1", False, now) == pytest.approx((3.3616 - 0.8 * 2 / 3 + 1) / 4.3616, abs=1e-4)


def test_a_plan_contradicted_over_lunch_is_believed_less():
    """Windows 3 and 4 stayed open over lunch today, against three days of lunch closures: at 12:45
    four slots (12:00-12:45, weights 0.8^3 ... 1) contradict the plan, the twelve before (09:00-11:45,
    weights 0.8^4 ... 0.8^15) agree: trust (1.9072 + 1) / (1.9072 + 2.952 + 1) = 0.496."""
    plan = WindowPlan()
    _lunch_days(plan, 3)
    _today_opens(plan, ("1", "2", "3", "4"))
    now = 12.75 * H
    disagree = 1 + 0.8 + 0.64 + 0.512
    agree = sum(0.8 ** k for k in range(4, 16))
    assert plan.trust("3", True, now) == pytest.approx((agree + 1) / (agree + disagree + 1), abs=1e-4)
    assert plan.trust("3", True, now) == pytest.approx(0.496, abs=1e-3)
    assert plan.trust("1", True, now) == 1.0  # window 1 did what the plan said


def test_configured_hours_are_fully_trusted_whatever_today_shows():
    """Configured hours are strong evidence: trust 1 even on a day that departs from them, and the
    availability follows them (window 1 closes at 12:00 as configured)."""
    plan = WindowPlan({"1": [parse_hours("09:00-12:00"), parse_hours("13:00-17:00")]}, windows=["1", "2"])
    _today_opens(plan, ("2",))  # window 1 late today
    now = 10 * H
    assert plan.trust("1", False, now) == 1.0
    assert plan.trust("2", True, now) == 0.0  # no hours, nothing learned: today's state is kept
    starts = plan.breakpoints(now, 4 * H)
    avail = dict(zip(starts, plan.availability("1", True, now, starts)))
    assert avail[0.0] == 1.0 and avail[2 * H] == 0.0 and avail[3 * H] == 1.0
    assert plan.availability("2", True, now, starts) == [1.0] * len(starts)


def test_with_no_plan_a_window_closed_in_the_day_is_expected_back_after_lunch():
    """A first day: windows 3 and 4 close at 12:00. At 12:30 each is expected back evenly between
    13:00 and 14:00 (RETURN_S after closing), judged at each segment's start; a window closed a
    moment ago is on a break, not at lunch, and is kept closed as before."""
    plan = WindowPlan()
    _today_opens(plan, ("1", "2", "3", "4"))
    plan.closed("3", 12 * H)
    now = 12.5 * H
    assert plan.trust("3", False, now) == 0.0
    starts = plan.breakpoints(now, 3 * H)
    avail = dict(zip(starts, plan.availability("3", False, now, starts)))
    assert [avail[k * 0.25 * H] for k in range(8)] == [0.0, 0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    plan.closed("4", now - 60)
    assert plan.availability("4", False, now, starts) == [0.0] * len(starts)
    # The answer is the same all slot long: the first segment is judged at the slot's start.
    later = now + 600
    assert plan.availability("3", False, later, plan.breakpoints(later, 3 * H))[0] == 0.0


def test_a_window_away_against_a_half_believed_plan_comes_back_as_far_as_the_plan_is_doubted():
    """One lunch day (12:00-13:00) learned; today window 3 goes to lunch at 13:00 instead. At 13:30
    the plan (open, nothing more to change) is believed at its trust, the lunch return (13:00-14:00
    after closing: 14:00-15:00) at the rest."""
    plan = WindowPlan()
    _lunch_days(plan, 1)
    _today_opens(plan, ("1", "2", "3", "4"))
    plan.closed("3", 13 * H)
    now = 13.5 * H
    trust = plan.trust("3", False, now)
    assert 0.0 < trust < 0.5
    starts = plan.breakpoints(now, 3 * H)
    avail = dict(zip(starts, plan.availability("3", False, now, starts)))
    assert avail[0.5 * H] == 0.0  # 14:00
    assert avail[1.0 * H] == pytest.approx((1 - trust) * 0.5)  # 14:30
    assert avail[1.5 * H] == pytest.approx(1 - trust)  # 15:00


def test_configured_hours_are_not_second_guessed_by_the_lunch_return():
    """A window closed against its configured hours is believed closed: no lunch return."""
    plan = WindowPlan({"1": [parse_hours("09:00-17:00")]}, windows=["1"])
    _today_opens(plan, ("1",))
    plan.closed("1", 12 * H)
    now = 13.5 * H
    starts = plan.breakpoints(now, 3 * H)
    assert plan.availability("1", False, now, starts) == [0.0] * len(starts)
