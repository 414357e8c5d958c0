"""Prompt text: cleaning, the normalised form used for exact-duplicate detection, its hash."""

from __future__ import annotations

import hashlib


def clean(text: str) -> str:
    """Strip surrounding whitespace, turn CRLF line breaks into LF (so a text reads the same
    from every format) and replace what UTF-8 cannot hold (lone surrogates)."""
    text = text.strip().replace("\r\n", "\n")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text.replace("\x00", "")


def normalise(text: str) -> str:
    """Whitespace runs collapsed to one space, case folded: the form duplicates share."""
    return " ".join(text.split()).casefold()


def text_hash(text: str) -> str:
    """sha256 (hex) of the normalised text."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()
