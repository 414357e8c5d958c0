"""One reader for untrusted JSON: bounded in size and nesting, every failure a `ValueError`.

Python's `json` follows nesting by recursion, so a document nested a few thousand levels
deep raises `RecursionError` (not a `ValueError`: it escapes the callers' error handling),
and it reads a document of any size. Every JSON that comes from outside miner (a judge's
answer, a labels file, a Batch API results file, a `save_to_disk` folder's `state.json`, the
topic namer's answers, the run folder's lock record) goes through `loads` or `raw_decode`:
text over `max_chars` and nesting over `max_depth` are refused up front by a linear scan that
stops at the first level too deep, and `NaN`, `Infinity` and numbers that overflow a float
(`1e999`) are refused too (they are not JSON, and nothing downstream can use them).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 64
# A string (to its closing quote, or the end of an unterminated one) or a bracket.
_TOKENS = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\Z)|[\[\]{}]', re.DOTALL)


class JSONLimitError(ValueError):
    """JSON over a size or nesting limit, or holding a number no float can hold."""


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONLimitError(f"number {text[:40]} is out of range")
    return value


def _constant(name: str) -> Any:
    raise JSONLimitError(f"{name} is not a JSON number")


_DECODER = json.JSONDecoder(parse_float=_finite, parse_constant=_constant)


def check_depth(text: str, start: int = 0, max_depth: int = MAX_DEPTH) -> None:
    """Raise `JSONLimitError` when the JSON value at `start` nests deeper than `max_depth`.

    Linear in the text up to the end of that value (or the first level too deep); brackets
    inside strings do not count.
    """
    depth = 0
    for match in _TOKENS.finditer(text, start):
        char = text[match.start()]
        if char in "[{":
            depth += 1
            if depth > max_depth:
                raise JSONLimitError(f"nested deeper than {max_depth} levels")
        elif char in "]}":
            depth -= 1
            if depth <= 0:
                return


def loads(text: str | bytes, *, max_chars: int | None = None,
          max_depth: int = MAX_DEPTH) -> Any:
    """`json.loads` for untrusted text: `ValueError` for malformed JSON, and
    `JSONLimitError` (a `ValueError`) for text over `max_chars`, nesting over `max_depth`,
    or a non-finite number. Never `RecursionError`."""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8")   # UnicodeDecodeError is a ValueError
    if max_chars is not None and len(text) > max_chars:
        raise JSONLimitError(f"over {max_chars:,} characters")
    check_depth(text, 0, max_depth)
    try:
        return _DECODER.decode(text)
    except RecursionError:   # only when called with the stack already nearly full
        raise JSONLimitError("nested too deeply") from None


def raw_decode(text: str, position: int = 0, *, max_depth: int = MAX_DEPTH) -> tuple[Any, int]:
    """The JSON value starting at `position` of `text` and the index after it, bounded as
    `loads` is (`ValueError` when there is none or it is over a limit)."""
    check_depth(text, position, max_depth)
    try:
        return _DECODER.raw_decode(text, position)
    except RecursionError:
        raise JSONLimitError("nested too deeply") from None
