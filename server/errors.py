"""Exceptions of the hall server."""

from __future__ import annotations


__all__ = ["WaitWellError", "InvalidEvent", "ConfigError"]


class WaitWellError(Exception):
    """Base class of WaitWell's own errors."""


class InvalidEvent(WaitWellError):
    """A queue event was rejected; nothing changed.

    Attributes:
        code: machine-readable reason, sent as ``code`` in the error reply.
        message: one sentence naming what is wrong.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ConfigError(WaitWellError):
    """The hall configuration is invalid; the message names the file and field."""
