"""Readable topic and category labels from topic keywords."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

# Most words in one label (a keyword of two words counts two).
MAX_LABEL_WORDS = 4
# A CJK keyword (a Han bigram, a Katakana word) is one readable word however short.
_CJK = re.compile(r"^[\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")


def topic_keywords(model: Any, topic: int) -> list[str]:
    """The keywords BERTopic's representation gave `topic`, best first.

    Only words that occur in the topic's own fitted prompts are kept (their c-TF-IDF weight
    in the topic's row is positive): a representation model pads short topics with empty
    words, and none may surface as a label.
    """
    words = [word for word, score in (model.get_topic(topic) or []) if word and score > 0]
    if not words:
        return []
    vocabulary = model.vectorizer_model.vocabulary_
    row = model.c_tf_idf_[topic + (1 if -1 in model.topic_sizes_ else 0)]
    weight = row.toarray().ravel()
    return [w for w in words if w in vocabulary and weight[vocabulary[w]] > 0]


def readable(keyword: str) -> bool:
    """Every word of `keyword` has 3+ letters (a CJK word: any length) and none repeats."""
    parts = keyword.split()
    return len(set(parts)) == len(parts) and all(
        _CJK.match(word) or sum(ch.isalpha() for ch in word) >= 3 for word in parts)


def _repeats(word: str, chosen: list[str]) -> bool:
    parts = set(word.split())
    return any(word in other or other in word or parts & set(other.split()) for other in chosen)


def keyword_label(keywords: list[str], n_words: int) -> str:
    """Up to `n_words` keywords, best first, that are readable, do not repeat one another and
    make at most MAX_LABEL_WORDS words together: 'python, pandas, dataframe'.

    Unreadable keywords are used only when no readable one is left."""
    chosen: list[str] = []
    total = 0
    for pool in ([k for k in keywords if readable(k)], keywords):
        for word in pool:
            size = len(word.split())
            if _repeats(word, chosen) or total + size > MAX_LABEL_WORDS:
                continue
            chosen.append(word)
            total += size
            if len(chosen) == n_words:
                break
        if chosen:
            break
    return ", ".join(chosen) if chosen else "(no keywords)"


def category_keywords(keywords: dict[int, list[str]], topics: list[int], sizes: dict[int, int],
                      count: int, centroid: np.ndarray | None = None,
                      embed: Callable[[list[str]], np.ndarray] | None = None) -> list[str]:
    """Keywords of a category, chosen among its topics' keywords.

    With `embed` (the run's embedding model) and the category's `centroid`: the candidates
    nearest the category's meaning, so the label covers its topics instead of repeating its
    largest one. Without: each topic votes for its words with its size, discounted by rank.
    """
    score: dict[str, float] = {}
    for topic in topics:
        for rank, word in enumerate(keywords[topic]):
            score[word] = score.get(word, 0.0) + sizes[topic] / (rank + 1)
    candidates = sorted(score, key=lambda w: -score[w])
    if embed is not None and centroid is not None and candidates:
        similarity = embed(candidates) @ centroid
        candidates = [candidates[i] for i in np.argsort(-similarity, kind="stable")]
    return candidates[:count]
