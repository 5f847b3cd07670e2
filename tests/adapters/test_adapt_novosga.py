"""The Novo SGA translator, its config and the server-sent events decoder, from records written
from Novo SGA's source (AtendimentoService.php, AbstractAtendimento) and the SSE format."""

from __future__ import annotations

import json

import pytest
import yaml

from server.adapters.config_file import parse_adapter_config
from server.adapters.core import AdapterError
from server.adapters.mercure import SseDecoder, SseMessage
from server.adapters.novosga import NovoSGAConfig, label, translate, wanted
from server.errors import ConfigError
from server.events import parse_event

from tests.adapters.payloads import NOVOSGA_YAML_TEMPLATE, atendimento, event_schema_check


NOW = "2026-12-07T10:00:00-03:00"


@pytest.fixture
def config() -> NovoSGAConfig:
    cfg = parse_adapter_config("novosga", yaml.safe_load(NOVOSGA_YAML_TEMPLATE.format(hub="http://sga")))
    assert isinstance(cfg, NovoSGAConfig)
    return cfg


def one(record, config, redirected=False):
    events = translate(record, config, NOW, redirected=redirected)
    assert len(events) == 1
    assert parse_event(events[0].to_json()) == events[0]
    event_schema_check(events[0].to_json())
    return events[0].to_json()


def test_an_issued_ticket_gets_the_halls_offset_on_its_naive_date(config):
    assert one(atendimento(41, "emitida"), config) == {
        "id": "novosga:41:emitida:2026-12-07T09:00:00", "type": "ticket.issued",
        "at": "2026-12-07T09:00:00-03:00", "ticket": "A007", "service": "quick"}
    prio = one(atendimento(42, "emitida", prioridade={"id": 2, "nome": "Idoso", "peso": 1}), config)
    assert prio["priority"] is True


@pytest.mark.parametrize("status, changes, expected", [
    ("chamado", {"numeroLocal": 3, "dataChamada": "2026-12-07T09:10:00"},
     {"type": "ticket.called", "window": "3", "at": "2026-12-07T09:10:00-03:00"}),
    ("encerrado", {"numeroLocal": 4, "dataFim": "2026-12-07T09:20:00"},
     {"type": "ticket.served", "window": "4", "at": "2026-12-07T09:20:00-03:00"}),
    ("nao_compareceu", {"dataFim": "2026-12-07T09:15:00"}, {"type": "ticket.no_show"}),
    ("cancelada", {"dataFim": "2026-12-07T09:05:00"}, {"type": "ticket.cancelled"}),
])
def test_each_status_maps_to_its_waitwell_type(config, status, changes, expected):
    out = one(atendimento(41, status, **changes), config)
    assert {k: out[k] for k in expected} == expected and out["ticket"] == "A007"


def test_a_redirects_new_attendance_is_a_transfer_and_the_original_is_silent(config):
    moved = one(atendimento(43, "emitida", servico={"id": 2, "nome": "Gerente"}), config, redirected=True)
    assert (moved["type"], moved["service"], moved["id"]) == ("ticket.transferred", "standard", "novosga:43:redirect")
    assert translate(atendimento(41, "erro_triagem"), config, NOW) == []
    assert translate(atendimento(41, "iniciado"), config, NOW) == []


def test_other_units_are_ignored_and_personal_data_never_leaves(config):
    assert translate(atendimento(41, "emitida", unidade={"id": 2}), config, NOW) == []
    text = json.dumps(one(atendimento(41, "emitida"), config))
    assert "Maria" not in text and "123.456" not in text


def test_the_same_record_fetched_again_is_the_same_event(config):
    record = atendimento(41, "chamado", numeroLocal=3, dataChamada="2026-12-07T09:10:00")
    assert one(record, config)["id"] == one(json.loads(json.dumps(record)), config)["id"]


@pytest.mark.parametrize("record, code, words", [
    (atendimento(41, "chamado", numeroLocal=9, dataChamada="2026-12-07T09:10:00"), "unmapped_window", "'9'"),
    (atendimento(41, "emitida", servico={"id": 7}), "unmapped_service", "'7'"),
    (atendimento(41, "perdida"), "unknown_type", "'perdida'"),
    (atendimento(41, "chamado", dataChamada="2026-12-07T09:10:00"), "missing_field", "numeroLocal"),
    (atendimento(41, "emitida", senha=None), "missing_field", "senha"),
    (atendimento(41, "emitida", dataChegada="07/12/2026"), "invalid_time", "dataChegada"),
    ({"status": "emitida"}, "missing_field", "'id'"),
])
def test_what_cannot_be_translated_names_the_field(config, record, code, words):
    with pytest.raises(AdapterError) as err:
        translate(record, config, NOW)
    assert err.value.code == code and words in err.value.message


def test_updates_name_an_attendance_or_a_redirects_new_one():
    assert wanted({"id": 41}) == ("41", False)
    assert wanted({"id": 41, "@type": "attendance"}) == ("41", False)
    assert wanted({"originalId": 41, "novoId": 43}) == ("43", True)
    assert wanted({"id": 1, "@type": "queue.unit"}) is None  # a unit's id, on a reset
    assert wanted([]) is None and wanted({}) is None
    assert label({"sigla": "B", "numero": 12}) == "B012" and label({"numero": 1234}) == "1234"


def test_the_config_names_what_is_missing():
    base = yaml.safe_load(NOVOSGA_YAML_TEMPLATE.format(hub="http://sga"))
    with pytest.raises(ConfigError, match="token: missing"):
        parse_adapter_config("novosga", {**base, "token": None}, env={})
    with pytest.raises(ConfigError, match="hub_url: missing or not an http"):
        parse_adapter_config("novosga", {**base, "hub_url": "sga:3000"})
    with pytest.raises(ConfigError, match="topics: must be a list"):
        parse_adapter_config("novosga", {**base, "topics": "/atendimentos"})
    cfg = parse_adapter_config("novosga", {**base, "token": None}, env={"WAITWELL_NOVOSGA_TOKEN": "t"})
    assert isinstance(cfg, NovoSGAConfig) and cfg.token == "t" and cfg.topics == ("/atendimentos", "/atendimentos/{id}")


def test_the_sse_decoder_reads_mercure_frames():
    decoder = SseDecoder()
    lines = [":", "id: urn:uuid:1", "data: {\"id\":", "data: 41}", "", "retry: 2000", "",
             "event: x", "id:urn:uuid:2", "data:{}", "", "", "id: lonely", ""]
    out = [m for m in (decoder.feed(line) for line in lines) if m is not None]
    assert out == [SseMessage("urn:uuid:1", "message", "{\"id\":\n41}"), SseMessage("urn:uuid:2", "x", "{}")]
    assert decoder.retry_ms == 2000
