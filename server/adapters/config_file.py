"""ADAPTER.yaml: read and check it, every error naming the key."""

from __future__ import annotations

import os
import zoneinfo
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from ..events import EventType
from .core import SourceMap
from .generic import FIELD_NAMES, GenericConfig
from .novosga import DEFAULT_TOPICS, NovoSGAConfig
from .orchestra import OrchestraConfig
from .qminder import QminderConfig


__all__ = ["load_adapter_config", "parse_adapter_config", "AdapterConfig", "KINDS", "SECRET_ENV",
           "SECRET_ENVS"]

KINDS = ("generic", "qminder", "orchestra", "novosga")
SECRET_ENVS = {"qminder": "WAITWELL_QMINDER_SECRET", "orchestra": "WAITWELL_ORCHESTRA_SECRET",
               "novosga": "WAITWELL_NOVOSGA_TOKEN"}
"""Where each kind's secret may come from instead of the file (kept out of a world-readable config)."""
SECRET_ENV = SECRET_ENVS["qminder"]

_SECRET_WHAT = {"qminder": "the webhook secret Qminder shows when the webhook is created",
                "orchestra": "a long random string, also put in the webhook URL registered at qp-events",
                "novosga": "the OAuth2 bearer token of a Novo SGA API user"}
_SECRET_KEY = {"novosga": "token"}
HUB_TOKEN_ENV = "WAITWELL_NOVOSGA_HUB_TOKEN"

_KEYS = {
    "generic": ("timezone", "fields", "types", "services", "windows"),
    "qminder": ("timezone", "secret", "webhook_url", "services", "windows"),
    "orchestra": ("timezone", "secret", "branch", "services", "windows"),
    "novosga": ("timezone", "hub_url", "api_url", "token", "hub_token", "unidade", "topics", "services", "windows"),
}

AdapterConfig = GenericConfig | QminderConfig | OrchestraConfig | NovoSGAConfig


def load_adapter_config(kind: str, path: str | Path) -> AdapterConfig:
    """Read ``path`` for an adapter of ``kind``.

    Raises:
        ConfigError: one line naming the file and the key that is wrong.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the adapter config: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}".replace("\n", " ")) from None
    return parse_adapter_config(kind, data, source=str(path), env=os.environ)


def parse_adapter_config(kind: str, data: Any, *, source: str = "ADAPTER.yaml",
                         env: Any = None) -> AdapterConfig:
    """Build the config of ``kind`` from decoded YAML; ``env`` may hold the kind's secret."""
    def fail(key: str, why: str) -> ConfigError:
        return ConfigError(f"{source}: {key}: {why}")

    if kind not in KINDS:
        raise ConfigError(f"{source}: unknown adapter kind {kind!r} (known: {', '.join(KINDS)})")
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the adapter config must be a mapping of keys")
    for key in data:
        if key not in _KEYS[kind]:
            raise fail(str(key), f"unknown key for a {kind} adapter (known: {', '.join(_KEYS[kind])})")
    zone = data.get("timezone", "Asia/Shanghai")
    try:
        zoneinfo.ZoneInfo(str(zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise fail("timezone", f"unknown time zone {zone!r} — use an IANA name such as 'Asia/Shanghai'") from None
    tables = {name: _table(data.get(name), name, fail) for name in ("services", "windows")}
    mapping = SourceMap(timezone=str(zone), services=tables["services"], windows=tables["windows"])
    secret = ""
    if kind in SECRET_ENVS:
        key = _SECRET_KEY.get(kind, "secret")
        raw_secret = data.get(key) or (env or {}).get(SECRET_ENVS[kind])
        if not isinstance(raw_secret, str) or not raw_secret:
            raise fail(key, f"missing: {_SECRET_WHAT[kind]} (or set {SECRET_ENVS[kind]})")
        secret = raw_secret
    if kind == "novosga":
        return _novosga(data, secret, mapping, env or {}, fail)
    if kind == "orchestra":
        branch = data.get("branch")
        if branch is not None and (isinstance(branch, (bool, dict, list)) or str(branch).strip() == ""):
            raise fail("branch", "must be the Orchestra branchId whose events this hall shows")
        return OrchestraConfig(secret=secret, source=mapping, branch=None if branch is None else str(branch))
    if kind == "qminder":
        url = data.get("webhook_url")
        if url is not None and not isinstance(url, str):
            raise fail("webhook_url", "must be the URL registered at Qminder")
        return QminderConfig(secret=secret, source=mapping, webhook_url=url)
    fields = data.get("fields")
    if not isinstance(fields, dict):
        raise fail("fields", "missing: a mapping of WaitWell field -> dotted path in the posted object")
    for name, path in fields.items():
        if name not in FIELD_NAMES:
            raise fail(f"fields.{name}", f"unknown field (known: {', '.join(FIELD_NAMES)})")
        if not isinstance(path, str) or not path.strip():
            raise fail(f"fields.{name}", "must be a dotted path such as data.number")
    if "type" not in fields:
        raise fail("fields.type", "missing: the path of the event's type value")
    types = data.get("types")
    if not isinstance(types, dict) or not types:
        raise fail("types", "missing: a mapping of source type value -> WaitWell event type")
    known = {str(t) for t in EventType}
    for value, target in types.items():
        if str(target) not in known:
            raise fail(f"types.{value}", f"{target!r} is not a WaitWell event type (known: {', '.join(sorted(known))})")
    return GenericConfig(fields={k: v.strip() for k, v in fields.items()},
                         types={str(k): EventType(str(v)) for k, v in types.items()}, source=mapping)


def _table(raw: Any, key: str, fail: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise fail(key, "must be a mapping of source id -> hall id")
    out: dict[str, str] = {}
    for k, v in raw.items():
        if isinstance(v, (dict, list)) or v is None or str(v).strip() == "":
            raise fail(f"{key}.{k}", "must map to the hall's id (a string)")
        out[str(k)] = str(v)
    return out


def _novosga(data: dict[str, Any], token: str, mapping: SourceMap, env: Any, fail: Any) -> NovoSGAConfig:
    urls = {}
    for key, what in (("hub_url", "the Mercure hub, e.g. https://sga.example/.well-known/mercure"),
                      ("api_url", "the REST API base, e.g. https://sga.example/api")):
        url = data.get(key)
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise fail(key, f"missing or not an http(s) URL: {what}")
        urls[key] = url
    hub_token = data.get("hub_token") or env.get(HUB_TOKEN_ENV)
    if hub_token is not None and not isinstance(hub_token, str):
        raise fail("hub_token", "must be the Mercure subscriber JWT (a string)")
    unit = data.get("unidade")
    if unit is not None and (isinstance(unit, (bool, dict, list)) or str(unit).strip() == ""):
        raise fail("unidade", "must be the id of the Novo SGA unit this hall is")
    topics = data.get("topics", list(DEFAULT_TOPICS))
    if not isinstance(topics, list) or not topics or not all(isinstance(t, str) and t for t in topics):
        raise fail("topics", "must be a list of Mercure topics (default: " + ", ".join(DEFAULT_TOPICS) + ")")
    return NovoSGAConfig(hub_url=urls["hub_url"], api_url=urls["api_url"], token=token,
                         unidade=None if unit is None else str(unit), hub_token=hub_token or None,
                         topics=tuple(topics), source=mapping)
