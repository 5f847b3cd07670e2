"""The Orchestra translator and its shared secret, from payloads written from qp-events' documented envelope."""

from __future__ import annotations

import base64
import json

import pytest
import yaml

from server.adapters.config_file import parse_adapter_config
from server.adapters.core import AdapterError
from server.adapters.orchestra import OrchestraConfig, secret_ok, translate
from server.errors import ConfigError
from server.events import parse_event

from tests.adapters.payloads import ORCHESTRA_YAML, event_schema_check, orchestra


NOW = "2026-12-07T09:30:00+01:00"


@pytest.fixture
def config() -> OrchestraConfig:
    cfg = parse_adapter_config("orchestra", yaml.safe_load(ORCHESTRA_YAML))
    assert isinstance(cfg, OrchestraConfig)
    return cfg


def one(body, config):
    events = translate(body, config, NOW)
    assert len(events) == 1
    assert parse_event(events[0].to_json()) == events[0]
    event_schema_check(events[0].to_json())
    return events[0].to_json()


def test_create_is_issued_in_its_mapped_queue_at_its_own_time(config):
    out = one(orchestra("VISIT_CREATE"), config)
    assert out == {"id": "orchestra:4711:VISIT_CREATE:2026-12-07T08:00:00.000+0000", "type": "ticket.issued",
                   "at": "2026-12-07T08:00:00+00:00", "ticket": "A012", "service": "quick"}


@pytest.mark.parametrize("name, extra, expected", [
    ("VISIT_CALL", {"servicePointId": 12}, {"type": "ticket.called", "window": "3"}),
    ("VISIT_END", {"servicePointId": 13}, {"type": "ticket.served", "window": "4"}),
    ("VISIT_END", {}, {"type": "ticket.served"}),
    ("VISIT_NOSHOW", {}, {"type": "ticket.no_show"}),
    ("VISIT_REMOVE", {}, {"type": "ticket.cancelled"}),
    ("VISIT_TRANSFER_TO_QUEUE", {"queueId": 4}, {"type": "ticket.transferred", "service": "standard"}),
])
def test_each_visit_event_maps_to_its_waitwell_type(config, name, extra, expected):
    out = one(orchestra(name, **extra), config)
    assert {k: out[k] for k in expected} == expected
    assert out["ticket"] == "A012" and out["id"] == f"orchestra:4711:{name}:2026-12-07T08:00:00.000+0000"


def test_service_points_open_and_close_their_window_and_reset_starts_a_day(config):
    opened = one(orchestra("SERVICE_POINT_OPEN", servicePointId=12), config)
    assert (opened["type"], opened["window"]) == ("window.opened", "3") and "services" not in opened
    closed = one(orchestra("SERVICE_POINT_CLOSE", servicePointId=13), config)
    assert (closed["type"], closed["window"]) == ("window.closed", "4")
    reset = one(orchestra("RESET", time="2026-12-08T05:00:00.000+0000"), config)
    assert reset["type"] == "hall.reset" and reset["id"] == "orchestra:1:RESET:2026-12-08T05:00:00.000+0000"


def test_no_personal_data_leaves_the_translator(config):
    text = json.dumps([one(orchestra(n, servicePointId=12), config)
                       for n in ("VISIT_CREATE", "VISIT_CALL", "VISIT_END")])
    for personal in ("Astrid", "Lindgren", "+46701234567", "astrid@example.se"):
        assert personal not in text


def test_redelivery_gives_the_same_id_and_a_later_call_another(config):
    call = orchestra("VISIT_CALL", servicePointId=12)
    assert one(call, config)["id"] == one(json.loads(json.dumps(call)), config)["id"]
    again = orchestra("VISIT_CALL", time="2026-12-07T08:03:00.000+0000", servicePointId=12)
    assert one(again, config)["id"] != one(call, config)["id"]


def test_other_events_and_other_branches_are_acknowledged_and_ignored(config):
    assert translate(orchestra("USER_SESSION_START", userId=1), config, NOW) == []
    assert translate(orchestra("VISIT_CONFIRM"), config, NOW) == []
    assert translate(orchestra("VISIT_CREATE", branchId=2), config, NOW) == []


@pytest.mark.parametrize("body, code, words", [
    (orchestra("VISIT_CALL", servicePointId=99), "unmapped_window", "'99'"),
    (orchestra("VISIT_CREATE", queueId=7), "unmapped_service", "'7'"),
    (orchestra("VISIT_CALL"), "missing_field", "parameters.servicePointId"),
    (orchestra("VISIT_CREATE", visitId=None), "missing_field", "parameters.visitId"),
    (orchestra("VISIT_CREATE", ticket=None), "missing_field", "parameters.ticket"),
    ({"eventName": "VISIT_CREATE", "parameters": {"visitId": 1}}, "missing_field", "eventTime"),
    (orchestra("VISIT_CREATE", time="yesterday"), "invalid_time", "eventTime"),
    ({"parameters": {}}, "missing_field", "eventName"),
    ([], "not_an_object", "object"),
])
def test_what_cannot_be_translated_names_the_field(config, body, code, words):
    with pytest.raises(AdapterError) as err:
        translate(body, config, NOW)
    assert err.value.code == code and words in err.value.message


def test_the_secret_is_taken_from_basic_auth_the_header_or_the_query():
    basic = "Basic " + base64.b64encode(b"waitwell:s3cret").decode()
    assert secret_ok("s3cret", basic, None, None)
    assert secret_ok("s3cret", None, "s3cret", None)
    assert secret_ok("s3cret", None, None, "s3cret")
    assert not secret_ok("s3cret", None, None, None)
    assert not secret_ok("s3cret", "Basic " + base64.b64encode(b"waitwell:wrong").decode(), "x", "y")
    assert not secret_ok("s3cret", "Basic !!notbase64", None, None)
    assert not secret_ok("s3cret", "Bearer s3cret", None, None)


def test_the_config_needs_a_secret_and_a_sane_branch():
    with pytest.raises(ConfigError, match="secret: missing"):
        parse_adapter_config("orchestra", {"services": {"3": "quick"}}, env={})
    assert parse_adapter_config("orchestra", {}, env={"WAITWELL_ORCHESTRA_SECRET": "e"}).secret == "e"  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match="branch: must be"):
        parse_adapter_config("orchestra", {"secret": "x", "branch": [1]})
