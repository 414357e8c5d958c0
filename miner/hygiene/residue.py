"""Copy-paste residue that chat-export tools glue to prompts, stripped at ingest.

- ShareGPT's answer counter: "1 / 1" (or "2 / 3") glued to the start of the prompt
  ("2 / 2Write a poem") or left at its end ("... explanations.1 / 1").
- Browser-extension and UI buttons at the end: "Share Prompt", "지금 번역하기" (Papago's
  "translate now"), "Save & SubmitCancel" (ChatGPT's edit box).
"""

from __future__ import annotations

import re

_COUNTER = r"(?:[1-9]|1\d|20) / (?:[1-9]|1\d|20)"
_LEADING = re.compile(rf"^{_COUNTER}(?=\S)")
_BUTTONS = ("Share Prompt", "지금 번역하기", "Save & SubmitCancel")
_TRAILING = re.compile(
    rf"(?:(?<=\s){_COUNTER}|(?<=[^\w\s/]){_COUNTER}|{'|'.join(map(re.escape, _BUTTONS))})$"
)


def strip_residue(text: str) -> str:
    """`text` without the residue above (repeatedly, from both ends); unchanged otherwise."""
    while True:
        stripped = _LEADING.sub("", text, count=1).strip()
        stripped = _TRAILING.sub("", stripped, count=1).rstrip()
        if stripped == text:
            return text
        text = stripped
