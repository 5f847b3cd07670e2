"""signage/state.py: the display.state wire message parsed into frozen values."""

from __future__ import annotations

import pytest
from lobby_helpers import CONTENT, T0, call, state_msg

from signage.calls import state_banner
from signage.content_files import load_screen
from signage.errors import InvalidState
from signage.state import parse_message, parse_state
from signage.view import build_view


def test_parse_state_reads_the_wire_example_and_ignores_extras():
    """The issue's example message parses; unknown fields are ignored and nulls kept."""
    msg = state_msg(17, busy=True)
    msg["future_field"] = {"x": 1}
    msg["services"][0]["colour"] = "red"
    s = parse_state(msg)
    assert s.seq == 17 and s.hall.name == "幸福路营业厅" and s.busy
    assert s.calls[0].ticket == "A023" and s.calls[2].recall
    complex_ = s.services[2]
    assert complex_.expected_wait_s is None and complex_.expected_wait_range_s is None


def test_unknown_message_types_are_ignored_and_bad_states_rejected():
    """Other message types give None; a display.state without seq raises InvalidState naming the field."""
    assert parse_message({"type": "staff.alert", "x": 1}) is None
    bad = state_msg()
    del bad["seq"]
    with pytest.raises(InvalidState, match="seq"):
        parse_message(bad)


def test_state_without_hall_time_is_shown_and_announces_nothing_on_resync():
    """A state with at=null (event clock, no event yet) parses; the view uses the wall clock; no banner on resync."""
    msg = state_msg(1, calls=[call("A001", "1", T0)])
    msg["at"] = None
    msg["hall"]["date"] = None
    s = parse_state(msg)
    assert s.at is None
    assert state_banner(s, s.at) is None
    v = build_view(s, elapsed_s=5, mono_now=0, wall_now=T0, screen=load_screen(CONTENT))
    assert v.header.time == "10:15"


def test_off_contract_values_read_as_the_browser_page_reads_them():
    """Counts that are not integers read 0, flags only true is true, a window of true is refused (display.js too)."""
    msg = state_msg(busy=False)
    msg.update(waiting_total="7", open_windows=2.5, alerts={"open_windows": 1})
    msg["calls"][0]["recall"] = "yes"
    s = parse_state(msg)
    assert (s.waiting_total, s.open_windows, s.busy, s.calls[0].recall) == (0, 0, False, False)
    msg["calls"][0]["window"] = True
    with pytest.raises(InvalidState, match=r"state.calls\[0\].window: expected str or int, got True"):
        parse_state(msg)
