"""Staffing advice: the hysteresis, the arrival profile, and looking ahead with it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml

from server.arrival_profile import ArrivalProfile
from server.config_file import DEFAULT_CONFIG_PATH, parse_config
from server.errors import ConfigError
from server.staffing import StaffingAdvisor
from tests.halltools import T0, at, ev, make_hall

TEN_MIN = timedelta(minutes=10)


def _config(**staffing):
    data = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    data.setdefault("staffing", {}).update(staffing)
    return data


# -- the hysteresis ---------------------------------------------------------------------------

def test_a_window_advised_stays_advised_for_the_close_after_time():
    advisor = StaffingAdvisor(TEN_MIN)
    assert advisor.update(6, 4, at(0)) == 6
    assert advisor.update(4, 6, at(1)) == 6  # one quiet review does not undo the advice
    assert advisor.update(5, 6, at(9, 30)) == 6
    assert advisor.update(4, 6, at(11)) == 5  # the most the last 10 minutes needed
    assert advisor.update(4, 5, at(20)) == 4


def test_a_clerk_on_a_break_or_still_walking_over_does_not_lower_the_advice():
    advisor = StaffingAdvisor(TEN_MIN)
    assert advisor.update(8, 8, at(0)) == 8
    # A window closes for a break; the need computed with one window fewer is one lower.
    assert advisor.update(7, 7, at(2)) == 8
    assert advisor.update(7, 7, at(5)) == 8
    # Raised to 9: the window is still being opened (not open yet) and the need dips.
    assert advisor.update(9, 8, at(6)) == 9
    assert advisor.update(8, 8, at(7)) == 9


def test_windows_open_beyond_the_advice_are_kept_until_the_surplus_has_lasted():
    advisor = StaffingAdvisor(TEN_MIN)
    assert advisor.update(3, 8, at(0)) == 8
    assert advisor.update(3, 8, at(9, 30)) == 8
    assert advisor.update(3, 8, at(10)) == 3
    # A busy moment ends the surplus: the windows open are wanted again, for 10 minutes.
    assert advisor.update(9, 8, at(11)) == 9
    assert advisor.update(3, 9, at(15)) == 9


# -- the arrival profile ----------------------------------------------------------------------

def _day(profile, per_slot):
    for slot, count in per_slot.items():
        for i in range(count):
            profile.issued(slot * 900 + i * 900 / count)
    profile.end_day()


def test_the_profile_is_trusted_after_two_days_and_forecasts_the_coming_slots():
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


# -- the hall: looking ahead ------------------------------------------------------------------

def _hall_after_days_with_a_surge(config):
    """Three days on which 60 customers came between 10:00 and 10:30 and few before."""
    hall = make_hall(config=config, advice=True)
    for day in range(3):
        start = T0 + timedelta(days=day)
        for w in range(1, 9):
            hall.receive(ev("window.opened", start, window=str(w)))
        n = 0
        for minute in list(range(0, 60, 6)) + [60 + k / 2 for k in range(60)]:
            n += 1
            label = f"A{n:03}"
            when = start + timedelta(minutes=minute)
            hall.receive(ev("ticket.issued", when, ticket=label, service="quick"))
            hall.receive(ev("ticket.called", when, ticket=label, window="1"))
            hall.receive(ev("ticket.served", when + timedelta(seconds=20), ticket=label, window="1"))
    start = T0 + timedelta(days=3)
    for w in range(1, 9):
        hall.receive(ev("window.opened", start, window=str(w)))
    return hall, start


def test_the_advice_rises_before_a_surge_earlier_days_had():
    ahead, start = _hall_after_days_with_a_surge(_config())
    blind, _ = _hall_after_days_with_a_surge(_config(lookahead_min=0))
    for hall in (ahead, blind):
        hall.receive(ev("ticket.issued", start + timedelta(minutes=40), ticket="A001", service="quick"))
        hall.advance(start + timedelta(minutes=45))  # 09:45, nobody waiting yet
    assert ahead.staffing_advice() > blind.staffing_advice()


def test_the_arrival_profile_is_in_the_snapshot():
    hall, start = _hall_after_days_with_a_surge(_config())
    copy = make_hall(config=_config(), advice=True)
    copy.restore_snapshot(hall.export_snapshot())
    now = 36 * 900 + 45 * 60
    assert copy.arrival_profile.learned_days == 3
    assert copy.arrival_profile.forecast_per_s(now, 1800) == hall.arrival_profile.forecast_per_s(now, 1800)


def test_lookahead_is_configured_in_minutes_and_zero_turns_it_off():
    assert parse_config(_config()).staffing.lookahead_min == 30
    assert parse_config(_config(lookahead_min=0)).staffing.lookahead_min == 0
    with pytest.raises(ConfigError, match="staffing.lookahead_min"):
        parse_config(_config(lookahead_min=-5))


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_config_numbers_must_be_finite(value):
    """YAML's .nan and .inf parse as floats: they are refused, naming the setting."""
    with pytest.raises(ConfigError, match="staffing.lookahead_min.*finite"):
        parse_config(_config(lookahead_min=value))
    with pytest.raises(ConfigError, match="staffing.target_share.*finite"):
        parse_config(_config(target_share=value))


# -- open more windows --------------------------------------------------------------------------

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
