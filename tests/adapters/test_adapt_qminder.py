"""The Qminder translator and signature check, from payloads written from Qminder's webhook docs."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
import yaml

from server.adapters.config_file import parse_adapter_config
from server.adapters.core import AdapterError
from server.adapters.qminder import QminderConfig, QminderState, signature_ok, translate
from server.events import parse_event

from tests.adapters.payloads import event_schema_check, CALLED, QMINDER_YAML, qminder


NOW = "2020-05-15T03:30:00+03:00"


@pytest.fixture
def config() -> QminderConfig:
    cfg = parse_adapter_config("qminder", yaml.safe_load(QMINDER_YAML))
    assert isinstance(cfg, QminderConfig)
    return cfg


def one(body, config, state=None):
    events = translate(body, config, state if state is not None else QminderState(), NOW)
    assert len(events) == 1
    assert parse_event(events[0].to_json()) == events[0]
    event_schema_check(events[0].to_json())
    return events[0].to_json()


def test_created_is_issued_under_its_public_id_in_its_line(config):
    out = one(qminder("ticket_created"), config)
    assert out == {"id": "qminder:ticket_created:123456789:2020-05-15T00:15:24Z", "type": "ticket.issued",
                   "at": "2020-05-15T00:15:24+00:00", "ticket": "A-42", "service": "quick"}


def test_no_personal_data_leaves_the_translator(config):
    text = json.dumps(one(qminder("ticket_called", status="CALLED", called=CALLED), config))
    for personal in ("Jane", "Eyre", "12125551234", "jane@example.com", "EE12"):
        assert personal not in text


def test_called_recalled_served_carry_the_desks_window(config):
    called = one(qminder("ticket_called", status="CALLED", called=CALLED), config)
    assert (called["type"], called["window"], called["at"]) == ("ticket.called", "3", "2020-05-15T00:20:04+00:00")
    recalled = one(qminder("ticket_recalled", status="CALLED", called={**CALLED, "desk": 4}), config)
    assert (recalled["type"], recalled["window"]) == ("ticket.recalled", "4")
    # No recall time in the documented payload: the receive time, and an id from the content.
    assert recalled["at"] == NOW and recalled["id"].startswith("qminder:ticket_recalled:123456789:")
    served = one(qminder("ticket_served", status="SERVED", called=CALLED,
                         served={"date": "2020-05-15T00:31:00Z"}), config)
    assert (served["type"], served["window"], served["at"]) == ("ticket.served", "3", "2020-05-15T00:31:00+00:00")


def test_cancelled_is_cancelled(config):
    out = one(qminder("ticket_cancelled", status="CANCELLED_BY_CLERK"), config)
    assert out["type"] == "ticket.cancelled" and out["ticket"] == "A-42"


def test_a_ticket_without_public_id_is_shown_by_its_id(config):
    body = qminder("ticket_created")
    del body["data"]["publicId"]  # type: ignore[attr-defined]
    assert one(body, config)["ticket"] == "123456789"


def test_changed_to_noshow_is_a_no_show(config):
    assert one(qminder("ticket_changed", status="NOSHOW"), config)["type"] == "ticket.no_show"


def test_changed_line_is_a_transfer_and_other_changes_are_ignored(config):
    state = QminderState()
    one(qminder("ticket_created"), config, state)
    assert translate(qminder("ticket_changed", lastName="Rochester"), config, state, NOW) == []
    moved = one(qminder("ticket_changed", line=37339), config, state)
    assert (moved["type"], moved["service"]) == ("ticket.transferred", "standard")
    # Delivered again, or edited again in its new line, it is no second transfer.
    assert translate(qminder("ticket_changed", line=37339), config, state, NOW) == []


def test_redelivery_gives_the_same_id(config):
    body = qminder("ticket_recalled", status="CALLED", called=CALLED)
    assert one(body, config)["id"] == one(json.loads(json.dumps(body)), config)["id"]


def test_location_and_line_webhooks_are_acknowledged_and_ignored(config):
    assert translate({"type": "line_changed", "data": {"id": 37338}}, config, QminderState(), NOW) == []


@pytest.mark.parametrize("body, code, words", [
    (qminder("ticket_called", called={**CALLED, "desk": 9}), "unmapped_window", "'9'"),
    (qminder("ticket_created", line=99), "unmapped_service", "'99'"),
    (qminder("ticket_called"), "missing_field", "data.called.desk"),
    ({"type": "ticket_teleported", "data": {}}, "unknown_type", "ticket_teleported"),
    ({"type": "ticket_created"}, "missing_field", "'data'"),
    ({"type": "ticket_created", "data": {"line": 37338}}, "missing_field", "data.id"),
])
def test_what_cannot_be_translated_names_the_field(config, body, code, words):
    with pytest.raises(AdapterError) as err:
        translate(body, config, QminderState(), NOW)
    assert err.value.code == code and words in err.value.message


def test_the_signature_is_hmac_sha256_over_url_then_body():
    secret, url, body = "whsec-test-1234", "https://hall.example.com/qminder", b'{"type":"ticket_created"}'
    good = hmac.new(secret.encode(), url.encode() + body, hashlib.sha256).hexdigest()
    assert signature_ok(secret, url, body, good)
    assert signature_ok(secret, url, body, good.upper())
    assert not signature_ok(secret, url, body + b" ", good)
    assert not signature_ok(secret, url + "/", body, good)
    assert not signature_ok("other", url, body, good)
    assert not signature_ok(secret, url, body, None)
    assert not signature_ok(secret, url, body, "")


def test_the_line_memory_forgets_the_oldest_ticket_first(monkeypatch):
    monkeypatch.setattr("server.adapters.qminder.MEMORY_LIMIT", 2)
    state = QminderState()
    for ticket in ("1", "2", "1", "3"):
        state.remember(ticket, "37338")
    assert list(state.lines) == ["1", "3"]
