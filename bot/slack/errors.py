"""Errors a command raises on purpose; the message is shown to the user as it is."""

from __future__ import annotations


class CommandError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(CommandError):
    """The user is not on the staff allow-list."""
