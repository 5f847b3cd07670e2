"""signage/fields.py: typed access to decoded content whose errors name the file and the dotted field."""

from __future__ import annotations

import pytest

from signage.errors import ContentError
from signage.fields import FieldReader


R = FieldReader("signage/x.yaml")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "banner.s: expected a number, got True"),
        ("8", "banner.s: expected a number, got '8'"),
        (float("nan"), "banner.s: must be a finite number, got nan"),
        (float("-inf"), "banner.s: must be a finite number, got -inf"),
        (0.5, "banner.s: must be at least 1, got 0.5"),
    ],
)
def test_number_refuses_text_flags_nan_and_small_values(value, message):
    """A number must be a finite int or float of at least the minimum; the error names file and field."""
    with pytest.raises(ContentError) as info:
        R.number({"s": value}, "s", "banner", 8.0, minimum=1)
    assert str(info.value) == f"signage/x.yaml: {message}"


def test_absent_values_take_their_defaults_and_empty_nodes_are_empty():
    """A missing key is the default; YAML's empty node (None) is an empty mapping or list."""
    assert R.number({}, "s", "", 8.0, minimum=1) == 8.0
    assert R.integer({}, "p", "", 0) == 0 and R.flag({}, "on", "", True) is True and R.text({}, "t", "") == ""
    assert R.mapping(None, "busy") == {} and R.seq(None, "tips") == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: R.integer({"p": 1.5}, "p", "slides[0]", 0), "slides[0].p: expected an integer, got 1.5"),
        (lambda: R.integer({"p": True}, "p", "slides[0]", 0), "slides[0].p: expected an integer, got True"),
        (lambda: R.flag({"chime": "yes"}, "chime", "", True), "chime: expected true or false, got 'yes'"),
        (lambda: R.text({"t": ["a"]}, "t", "qr[1]"), "qr[1].t: expected text, got ['a']"),
        (lambda: R.text({}, "t", "qr[1]", required=True), "qr[1].t: is required"),
        (lambda: R.mapping([1], "busy"), "busy: expected a mapping, got list"),
        (lambda: R.seq("a", "tips"), "tips: expected a list, got str"),
    ],
)
def test_wrong_types_name_the_field(call, message):
    """Each reader refuses the wrong YAML type with the dotted field in the message."""
    with pytest.raises(ContentError) as info:
        call()
    assert str(info.value) == f"signage/x.yaml: {message}"


def test_numbers_read_as_text():
    """A caption written as a number is its text (YAML reads 12 as an int)."""
    assert R.text({"t": 12}, "t", "") == "12" and R.text({"t": 1.5}, "t", "") == "1.5"
