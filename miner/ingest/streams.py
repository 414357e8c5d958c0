"""Bounded streaming over raw bytes: lines of limited length and the elements of a JSON array.

Neither ever holds more than about `limit` bytes of one line or element in memory, so a
gigabyte-long line is reported instead of read.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import IO, Any

_CHUNK = 1 << 20
_JSON = json.JSONDecoder()
_WHITESPACE = " \t\r\n"


class TooLong(Exception):
    """A line or element is longer than the limit; the stream skipped past it."""


class Malformed(Exception):
    """A JSON array element is not valid JSON (the array cannot be read further)."""


def bounded_lines(handle: IO[bytes], limit: int) -> Iterator[bytes | TooLong]:
    """Yield each line of `handle` (without its newline), or a `TooLong` in its place.

    A line longer than `limit` bytes is consumed in blocks and never held whole.
    """
    while True:
        line = handle.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith(b"\n"):
            size = len(line)
            while True:
                block = handle.readline(_CHUNK)
                size += len(block)
                if not block or block.endswith(b"\n"):
                    break
            yield TooLong(f"longer than the {limit:,}-byte limit ({size:,} bytes)")
            continue
        yield line.rstrip(b"\r\n")


def json_array_elements(handle: IO[bytes], limit: int) -> Iterator[Any]:
    """Yield the elements of the JSON array in `handle` one at a time.

    Raises `ValueError` when the text is not a JSON array, `Malformed` for an invalid
    element, and `TooLong` for an element longer than `limit` characters (the array cannot
    be resynchronised after either).
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    buffer = ""
    pos = 0
    eof = False

    def fill() -> bool:
        nonlocal buffer, pos, eof
        if eof:
            return False
        block = handle.read(_CHUNK)
        eof = not block
        buffer = buffer[pos:] + decoder.decode(block, final=eof)
        pos = 0
        return bool(block) or bool(buffer)

    def skip_whitespace() -> str:
        """Advance past whitespace; return the next character, or '' at the end."""
        nonlocal pos
        while True:
            while pos < len(buffer) and buffer[pos] in _WHITESPACE:
                pos += 1
            if pos < len(buffer):
                return buffer[pos]
            if not fill():
                return ""

    fill()
    if buffer.startswith("\ufeff"):
        pos = 1
    first = skip_whitespace()
    if first == "":
        return
    if first != "[":
        raise ValueError("expected a JSON array of records")
    pos += 1
    index = 0
    while True:
        char = skip_whitespace()
        if char == "]":
            return
        if char == "":
            raise Malformed("the array ends before its closing ']'")
        if index:
            if char != ",":
                raise Malformed(f"expected ',' or ']' after element {index}, found {char!r}")
            pos += 1
            char = skip_whitespace()
        if char == "":
            raise Malformed("the array ends before its closing ']'")
        index += 1
        while True:
            try:
                value, end = _JSON.raw_decode(buffer, pos)
            except json.JSONDecodeError as exc:
                truncated = exc.pos >= len(buffer) - 64 or exc.msg.startswith("Unterminated")
                if truncated and len(buffer) - pos <= limit and fill():
                    continue
                if len(buffer) - pos > limit:
                    raise TooLong(f"longer than the {limit:,}-character limit") from None
                where = f"character {exc.pos - pos + 1} of the element"
                raise Malformed(f"{exc.msg} ({where})") from None
            break
        if end == len(buffer) and fill():
            # A number at the end of the buffer may continue in the next block: decode again.
            value, end = _JSON.raw_decode(buffer, pos)
        pos = end
        yield value
