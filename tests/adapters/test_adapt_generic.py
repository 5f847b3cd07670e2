"""The generic translator: a dispenser's JSON in, events the server accepts out."""

from __future__ import annotations

import pytest
import yaml

from server.adapters.config_file import parse_adapter_config
from server.adapters.core import AdapterError
from server.adapters.generic import GenericConfig, translate
from server.events import parse_event

from tests.adapters.payloads import event_schema_check, GENERIC_YAML, dispenser


NOW = "2026-12-07T09:30:00+08:00"


@pytest.fixture
def config() -> GenericConfig:
    cfg = parse_adapter_config("generic", yaml.safe_load(GENERIC_YAML))
    assert isinstance(cfg, GenericConfig)
    return cfg


def wire(obj: dict[str, object], config: GenericConfig) -> dict[str, object]:
    """Translate, then check the wire form is exactly what the server's parse_event accepts."""
    event = translate(obj, config, NOW)
    again = parse_event(event.to_json())
    assert again == event
    event_schema_check(event.to_json())
    return event.to_json()


def test_a_take_is_an_issued_ticket_in_the_halls_zone(config):
    out = wire(dispenser("TAKE", 17, number="A001", biz="01", counter="9"), config)
    # The kiosk's counter 9 is not mapped, and a ticket.issued does not carry a window: no error.
    assert out == {"id": "generic:2026-12-07:17", "type": "ticket.issued", "at": "2026-12-07T09:00:00+08:00",
                   "ticket": "A001", "service": "quick"}


@pytest.mark.parametrize("event, wanted", [
    ("CALL", {"type": "ticket.called", "ticket": "A001", "window": "3"}),
    ("RECALL", {"type": "ticket.recalled", "ticket": "A001", "window": "3"}),
    ("DONE", {"type": "ticket.served", "ticket": "A001", "window": "3"}),
    ("PASS", {"type": "ticket.no_show", "ticket": "A001"}),
    ("CANCEL", {"type": "ticket.cancelled", "ticket": "A001"}),
])
def test_each_ticket_type_maps_and_carries_only_its_fields(config, event, wanted):
    out = wire(dispenser(event, 18, number="A001", biz="02", counter=3), config)
    assert {k: v for k, v in out.items() if k not in ("id", "at")} == wanted


def test_windows_open_and_close(config):
    assert wire(dispenser("OPEN", 1, counter="3"), config)["type"] == "window.opened"
    assert wire(dispenser("CLOSE", 2, counter="3"), config) == {
        "id": "generic:2026-12-07:2", "type": "window.closed", "at": "2026-12-07T09:00:00+08:00", "window": "3"}


def test_a_time_with_an_offset_keeps_it(config):
    obj = dispenser("TAKE", 3, number="A002", biz="01")
    obj["data"]["time"] = "2026-12-07T01:00:00Z"  # type: ignore[index]
    assert wire(obj, config)["at"] == "2026-12-07T01:00:00+00:00"


@pytest.mark.parametrize("obj, code, words", [
    (dispenser("SNACK", 4, number="A003"), "unknown_type", "'SNACK'"),
    (dispenser("TAKE", 5, number="A003", biz="07"), "unmapped_service", "'07'"),
    (dispenser("CALL", 6, number="A003", counter="12"), "unmapped_window", "'12'"),
    (dispenser("CALL", 7, counter="3"), "missing_field", "'data.number'"),
    (dispenser("TAKE", 8, number="A003"), "missing_field", "'data.biz'"),
    ({"data": {"seq": 9}}, "missing_field", "'event'"),
    ({"event": "TAKE", "data": {"seq": 9, "number": "A1", "biz": "01", "time": "yesterday"}}, "invalid_time",
     "'data.time'"),
    (["TAKE"], "not_an_object", "object"),
])
def test_what_cannot_be_translated_is_an_error_naming_it(config, obj, code, words):
    with pytest.raises(AdapterError) as err:
        translate(obj, config, NOW)
    assert err.value.code == code
    assert words in err.value.message


def test_an_unmapped_value_is_carried_for_logging_once(config):
    with pytest.raises(AdapterError) as err:
        translate(dispenser("TAKE", 5, number="A003", biz="07"), config, NOW)
    assert err.value.value == "07"


def test_without_an_id_path_the_id_comes_from_the_content(config):
    fields = {k: v for k, v in config.fields.items() if k != "id"}
    cfg = GenericConfig(fields=fields, types=config.types, source=config.source)
    take = dispenser("TAKE", 1, number="A001", biz="01")
    first, again = translate(take, cfg, NOW), translate(dict(take), cfg, "2026-12-07T10:00:00+08:00")
    other = translate(dispenser("TAKE", 1, number="A002", biz="01"), cfg, NOW)
    assert first.id == again.id and first.id.startswith("generic:")
    assert other.id != first.id


def test_without_an_at_path_the_receive_time_is_used(config):
    fields = {k: v for k, v in config.fields.items() if k != "at"}
    cfg = GenericConfig(fields=fields, types=config.types, source=config.source)
    assert translate(dispenser("PASS", 1, number="A001"), cfg, NOW).at.isoformat() == NOW


def test_without_maps_the_sources_ids_are_the_halls():
    cfg = parse_adapter_config("generic", {"fields": {"type": "t", "ticket": "n", "window": "w"},
                                           "types": {"C": "ticket.called"}})
    assert isinstance(cfg, GenericConfig)
    out = translate({"t": "C", "n": "B7", "w": 12}, cfg, NOW)
    assert (out.ticket, out.window) == ("B7", "12")


def test_a_sequence_restarted_the_next_day_is_a_new_event(config):
    today = translate(dispenser("TAKE", 1, number="A001", biz="01"), config, NOW)
    tomorrow = dispenser("TAKE", 1, number="A001", biz="01", time="2026-12-08 08:30:00")
    assert translate(tomorrow, config, NOW).id != today.id
