"""arrival_profile.py: how many customers come at each time of day, learned from earlier days."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from server.arrival_profile import ArrivalProfile

from tests.halltools import hall_after_days_with_a_surge, make_hall, staffing_config


def _day(profile, per_slot):
    for slot, count in per_slot.items():
        for i in range(count):
            profile.issued(slot * 900 + i * 900 / count)
    profile.end_day()


def test_the_profile_is_trusted_after_two_days_and_forecasts_the_coming_slots():
    """After two days the profile forecasts the coming half hour from the same slots of earlier days."""
    profile = ArrivalProfile()
    surge = {36: 10, 37: 10, 44: 40, 45: 40}  # 09:00-09:30 quiet, 11:00-11:30 busy
    _day(profile, surge)
    assert profile.forecast_per_s(44 * 900, 1800) is None
    _day(profile, surge)
    for i in range(20):  # today so far as usual
        profile.issued(36 * 900 + i * 90)
    assert profile.forecast_per_s(44 * 900, 1800) == pytest.approx(80 / 1800)
    # A quarter of an hour ahead of the surge, the half-hour forecast already sees half of it.
    assert profile.forecast_per_s(43 * 900, 1800) == pytest.approx(40 / 1800)
    assert profile.forecast_per_s(40 * 900, 1800) == 0.0


def test_the_forecast_follows_todays_volume():
    """A busier morning than usual raises the forecast, at most doubled; a nearly empty one at most halves it."""
    def today(per_slot):
        profile = ArrivalProfile()
        for _ in range(3):
            _day(profile, {slot: 20 for slot in range(36, 68)})
        for slot in range(36, 44):  # 09:00-11:00
            for i in range(per_slot):
                profile.issued(slot * 900 + i * 900 / per_slot)
        return profile.forecast_per_s(44 * 900, 900)

    usual, busy = today(20), today(40)
    assert usual == pytest.approx(20 / 900)
    assert 1.5 * usual < busy <= 2.0 * usual
    assert today(2) == pytest.approx(0.5 * usual)  # a nearly empty morning: at most halved


def test_the_profile_survives_export_and_restore_with_todays_record():
    """An exported profile, today's record included, restores to the same forecast and the same next day."""
    profile = ArrivalProfile()
    _day(profile, {40: 12})
    _day(profile, {40: 8})
    profile.issued(40 * 900)
    copy = ArrivalProfile()
    copy.restore(profile.export())
    assert copy.forecast_per_s(40 * 900, 900) == profile.forecast_per_s(40 * 900, 900)
    profile.end_day()
    copy.end_day()
    assert copy.export() == profile.export()


def test_the_arrival_profile_is_in_the_snapshot():
    """A hall's snapshot carries its arrival profile: the restored hall forecasts as the live one."""
    hall, start = hall_after_days_with_a_surge(staffing_config())
    copy = make_hall(config=staffing_config(), advice=True)
    copy.restore_snapshot(hall.export_snapshot())
    now = 36 * 900 + 45 * 60
    assert copy.arrival_profile.learned_days == 3
    assert copy.arrival_profile.forecast_per_s(now, 1800) == hall.arrival_profile.forecast_per_s(now, 1800)


@given(st.lists(st.integers(min_value=0, max_value=60), min_size=96, max_size=96),
       st.floats(min_value=-10.0, max_value=90_000.0, allow_nan=False))
@settings(max_examples=200, deadline=None)
def test_expected_since_midnight_is_the_slot_by_slot_sum(counts, to_s):
    """Today's scale reads running totals: the same number as summing the slots one by one."""
    profile = ArrivalProfile()
    for day in range(3):
        for slot, n in enumerate(counts):
            for _ in range((n + day) % 61):
                profile.issued(slot * 900 + 1)
        profile.end_day()
    assert profile._expected_since_midnight(to_s) == profile._expected(0.0, to_s)
