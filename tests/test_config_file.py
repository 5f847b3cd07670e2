"""config_file.py: the hall config file read into settings, with errors that name the setting."""

from __future__ import annotations

import pytest

from server.config_file import parse_config
from server.errors import ConfigError

from tests.halltools import staffing_config


def test_lookahead_is_configured_in_minutes_and_zero_turns_it_off():
    """staffing.lookahead_min is 30 in the sample, may be 0, and a negative value is refused, naming it."""
    assert parse_config(staffing_config()).staffing.lookahead_min == 30
    assert parse_config(staffing_config(lookahead_min=0)).staffing.lookahead_min == 0
    with pytest.raises(ConfigError, match="staffing.lookahead_min"):
        parse_config(staffing_config(lookahead_min=-5))


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_config_numbers_must_be_finite(value):
    """YAML's .nan and .inf parse as floats: they are refused, naming the setting."""
    with pytest.raises(ConfigError, match="staffing.lookahead_min.*finite"):
        parse_config(staffing_config(lookahead_min=value))
    with pytest.raises(ConfigError, match="staffing.target_share.*finite"):
        parse_config(staffing_config(target_share=value))
