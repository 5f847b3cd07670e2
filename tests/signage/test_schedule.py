"""signage/schedule.py: when a promotion may play (weekdays, hours incl. overnight, dates)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from lobby_helpers import TZ

from signage.errors import ContentError
from signage.fields import FieldReader
from signage.schedule import Schedule, parse_schedule


def test_schedule_overnight_window_belongs_to_the_day_it_starts():
    """A Friday 22:00–02:00 window plays Friday night and early Saturday, not early Friday."""
    s = Schedule(weekdays=frozenset({4}), hours=((time(22), time(2)),))
    fri = datetime(2026, 11, 27, tzinfo=TZ)  # a Friday
    assert s.active(fri.replace(hour=23))
    assert s.active(fri.replace(hour=1) + timedelta(days=1))
    assert not s.active(fri.replace(hour=1))
    assert not s.active(fri.replace(hour=12))


def test_schedule_date_range_is_inclusive():
    """from/until dates include both ends."""
    s = Schedule(start=date(2027, 2, 5), end=date(2027, 2, 12))
    assert s.active(datetime(2027, 2, 5, 0, 0, tzinfo=TZ)) and s.active(datetime(2027, 2, 12, 23, 59, tzinfo=TZ))
    assert not s.active(datetime(2027, 2, 13, 0, 0, tzinfo=TZ))


def _parse(value: object) -> Schedule:
    return parse_schedule(FieldReader("signage/playlist.yaml"), value, "slides[0].schedule")


def test_schedule_as_written_in_the_playlist():
    """Weekday names in any case, one or several hours ranges, dates as YAML dates or text."""
    s = _parse({"weekdays": ["Sat", "sunday"], "hours": ["17:30-09:00", "12:00-24:00"], "from": date(2027, 2, 5),
                "until": "2027-02-12"})
    assert s == Schedule(weekdays=frozenset({5, 6}), hours=((time(17, 30), time(9)), (time(12), time(0))),
                         start=date(2027, 2, 5), end=date(2027, 2, 12))
    assert _parse({"hours": "08:00-09:30"}).hours == ((time(8), time(9, 30)),)
    assert _parse(None) == Schedule()


def test_whole_day_range_plays_at_every_minute():
    """"00:00-24:00" is one overnight window covering the whole day."""
    s = _parse({"hours": ["00:00-24:00"]})
    assert all(s.active(datetime(2026, 11, 30, h, m, tzinfo=TZ)) for h in range(24) for m in (0, 59))


@pytest.mark.parametrize(
    ("value", "field", "message"),
    [
        ({"when": "always"}, "slides[0].schedule.when", "unknown schedule field"),
        ({"weekdays": ["funday"]}, "slides[0].schedule.weekdays[0]", "not a weekday: 'funday'"),
        ({"hours": ["9:00-25:00"]}, "slides[0].schedule.hours[0]", "expected HH:MM-HH:MM, got '9:00-25:00'"),
        ({"hours": ["09:60-10:00"]}, "slides[0].schedule.hours[0]", "expected HH:MM-HH:MM"),
        ({"from": "soon"}, "slides[0].schedule.from", "expected a date YYYY-MM-DD, got 'soon'"),
        ({"from": datetime(2027, 2, 5, 10)}, "slides[0].schedule.from", "without a time, got 2027-02-05 10:00:00"),
        ({"from": "2027-02-12", "until": "2027-02-05"}, "slides[0].schedule.until", "2027-02-05 is before from: 2027-02-12"),
    ],
)
def test_schedule_errors_name_the_field(value, field, message):
    """A schedule that cannot be read names its dotted field in playlist.yaml."""
    with pytest.raises(ContentError) as info:
        _parse(value)
    assert info.value.field == field and message in info.value.message
