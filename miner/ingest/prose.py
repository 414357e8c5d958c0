"""The prose of a prompt: its text with code blocks, inline code and code-like lines removed.

Language detectors read character n-grams; code (keywords, identifiers, punctuation) has
n-grams of no human language, so an English question holding a Python snippet can come out
as Japanese, and a one-line request naming XAML as Slovenian. Detecting on the prose alone
avoids that; a prompt that is all code keeps its whole text.
"""

from __future__ import annotations

import re

_FENCED = re.compile(r"(```|~~~)[^\n]*\n.*?(?:\n\1|\Z)", re.S)  # an open fence runs to the end
_INLINE = re.compile(r"`[^`\n]+`")
_TAG = re.compile(r"</?[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?>")
_URL = re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.\S+")
_CODE_START = re.compile(
    r"^\s*(?:def |class |import |from \S+ import |#include|#define|public |private |"
    r"protected |static |function\b|const |let |var |return\b|if\s*\(|for\s*\(|while\s*\(|"
    r"else\b|elif |try:|except\b|catch\s*\(|SELECT |INSERT |UPDATE |CREATE TABLE|package |"
    r"using |namespace |fn |pub |impl |async |await |print\(|console\.|@\w+|//|/\*|\*/|#!|\$ |"
    r"case \S+:|default:|[\w.\[\]'\"]+\s*[-+*/%|&]?=\s*\S|[\w.]+\(.*\)\s*;?\s*$)"
)
_SENTENCE = re.compile(r"^(.*[?.!:])\s+\S")
_SYMBOLS = frozenset("{}[]();=<>+*/\\|&^%$#@~_:")
MIN_PROSE_LETTERS = 8


def _code_like(line: str) -> bool:
    """Whether one line looks like code rather than a sentence."""
    stripped = line.strip()
    if not stripped:
        return False
    if _CODE_START.match(line) or line.startswith(("    ", "\t")):
        return True
    if not any(char.isalpha() for char in stripped) or stripped.endswith((";", "{", "}")):
        return True
    symbols = sum(char in _SYMBOLS for char in stripped)
    return symbols >= 2 and symbols >= 0.1 * len(stripped)


def _prose_line(line: str) -> str:
    """The line, its leading sentence when code follows it on the line, or '' for code."""
    if not _code_like(line):
        return line
    sentence = _SENTENCE.match(line.strip())
    if sentence and not _code_like(sentence.group(1)):
        return sentence.group(1)
    return ""


def prose_of(text: str) -> str:
    """`text` without fenced code, inline code, markup tags, URLs and code-like lines; the whole
    `text` when too little prose (under MIN_PROSE_LETTERS letters, or one word) is left."""
    prose = _FENCED.sub("\n", text)
    prose = _INLINE.sub(" ", prose)
    prose = _URL.sub(" ", _TAG.sub(" ", prose))
    prose = "\n".join(filter(None, map(_prose_line, prose.splitlines())))
    if sum(char.isalpha() for char in prose) < MIN_PROSE_LETTERS or len(prose.split()) < 2:
        return text
    return prose
