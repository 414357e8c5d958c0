"""Readable topic labels from c-TF-IDF keywords."""

from __future__ import annotations

from typing import Any

import numpy as np


def topic_keywords(model: Any, topic: int) -> list[str]:
    """BERTopic's c-TF-IDF keywords of `topic`, best first (empty words dropped)."""
    words = model.get_topic(topic) or []
    return [word for word, score in words if word and score > 0]


def keyword_label(keywords: list[str], n_words: int) -> str:
    """The first `n_words` keywords that do not repeat one another, joined: 'python, pandas'."""
    chosen: list[str] = []
    for word in keywords:
        if any(word in other or other in word for other in chosen):
            continue
        chosen.append(word)
        if len(chosen) == n_words:
            break
    return ", ".join(chosen) if chosen else "(no keywords)"


def merged_keywords(model: Any, topics: list[int], sizes: dict[int, int], count: int) -> list[str]:
    """Keywords of a group of topics: the top words of their size-weighted c-TF-IDF rows."""
    matrix = model.c_tf_idf_
    offset = 1 if -1 in model.topic_sizes_ else 0
    weights = np.array([sizes[t] for t in topics], dtype=np.float64)
    rows = [t + offset for t in topics]
    scores = np.asarray(matrix[rows].multiply(weights[:, None]).sum(axis=0)).ravel()
    vocabulary = model.vectorizer_model.get_feature_names_out()
    order = np.lexsort((np.arange(len(scores)), -scores))[:count]
    return [str(vocabulary[i]) for i in order if scores[i] > 0]
