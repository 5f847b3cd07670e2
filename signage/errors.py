"""Exceptions of the lobby screen."""

from __future__ import annotations


__all__ = ["SignageError", "InvalidState", "ContentError"]


class SignageError(Exception):
    """Base class of every lobby-screen error."""


class InvalidState(SignageError):
    """A display.state message that cannot be understood."""


class ContentError(SignageError):
    """A content file that cannot be used; the message names the file and the field."""

    def __init__(self, file: str, field: str, message: str) -> None:
        super().__init__(f"{file}: {field}: {message}")
        self.file = file
        self.field = field
        self.message = message
