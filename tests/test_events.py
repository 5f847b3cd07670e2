"""The event parser: every type, every kind of bad input, and properties over arbitrary JSON."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.errors import InvalidEvent
from server.events import MAX_ID_LENGTH, EventType, parse_event, parse_json

from tests.halltools import raw


VALID = {
    "ticket.issued": {"ticket": "A001", "service": "quick"},
    "ticket.called": {"ticket": "A001", "window": "3"},
    "ticket.recalled": {"ticket": "A001", "window": "3"},
    "ticket.served": {"ticket": "A001"},
    "ticket.no_show": {"ticket": "A001"},
    "ticket.cancelled": {"ticket": "A001"},
    "ticket.transferred": {"ticket": "A001", "service": "standard"},
    "window.opened": {"window": "3"},
    "window.closed": {"window": "3"},
    "clock.tick": {},
    "hall.reset": {},
}


def test_every_event_type_is_covered():
    """The table of valid examples names every type the protocol has."""
    assert set(VALID) == {str(t) for t in EventType}


@pytest.mark.parametrize("type_", sorted(VALID))
def test_each_type_parses_and_round_trips(type_):
    """A valid event of each type parses, and its canonical form parses to the same event."""
    event = parse_event(raw(type_, **VALID[type_]))
    assert event.type == type_
    assert parse_event(event.to_json()) == event


def test_optional_fields():
    """priority, services and served's window are optional and typed."""
    issued = parse_event(raw("ticket.issued", ticket="A1", service="quick", priority=True))
    assert issued.priority is True
    opened = parse_event(raw("window.opened", window="2", services=["quick", "standard", "quick"]))
    assert opened.services == ("quick", "standard")
    served = parse_event(raw("ticket.served", ticket="A1", window=4))
    assert served.window == "4"


def test_z_suffix_and_offsets_are_accepted():
    """'Z' and numeric offsets both make an aware timestamp."""
    event = parse_event({"id": "1", "type": "clock.tick", "at": "2026-11-30T01:00:00Z"})
    assert event.at == datetime.fromisoformat("2026-11-30T09:00:00+08:00")


@pytest.mark.parametrize(("obj", "code", "fragment"), [
    ([1, 2], "not_an_object", "JSON object"),
    ("text", "not_an_object", "JSON object"),
    ({"type": "clock.tick", "at": "2026-11-30T09:00:00+08:00"}, "missing_field", "'id'"),
    ({"id": "1", "at": "2026-11-30T09:00:00+08:00"}, "missing_field", "'type'"),
    ({"id": "1", "type": "ticket.teleported", "at": "2026-11-30T09:00:00+08:00"}, "unknown_type", "teleported"),
    ({"id": "1", "type": "clock.tick"}, "missing_field", "'at'"),
    ({"id": "1", "type": "clock.tick", "at": "2026-11-30T09:00:00"}, "naive_timestamp", "UTC offset"),
    ({"id": "1", "type": "clock.tick", "at": "yesterday"}, "invalid_timestamp", "ISO-8601"),
    ({"id": "1", "type": "clock.tick", "at": 1764464400}, "invalid_field", "'at'"),
    ({"id": "1", "type": "ticket.issued", "at": "2026-11-30T09:00:00+08:00", "ticket": "A1"},
     "missing_field", "'service'"),
    ({"id": "1", "type": "ticket.called", "at": "2026-11-30T09:00:00+08:00", "ticket": ["A1"], "window": "1"},
     "invalid_field", "'ticket'"),
    ({"id": "1", "type": "ticket.called", "at": "2026-11-30T09:00:00+08:00", "ticket": "A1", "window": ""},
     "invalid_field", "'window'"),
    ({"id": "1", "type": "ticket.issued", "at": "2026-11-30T09:00:00+08:00", "ticket": "A1",
      "service": "q", "priority": "yes"}, "invalid_field", "'priority'"),
    ({"id": "1", "type": "window.opened", "at": "2026-11-30T09:00:00+08:00", "window": "1",
      "services": "quick"}, "invalid_field", "'services'"),
    ({"id": "x" * (MAX_ID_LENGTH + 1), "type": "clock.tick", "at": "2026-11-30T09:00:00+08:00"},
     "field_too_long", "'id'"),
    ({"id": "1", "type": "ticket.no_show", "at": "2026-11-30T09:00:00+08:00", "ticket": "A" * 10_000},
     "field_too_long", "'ticket'"),
    ({"id": True, "type": "clock.tick", "at": "2026-11-30T09:00:00+08:00"}, "invalid_field", "'id'"),
])
def test_bad_events_are_rejected_with_a_named_reason(obj, code, fragment):
    """Each malformed event raises InvalidEvent whose code and message name the problem."""
    with pytest.raises(InvalidEvent) as info:
        parse_event(obj)
    assert info.value.code == code
    assert fragment in info.value.message


def test_not_json_is_named():
    """Text that is not JSON is rejected as invalid_json."""
    with pytest.raises(InvalidEvent) as info:
        parse_json("{not json")
    assert info.value.code == "invalid_json"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_parser_never_fails_other_than_invalid_event(value):
    """Arbitrary JSON either parses or raises InvalidEvent with a code and a message."""
    try:
        parse_event(value)
    except InvalidEvent as exc:
        assert exc.code and exc.message


