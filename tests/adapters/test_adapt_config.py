"""ADAPTER.yaml: every mistake is one line naming the file and the key."""

from __future__ import annotations

import pytest
import yaml

from server.adapters.config_file import SECRET_ENV, load_adapter_config, parse_adapter_config
from server.adapters.qminder import QminderConfig
from server.errors import ConfigError

from tests.adapters.payloads import GENERIC_YAML


def generic(**changes):
    data = yaml.safe_load(GENERIC_YAML)
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("data, words", [
    (generic(timezone="Mars/Olympus"), "timezone: unknown time zone"),
    (generic(fields=None), "fields: missing"),
    (generic(fields={"ticket": "data.number"}), "fields.type: missing"),
    (generic(fields={"type": "event", "colour": "x"}), "fields.colour: unknown field"),
    (generic(fields={"type": ""}), "fields.type: must be a dotted path"),
    (generic(types={"TAKE": "ticket.taken"}), "types.TAKE: 'ticket.taken' is not a WaitWell event type"),
    (generic(types=None), "types: missing"),
    (generic(services=["quick"]), "services: must be a mapping"),
    (generic(windows={"3": None}), "windows.3: must map"),
    (generic(secret="x"), "secret: unknown key for a generic adapter"),
])
def test_generic_errors_name_the_key(data, words):
    with pytest.raises(ConfigError) as err:
        parse_adapter_config("generic", data, source="hall/adapter.yaml")
    assert str(err.value).startswith("hall/adapter.yaml: ") and words in str(err.value)


def test_qminder_needs_a_secret_from_the_file_or_the_environment():
    with pytest.raises(ConfigError, match="secret: missing"):
        parse_adapter_config("qminder", {"services": {"1": "quick"}})
    cfg = parse_adapter_config("qminder", {"services": {"1": "quick"}}, env={SECRET_ENV: "s3"})
    assert isinstance(cfg, QminderConfig) and cfg.secret == "s3" and cfg.source.services == {"1": "quick"}


def test_a_file_that_is_not_yaml_names_the_file(tmp_path):
    path = tmp_path / "adapter.yaml"
    path.write_text("fields: [unclosed\n")
    with pytest.raises(ConfigError, match="adapter.yaml: not valid YAML"):
        load_adapter_config("generic", path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_adapter_config("generic", tmp_path / "missing.yaml")


def test_the_translators_import_only_the_standard_library():
    import subprocess
    import sys
    code = ("import sys\nimport server.adapters.generic, server.adapters.qminder, server.adapters.core\n"
            "tops = {m.split('.')[0] for m in sys.modules}\n"
            "print(sorted(t for t in tops - set(sys.stdlib_module_names) - {'server', '__main__'}"
            " if not t.startswith('_')))\n")
    from pathlib import Path
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"
