"""Turn policy: which user turns of a conversation become prompts.

- `first`: the first non-empty user turn (the default; turn = its 1-based number)
- `joined`: every user turn joined by a blank line, as BenchBuilder does (turn = 0)
- `each`: every non-empty user turn as its own prompt (turn = its 1-based number)
"""

from __future__ import annotations

from miner import schema

TURN_POLICIES = schema.choices("ingest.turns")
JOINED_TURN = 0
JOIN_SEPARATOR = "\n\n"


def select_turns(user_turns: list[str], policy: str) -> list[tuple[int, str]]:
    """(turn number, text) pairs for the prompts a conversation yields under `policy`."""
    numbered = [(number, text) for number, text in enumerate(user_turns, start=1) if text.strip()]
    if not numbered:
        return []
    if policy == "first":
        return numbered[:1]
    if policy == "joined":
        return [(JOINED_TURN, JOIN_SEPARATOR.join(text.strip() for _, text in numbered))]
    if policy == "each":
        return numbered
    raise ValueError(f"unknown turn policy {policy!r}; expected one of {', '.join(TURN_POLICIES)}")
