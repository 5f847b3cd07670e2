"""Typed access to decoded content data; every error names the file and the dotted field (pure)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from signage.errors import ContentError


__all__ = ["FieldReader"]


def _name(field: str, key: str) -> str:
    return f"{field}.{key}" if field else key


class FieldReader:
    """Read one content file's decoded mapping (YAML's types) with errors that name where.

    Args:
        file: how errors name the file, e.g. ``signage/screen.yaml``.
    """

    def __init__(self, file: str) -> None:
        self.file = file

    def error(self, field: str, message: str) -> ContentError:
        """Return the error of ``field`` (dotted, with list indexes) in this file."""
        return ContentError(self.file, field, message)

    def mapping(self, value: object, field: str) -> Mapping[str, Any]:
        """Return ``value`` as a mapping; None (an empty YAML node) is an empty one."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.error(field, f"expected a mapping, got {type(value).__name__}")
        return value

    def seq(self, value: object, field: str) -> list[Any]:
        """Return ``value`` as a list; None is an empty one."""
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(field, f"expected a list, got {type(value).__name__}")
        return value

    def text(self, d: Mapping[str, Any], key: str, field: str, *, required: bool = False) -> str:
        """Return ``d[key]`` as text ("" when absent); numbers are taken as their text."""
        value = d.get(key)
        if value is None:
            if required:
                raise self.error(_name(field, key), "is required")
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.error(_name(field, key), f"expected text, got {value!r}")
        return str(value)

    def number(self, d: Mapping[str, Any], key: str, field: str, default: float, *, minimum: float) -> float:
        """Return ``d[key]`` as a finite number of at least ``minimum`` (``default`` when absent)."""
        name = _name(field, key)
        value = d.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(name, f"expected a number, got {value!r}")
        if not math.isfinite(value):  # YAML's .nan and .inf
            raise self.error(name, f"must be a finite number, got {value!r}")
        if value < minimum:
            raise self.error(name, f"must be at least {minimum:g}, got {value!r}")
        return float(value)

    def integer(self, d: Mapping[str, Any], key: str, field: str, default: int) -> int:
        """Return ``d[key]`` as an integer (``default`` when absent); 1.5 and true are refused."""
        value = d.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(_name(field, key), f"expected an integer, got {value!r}")
        return value

    def flag(self, d: Mapping[str, Any], key: str, field: str, default: bool) -> bool:
        """Return ``d[key]`` as true or false (``default`` when absent)."""
        value = d.get(key, default)
        if not isinstance(value, bool):
            raise self.error(_name(field, key), f"expected true or false, got {value!r}")
        return value
