"""HQ.yaml: head office's token and the halls it knows (their own tokens, names, regions, nearby halls).

```yaml
token: chain-secret          # optional: --token or WAITWELL_HQ_TOKEN win; else generated once
halls:
  - id: sh-001
    token: hall-secret       # optional: this hall's own token, good for sh-001 only
    name: 上海南京路营业厅
    name_en: Shanghai Nanjing Rd
    region: east
    nearby: [sh-002, {id: sh-003, distance: 800 m}]   # a hall id, or one with its distance as shown (both languages)
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError


__all__ = ["HQSettings", "HallEntry", "load_settings", "HALL_ID"]

HALL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True, slots=True)
class HallEntry:
    id: str
    token: str | None = None
    name: str | None = None
    name_en: str | None = None
    region: str | None = None
    nearby: tuple[str, ...] = ()
    distances: dict[str, str] = field(default_factory=dict)
    """Per nearby hall id, its distance as the lobby shows it ("800 m": the same words in both languages), when HQ.yaml gives one."""


@dataclass(frozen=True, slots=True)
class HQSettings:
    token: str | None = None
    halls: dict[str, HallEntry] = field(default_factory=dict)


_HALL_KEYS = {"id", "token", "name", "name_en", "region", "nearby"}


def load_settings(path: Path | None) -> HQSettings:
    if path is None:
        return HQSettings()
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    data = data or {}
    if not isinstance(data, dict) or set(data) - {"token", "halls"}:
        raise ConfigError(f"{path}: expected the keys 'token' and 'halls' only")
    halls: dict[str, HallEntry] = {}
    tokens: set[str] = set()
    for n, item in enumerate(data.get("halls") or [], 1):
        where = f"{path}: halls[{n}]"
        if not isinstance(item, dict) or set(item) - _HALL_KEYS:
            raise ConfigError(f"{where}: a hall has the keys {', '.join(sorted(_HALL_KEYS))}")
        hall_id = item.get("id")
        if not isinstance(hall_id, str) or not HALL_ID.match(hall_id):
            raise ConfigError(f"{where}: 'id' must be 1-64 letters, digits, '_', '.' or '-'")
        if hall_id in halls:
            raise ConfigError(f"{where}: hall {hall_id} is listed twice")
        token = item.get("token")
        if token is not None and (not isinstance(token, str) or not token or token in tokens):
            raise ConfigError(f"{where}: 'token' must be a string of its own (quote it)")
        strings = {key: item.get(key) for key in ("name", "name_en", "region")}
        if any(v is not None and not isinstance(v, str) for v in strings.values()):
            raise ConfigError(f"{where}: name, name_en and region are strings")
        nearby, distances = _nearby(item.get("nearby") or [], where)
        if token:
            tokens.add(token)
        halls[hall_id] = HallEntry(hall_id, token, strings["name"], strings["name_en"], strings["region"],
                                   nearby, distances)
    token = data.get("token")
    if token is not None and not isinstance(token, str):
        raise ConfigError(f"{path}: 'token' must be a string (quote it)")
    return HQSettings(token=token, halls=halls)


def _nearby(value: Any, where: str) -> tuple[tuple[str, ...], dict[str, str]]:
    """``nearby``: hall ids, each bare or as ``{id, distance}``."""
    ids: list[str] = []
    distances: dict[str, str] = {}
    problem = f"{where}: 'nearby' is a list of hall ids, or of {{id: ..., distance: ...}} with strings"
    if not isinstance(value, list):
        raise ConfigError(problem)
    for item in value:
        if isinstance(item, dict):
            if set(item) - {"id", "distance"} or not isinstance(item.get("id"), str) \
                    or not isinstance(item.get("distance", ""), str):
                raise ConfigError(problem)
            if item.get("distance"):
                distances[item["id"]] = item["distance"]
            item = item["id"]
        if not isinstance(item, str):
            raise ConfigError(problem)
        ids.append(item)
    return tuple(ids), distances
