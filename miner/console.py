"""Messages and progress bars for long work; both go to stderr so stdout stays data."""

from __future__ import annotations

import io
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


# Seconds between two progress lines when stderr is not a terminal (a log file, a pipe, CI).
LINE_SECONDS = 5.0


class LineProgress(tqdm):
    """tqdm that writes a plain line (`embedding: 4,096/17,548 prompts (23%), 41 prompts/s,
    about 5 min left`) every `mininterval` seconds instead of redrawing a bar, for logs."""

    def display(self, msg: str | None = None, pos: int | None = None) -> bool:
        """One progress line per call tqdm makes (it calls at most once per mininterval)."""
        if self.n == 0 or msg == "":        # nothing done yet, or tqdm clearing its bar
            return True
        self.printed = True
        self.fp.write(self.line() + "\n")
        self.fp.flush()
        return True

    def line(self) -> str:
        """Where the work stands, as one line."""
        facts = self.format_dict
        unit = str(facts["unit"]).strip() or "it"
        unit += "" if unit.endswith("s") else "s"
        done = f"{self.n:,}" + (f"/{self.total:,}" if self.total else "")
        text = f"{self.desc or 'working'}: {done} {unit}"
        if self.total:
            text += f" ({self.n / self.total:.0%})"
        elapsed = facts["elapsed"]
        if elapsed > 0:
            rate = self.n / elapsed
            text += f", {rate:,.1f} {unit}/s"
            if self.total and rate > 0 and self.n < self.total:
                left = (self.total - self.n) / rate
                text += ", about " + (f"{left / 60:.0f} min" if left >= 90 else f"{left:.0f} s")
                text += " left"
        return printable(text)

    def close(self) -> None:
        """A last line when work was done since the previous line (work over before the
        first line was due stays silent, as it was before)."""
        if (not self.disable and getattr(self, "printed", False)
                and self.n != self.last_print_n):
            self.fp.write(self.line() + "\n")
            self.fp.flush()
            self.last_print_n = self.n
        self.fp = io.StringIO()      # what tqdm writes to clear a bar ("\r") goes nowhere
        super().close()


def progress(
    iterable: Iterable[T] | None = None,
    *,
    total: int | None = None,
    desc: str = "",
    unit: str = "it",
) -> tqdm:
    """A tqdm bar on stderr when stderr is a terminal; otherwise a plain line every
    `LINE_SECONDS` seconds (LineProgress), so a log shows long work moving."""
    if sys.stderr.isatty():
        return tqdm(iterable, total=total, desc=desc, unit=unit, file=sys.stderr,
                    dynamic_ncols=True, leave=False)
    return LineProgress(iterable, total=total, desc=desc, unit=unit, file=sys.stderr,
                        mininterval=LINE_SECONDS, maxinterval=LINE_SECONDS * 4, miniters=1,
                        leave=False)
