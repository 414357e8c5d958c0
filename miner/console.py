"""Messages and progress bars for long work; both go to stderr so stdout stays data."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TypeVar

import click
from tqdm import tqdm

T = TypeVar("T")


def info(message: str) -> None:
    """Print one status line to stderr."""
    click.echo(message, err=True)


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