event_like = st.fixed_dictionaries(
    {"id": st.text(min_size=1, max_size=10), "type": st.sampled_from(sorted(VALID)),
     "at": st.sampled_from(["2026-11-30T09:00:00+08:00", "2026-11-30T09:00:00Z", "2026-11-30 09:00",
                            "nope", ""])},
    optional={"ticket": st.one_of(st.text(max_size=70), st.integers(), st.none()),
              "service": st.text(max_size=5), "window": st.one_of(st.text(max_size=3), st.integers()),
              "priority": st.one_of(st.booleans(), st.integers()),
              "services": st.one_of(st.lists(st.text(max_size=4), max_size=3), st.text(max_size=3))})


@settings(max_examples=500, deadline=None)
@given(event_like)
def test_near_valid_events_parse_to_their_canonical_form(obj):
    """Events close to valid either fail cleanly or parse to a form that re-parses identically."""
    try:
        event = parse_event(obj)
    except InvalidEvent as exc:
        assert exc.code in {"missing_field", "invalid_field", "field_too_long", "invalid_timestamp",
                            "naive_timestamp"}
        return
    assert event.at.tzinfo is not None
    canonical = event.to_json()
    assert parse_event(json.loads(json.dumps(canonical))) == event


@pytest.mark.parametrize("text", ["[" * 5000 + "]" * 5000, '{"a":' * 5000 + "1" + "}" * 5000])
def test_deeply_nested_json_is_invalid_json_not_a_crash(text):
    """JSON nested 5,000 deep is rejected as invalid_json naming the depth, not a RecursionError."""
    with pytest.raises(InvalidEvent) as info:
        parse_json(text)
    assert info.value.code == "invalid_json"
    assert "deep" in info.value.message


def test_nesting_up_to_the_limit_still_parses():
    """Structures nested as deep as the documented limit decode as usual."""
    from server.events import MAX_JSON_DEPTH

    assert parse_json("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) is not None
    with pytest.raises(InvalidEvent):
        parse_json("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))


@pytest.mark.parametrize("stamp", [
    "0001-01-01T00:00:00+14:00",   # before year 1 in UTC
    "9999-12-31T20:00:00+00:00",   # after year 9999 in the hall's zone (+08:00)
    "9999-12-31T23:59:59-12:00",   # after year 9999 in UTC
    "1969-12-31T23:59:59Z",
    "9999-01-01T00:00:00Z",
    "0001-01-01T00:00:00Z",
])
def test_timestamp_outside_the_supported_years_is_rejected(stamp):
    """An 'at' that parses but lies outside 1970-9998 (UTC) is invalid_timestamp, out of range."""
    with pytest.raises(InvalidEvent) as info:
        parse_event({"id": "1", "type": "clock.tick", "at": stamp})
    assert info.value.code == "invalid_timestamp"
    assert "out of range" in info.value.message and "1970" in info.value.message


@pytest.mark.parametrize("stamp", ["1970-01-01T00:00:00Z", "1970-01-01T08:00:00+08:00",
                                   "9998-12-31T23:59:59.999999Z", "9999-01-01T07:59:59+08:00"])
def test_timestamps_at_the_edges_of_the_range_are_accepted(stamp):
    """The first and last instants of the supported range (in UTC) parse and convert anywhere."""
    event = parse_event({"id": "1", "type": "clock.tick", "at": stamp})
    for hours in (-23, 14, 23):
        event.at.astimezone(timezone(timedelta(hours=hours)))


def test_brackets_inside_strings_do_not_count_as_nesting():
    """Brackets and escaped quotes inside strings are text, not depth."""
    text = '{"id": "' + '[{\\"' * 100 + '", "type": "clock.tick"}'
    assert parse_json(text)["type"] == "clock.tick"


def test_depth_check_is_linear_on_unterminated_escaped_quotes():
    """A frame of many escaped quotes is judged in well under a second (a quadratic scan took 20 s)."""
    import time

    start = time.perf_counter()
    with pytest.raises(InvalidEvent):
        parse_json("[" * 40 + '"' + '\\"' * 30_000)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("field", ["id", "ticket", "service", "window"])
def test_lone_surrogate_in_a_label_is_rejected(field):
    """A label holding a lone surrogate (sent as a \\ud800 escape) is not text: invalid_field names it."""
    obj = raw("ticket.called", ticket="A1", window="1", service="quick")
    obj["type"] = "ticket.issued" if field == "service" else "ticket.called"
    obj[field] = "A\ud800"
    with pytest.raises(InvalidEvent) as info:
        parse_event(json.loads(json.dumps(obj)))
    assert info.value.code == "invalid_field"
    assert repr(field) in info.value.message and "surrogate" in info.value.message


@pytest.mark.parametrize("item", ["\udfff", "quick\x00", "a\nb"])
def test_services_items_are_checked_like_labels(item):
    """A services item with a lone surrogate or a control character is rejected, as a label would be."""
    with pytest.raises(InvalidEvent) as info:
        parse_event(raw("window.opened", window="1", services=["quick", item]))
    assert info.value.code == "invalid_field" and "'services'" in info.value.message
