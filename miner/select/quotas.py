"""Category quotas: which prompts count toward `--quota NAME=SHARE`.

A quota name is matched against each topic's own label and keywords (topic_info.json), never
its category's label: a category is a group of topics, and its words say nothing about the
topic's prompts (a "code, math" category holds math topics and coding topics). The words to
look for come from `select.categories.NAME` when that entry exists, else from the name itself
(`creative_writing` looks for `creative` and `writing`). A topic word matches a word when it
is that word plus at most an inflection (`SUFFIXES`, a doubled last letter before it, or
digits): `program` matches `programs` and `programming` but not `programme`, `script`
matches `scripts` but not `scripture`. A topic goes to the quota with the most matching
words (the first given on a tie); a topic no quota matches is `OTHER`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import pandas as pd

from miner.errors import ConfigError

OTHER = ""  # the group of prompts no quota claims

_WORD = re.compile(r"[^0-9a-z+#]+")


def label_words(*labels: str) -> set[str]:
    """Lower-case words of the given labels (`c++` and `c#` stay words)."""
    return {w for label in labels for w in _WORD.split(label.lower()) if w}


def quota_words(name: str, categories: Mapping[str, list[str]]) -> list[str]:
    """The words that put a topic into quota `name`."""
    return list(categories.get(name) or label_words(name))


SUFFIXES = frozenset({"s", "es", "r", "rs", "d", "er", "ers", "ed", "ing", "ings", "ion", "ions",
                      "al", "ally", "ic", "ics", "ical", "y"})


def word_matches(word: str, pattern: str) -> bool:
    """Whether `word` is `pattern` or `pattern` inflected (`code`: codes, coder, coding...)."""
    if not word.startswith(pattern):
        return False
    rest = word[len(pattern):]
    return (rest == "" or rest in SUFFIXES or rest.isdigit()
            or (rest[0] == pattern[-1] and rest[1:] in SUFFIXES))


def matches(words: set[str], patterns: Iterable[str]) -> bool:
    """Whether any label word matches any of `patterns` (`word_matches`)."""
    return any(word_matches(w, p) for p in patterns for w in words)


def _hits(words: set[str], patterns: Iterable[str]) -> int:
    """How many of `words` match one of `patterns`."""
    patterns = list(patterns)
    return sum(1 for word in words if any(word_matches(word, p) for p in patterns))


def topic_groups(
    frame: pd.DataFrame, quotas: Mapping[str, float], categories: Mapping[str, list[str]]
) -> dict[int, str]:
    """Map each topic in `frame` to the quota it counts toward (`OTHER` when none).

    A quota that no topic matches is an error naming the labels that exist.
    """
    columns = ["topic", "topic_label"]
    keywords = "topic_keywords" in frame
    labels = frame.drop_duplicates("topic")[columns + (["topic_keywords"] if keywords else [])]
    groups: dict[int, str] = {}
    used: set[str] = set()
    for entry in labels.itertuples(index=False):
        words = label_words(entry.topic_label, *(entry.topic_keywords.split(" | ")
                                                 if keywords else []))
        hits = {name: _hits(words, quota_words(name, categories)) for name in quotas}
        best = max(hits, key=lambda name: hits[name], default=OTHER)
        group = best if best != OTHER and hits[best] else OTHER
        groups[int(entry.topic)] = group
        used.add(group)
    missing = [name for name in quotas if name not in used]
    if missing:
        known = sorted(set(labels["topic_label"]) - {""})
        shown = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
        raise ConfigError(
            f"quota '{missing[0]}' matches no topic (looked for words "
            f"{quota_words(missing[0], categories)} in topic labels and keywords: {shown}); "
            f"add 'select.categories.{missing[0]}: [word, ...]' to your config"
        )
    return groups


def quota_targets(top: int, quotas: Mapping[str, float]) -> dict[str, int]:
    """Slots per group: each quota its share of `top` (rounded), the rest to `OTHER`."""
    targets = {name: int(round(share * top)) for name, share in quotas.items()}
    targets[OTHER] = max(0, top - sum(targets.values()))
    return targets
