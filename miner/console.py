"""Messages and progress bars for long work; both go to stderr so stdout stays data."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from typing import TypeVar

import click
from tqdm import tqdm

from miner.redact import scrub

T = TypeVar("T")


# C0/C1 controls (ESC starts terminal escape sequences), DEL, bidi overrides and isolates.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` safe for one terminal line: control characters (newlines, ESC) and bidi
    overrides shown as escapes, so untrusted text quoted in a message cannot break or
    restyle the line."""
    return _UNPRINTABLE.sub(lambda match: repr(match.group())[1:-1], text)


def info(message: str) -> None:
    """Print one status line to stderr (control characters escaped, secrets scrubbed)."""
    click.echo(printable(scrub(message, limit=None)), err=True)


def progress(
    iterable: Iterable[T] | None = None,
    *,
    total: int | None = None,
    desc: str = "",
    unit: str = "it",
) -> tqdm:
    """A tqdm bar on stderr, shown only when stderr is a terminal."""
    return tqdm(
        iterable,
        total=total,
        desc=desc,
        unit=unit,
        file=sys.stderr,
        disable=None,
        dynamic_ncols=True,
        leave=False,
    )
