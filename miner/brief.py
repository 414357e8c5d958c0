"""Untrusted values quoted in one-line messages, rendered with bounded work.

`repr()` of a value read from a config file or returned by a plugin may take minutes and
gigabytes (a YAML alias bomb expands to 10^9 items; a string may be a pasted file) or raise
`RecursionError` (a list nested 100,000 deep). `brief` renders at most a few levels and a
few items of each, cuts long strings at their start, and bounds the whole to `limit`
characters, whatever the value holds.
"""

from __future__ import annotations

import reprlib
from typing import Any

LIMIT = 80


class _Brief(reprlib.Repr):
    """reprlib with strings cut after their first characters (not in the middle)."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 3
        self.maxlist = self.maxtuple = self.maxdict = self.maxset = self.maxfrozenset = 6
        self.maxstring = self.maxother = self.maxlong = LIMIT

    def repr_str(self, x: str, level: int) -> str:  # noqa: D102
        return repr(x[: self.maxstring]) + ("..." if len(x) > self.maxstring else "")


_BRIEF = _Brief()


def brief(value: Any, limit: int = LIMIT) -> str:
    """`repr(value)`, bounded in work and cut to `limit` characters (with "...")."""
    text = _BRIEF.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
