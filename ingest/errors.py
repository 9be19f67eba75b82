"""The one error type a user can cause while a document is read."""

from __future__ import annotations


class InputError(ValueError):
    """A problem with what the user gave us, reported as one line, never a traceback."""
