"""A generated conversation log for `miner demo`: deterministic, LMSYS-Chat-1M shaped.

`demo_records(n, seed)` yields `n` conversations across the topics of `miner.demo.topics`
(topic sizes uneven, as in real logs), each topic with its own mix of easy, medium and hard
prompts, plus what real logs carry and ingest must handle: repeated questions (exact
duplicates), reworded copies (near-duplicates), prompts in other languages, too-short
prompts, moderation-flagged and redacted conversations, and multi-turn conversations.
The same `n` and `seed` always give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from miner.demo.topics import CONTEXTS, FOREIGN, SHORT, TOPICS, Topic
from miner.run import atomic_path

MODELS = ("vicuna-13b", "gpt-3.5-turbo", "llama-2-13b-chat", "claude-instant-1", "koala-13b")
MODERATION_CATEGORIES = (
    "harassment", "harassment/threatening", "hate", "hate/threatening", "self-harm",
    "self-harm/instructions", "self-harm/intent", "sexual", "sexual/minors", "violence",
    "violence/graphic",
)
NUMBERS = (3, 4, 5, 6, 8, 10, 12, 20, 25, 40, 50)
FOLLOW_UPS = ("Can you make it shorter?", "Thanks, can you give one more example please?",
              "Now explain it in simpler words.", "What about edge cases?")
# Hard prompts often end with a demand for rigour or originality.
HARD_ENDINGS = ("", " Come up with an original approach if the usual one fails, and verify it.",
                " I need a creative but exactly correct answer: my manager will check each step.",
                " Be precise and show every step; an original solution is welcome.")
# How often each topic's prompts are hard: technical topics are asked harder questions.
HARD_SHARE = {"python": 0.45, "sql": 0.45, "javascript": 0.4, "rust": 0.5, "devops": 0.35,
              "machine_learning": 0.45, "calculus": 0.4, "statistics": 0.4, "physics": 0.35,
              "chemistry": 0.3, "biology": 0.3, "medicine": 0.3, "law": 0.3, "finance": 0.3}
OTHER_HARD_SHARE = 0.15
REWORDINGS = (("?", " please?"), ("Explain", "Please explain"), ("Write", "Can you write"),
              (".", ", thanks."), ("What is", "what's"), ("How do I", "how can I"))

# Share of the conversations that are each kind of noise.
DUPLICATE_SHARE = 0.04
NEAR_DUPLICATE_SHARE = 0.02
FOREIGN_SHARE = 0.01
SHORT_SHARE = 0.01
FLAGGED_SHARE = 0.005
REDACTED_SHARE = 0.003


def moderation(flagged: bool) -> dict[str, Any]:
    """One message's `openai_moderation` entry, LMSYS-Chat-1M style, flagged for harassment
    or not."""
    categories = dict.fromkeys(MODERATION_CATEGORIES, False)
    if flagged:
        categories["harassment"] = True
    return {
        "categories": categories,
        "category_scores": {k: (0.91 if v else 0.0001) for k, v in categories.items()},
        "flagged": flagged,
    }


def _fill(template: str, topic: Topic, rng: random.Random) -> str:
    x, y = rng.sample(topic.subjects, 2)
    return template.format(x=x, y=y, n=rng.choice(NUMBERS), ctx=rng.choice(CONTEXTS))


def reworded(text: str, rng: random.Random,
             edits: tuple[tuple[str, str], ...] = REWORDINGS) -> str:
    """A near-copy: one small edit (of `edits`) a user would make when asking again."""
    options = [(a, b) for a, b in edits if a in text]
    if options:
        old, new = rng.choice(options)
        return text.replace(old, new, 1)
    return text + " Thanks!"


def _prompt(topic: Topic, hard_share: float, rng: random.Random) -> str:
    roll = rng.random()
    if roll < hard_share:
        return _fill(rng.choice(topic.hard), topic, rng) + rng.choice(HARD_ENDINGS)
    if roll < hard_share + (1 - hard_share) * 0.45:
        return _fill(rng.choice(topic.medium), topic, rng)
    return _fill(rng.choice(topic.easy), topic, rng)


def _record(index: int, seed: int, text: str, rng: random.Random, *, language: str = "English",
            flagged: bool = False, redacted: bool = False) -> dict[str, Any]:
    conversation = [{"role": "user", "content": text},
                    {"role": "assistant", "content": "Sure! Here is an answer to your question."}]
    if rng.random() < 0.15:
        conversation += [{"role": "user", "content": rng.choice(FOLLOW_UPS)},
                         {"role": "assistant", "content": "Of course."}]
    return {
        "conversation_id": hashlib.sha256(f"demo-{seed}-{index}".encode()).hexdigest()[:32],
        "model": rng.choice(MODELS),
        "conversation": conversation,
        "turn": len(conversation) // 2,
        "language": language,
        "openai_moderation": [moderation(flagged and m["role"] == "user")
                              for m in conversation],
        "redacted": redacted,
    }


def demo_records(n: int = 3000, seed: int = 0) -> Iterator[dict[str, Any]]:
    """Yield `n` LMSYS-Chat-1M shaped conversations, the same ones for the same seed."""
    rng = random.Random(seed)
    weights = [rng.uniform(0.5, 2.0) for _ in TOPICS]
    hard_shares = [HARD_SHARE.get(topic.name, OTHER_HARD_SHARE) for topic in TOPICS]
    asked: list[str] = []
    for index in range(n):
        roll = rng.random()
        language, flagged, redacted = "English", False, False
        if roll < DUPLICATE_SHARE and asked:
            text = rng.choice(asked)
            if rng.random() < 0.3:
                text = "  " + text.lower() + " "   # same after whitespace/case normalisation
        elif (roll := roll - DUPLICATE_SHARE) < NEAR_DUPLICATE_SHARE and asked:
            text = reworded(rng.choice(asked), rng)
        elif (roll := roll - NEAR_DUPLICATE_SHARE) < FOREIGN_SHARE:
            language, text = rng.choice(FOREIGN)
        elif (roll := roll - FOREIGN_SHARE) < SHORT_SHARE:
            text = rng.choice(SHORT)
        else:
            position = rng.choices(range(len(TOPICS)), weights=weights)[0]
            text = _prompt(TOPICS[position], hard_shares[position], rng)
            asked.append(text)
            flagged = rng.random() < FLAGGED_SHARE
            redacted = not flagged and rng.random() < REDACTED_SHARE
        yield _record(index, seed, text, rng, language=language, flagged=flagged,
                      redacted=redacted)


def write_demo_corpus(path: Path, n: int = 3000, seed: int = 0) -> Path:
    """Write the demo log as JSONL at `path` (atomically) and return the path."""
    with atomic_path(Path(path)) as tmp, open(tmp, "w", encoding="utf-8") as handle:
        for record in demo_records(n, seed):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return Path(path)
