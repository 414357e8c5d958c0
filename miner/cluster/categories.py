"""Broad categories over the narrow topics: an agglomerative (Ward) merge of topic centroids,
labelled from the topics they group."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from miner.cluster.labels import category_keywords, keyword_label
from miner.cluster.settings import ClusterSettings


def group_topics(centroids: np.ndarray, sizes: np.ndarray, n_categories: int | None) -> np.ndarray:
    """Category of each topic, numbered 0.. by total size (largest first).

    Ward-linkage clustering of the unit-length topic centroids (Euclidean distance between
    unit vectors is a monotone function of cosine), cut into `n_categories` groups (None:
    round(sqrt(number of topics)), the usual two-level fan-out). Ward keeps the groups of
    comparable size; average linkage made one category of 44% on 10k real prompts.
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    n_topics = len(centroids)
    wanted = round(np.sqrt(n_topics)) if n_categories is None else n_categories
    wanted = int(min(max(wanted, 1), n_topics))
    if n_topics < 2 or wanted == 1:
        return np.zeros(n_topics, dtype=np.int64)
    unit = centroids.astype(np.float64)
    unit /= np.maximum(np.linalg.norm(unit, axis=1, keepdims=True), 1e-12)
    tree = linkage(unit, method="ward", metric="euclidean")
    groups = fcluster(tree, t=wanted, criterion="maxclust")
    totals = {g: sizes[groups == g].sum() for g in np.unique(groups)}
    first = {g: int(np.flatnonzero(groups == g)[0]) for g in totals}
    order = sorted(totals, key=lambda g: (-totals[g], first[g]))
    number = {g: i for i, g in enumerate(order)}
    return np.array([number[g] for g in groups], dtype=np.int64)


def describe_categories(
    category_of: np.ndarray, sizes: np.ndarray, n_rows: int, keywords: dict[int, list[str]],
    labels: dict[int, str], centroids: np.ndarray, settings: ClusterSettings, *,
    embed: Callable[[list[str]], np.ndarray] | None = None, namer: Any = None,
) -> list[dict[str, Any]]:
    """The broad level, labelled from its topics: members, size, share, keywords chosen among
    the member topics' keywords (`category_keywords`; `embed` ranks them by closeness to the
    size-weighted mean of the topic `centroids`), and a label (keywords, or the namer's name
    made from the topics' labels)."""
    n_categories = int(category_of.max()) + 1
    members = {c: [int(t) for t in np.flatnonzero(category_of == c)] for c in range(n_categories)}
    size_of = {t: int(sizes[t]) for t in range(len(sizes))}
    words = {}
    for c, topics in members.items():
        centre = (centroids[topics] * sizes[topics, None]).sum(axis=0)
        centre = centre / max(float(np.linalg.norm(centre)), 1e-12)
        words[c] = category_keywords(keywords, topics, size_of, settings.top_n_words,
                                     centre, embed)
    names = {c: keyword_label(w, settings.label_words) for c, w in words.items()}
    source = dict.fromkeys(members, "keywords")
    if namer is not None:
        listed = {}
        for c, topics in members.items():
            total = max(sum(size_of[t] for t in topics), 1)
            biggest = sorted(topics, key=lambda t: (-size_of[t], t))
            listed[c] = [(labels[t], size_of[t] / total) for t in biggest]
        for c, name in namer.name_categories(listed).items():
            names[c], source[c] = name, "llm"
    return [
        {
            "category": c,
            "label": names[c],
            "label_source": source[c],
            "keywords": words[c],
            "topics": topics,
            "size": int(sizes[topics].sum()),
            "share": round(int(sizes[topics].sum()) / n_rows, 6),
        }
        for c, topics in members.items()
    ]
