"""Text encodings of input files: decoded by byte-order mark, UTF-8 otherwise.

A file that starts with a UTF-16 or UTF-32 byte-order mark is recoded to UTF-8 as it
streams, so every reader sees UTF-8 bytes; a UTF-8 byte-order mark is dropped. A file that
looks like UTF-16 without a mark (every other byte NUL) is refused with one line saying how
to convert it: reading it line by line as UTF-8 would keep a stray record or two and skip
the rest. In a script without NUL bytes (Chinese, Russian) only the markup's ASCII shows it.
"""

from __future__ import annotations

import codecs
import io
import unicodedata
from typing import IO

from miner.errors import InputError

_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CHUNK_CHARS = 1 << 16


def bom_encoding(head: bytes) -> tuple[str | None, int]:
    """(encoding, mark length) named by the byte-order mark `head` starts with, or (None, 0)."""
    for mark, encoding in _BOMS:
        if head.startswith(mark):
            return encoding, len(mark)
    return None, 0


def bomless_utf16(head: bytes) -> str | None:
    """'UTF-16LE' or 'UTF-16BE' when `head` looks like UTF-16 text without a mark, else None."""
    sample = head[:512]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "UTF-16LE"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "UTF-16BE"
    return _utf16_markup(sample)


def _utf16_markup(sample: bytes) -> str | None:
    """UTF-16 without a mark in a script whose characters hold no NUL byte (Chinese,
    Cyrillic, ...): only the ASCII of the markup (braces, quotes, field names) has one. It
    is that when the first character is ASCII, the NULs sit on one side of the code units,
    and the sample decodes to text without control characters; UTF-8 text with stray NULs
    almost never starts with one in its second byte."""
    even = len(sample) // 2 * 2
    for kind, codec, zero in (("UTF-16LE", "utf-16-le", 1), ("UTF-16BE", "utf-16-be", 0)):
        ascii_units = sample[zero:even:2].count(0)
        stray = sample[1 - zero:even:2].count(0)
        if (sample[zero] != 0 or not 0x09 <= sample[1 - zero] < 0x7F or ascii_units < 4
                or stray * 8 > ascii_units):
            continue
        try:   # not final: the sample may end inside a surrogate pair
            text = codecs.getincrementaldecoder(codec)("strict").decode(sample[:even])
        except UnicodeDecodeError:
            continue
        if not any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n" for ch in text):
            return kind
    return None


def decoded_head(head: bytes) -> bytes:
    """The first bytes of a file as UTF-8, for format sniffing (byte-order mark decoded)."""
    encoding, skip = bom_encoding(head)
    if encoding is None or encoding == "utf-8":
        return head[skip:]
    return head[skip:].decode(encoding, errors="ignore").encode("utf-8")


class _Utf8Recoder(io.RawIOBase):
    """A raw byte stream of UTF-8, recoded on the fly from a text stream."""

    def __init__(self, text: IO[str]) -> None:
        self._text = text
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        while not self._pending:
            chunk = self._text.read(_CHUNK_CHARS)
            if not chunk:
                return 0
            self._pending = chunk.encode("utf-8", "surrogatepass")
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def utf8_stream(handle: IO[bytes], label: str) -> IO[bytes]:
    """`handle` as UTF-8 bytes: a byte-order mark decides the encoding (none: UTF-8 as is).

    Raises `InputError` for UTF-16 text without a byte-order mark. A decoding error later
    in the file surfaces as `UnicodeDecodeError` from the stream's reads.
    """
    peekable = handle if hasattr(handle, "peek") else io.BufferedReader(handle)  # type: ignore[arg-type]
    head = peekable.peek(512)[:512]  # type: ignore[attr-defined]
    encoding, skip = bom_encoding(head)
    if encoding is None:
        kind = bomless_utf16(head)
        if kind is not None:
            raise InputError(
                f"{label}: looks like {kind} text without a byte-order mark; convert it to "
                f"UTF-8 (iconv -f {kind} -t UTF-8 FILE > FILE.utf8) and ingest that"
            )
        return peekable
    peekable.read(skip)
    if encoding == "utf-8":
        return peekable
    text = io.TextIOWrapper(peekable, encoding=encoding, errors="strict", newline="")
    return io.BufferedReader(_Utf8Recoder(text), buffer_size=1 << 20)
