"""Broad categories over the narrow topics: an agglomerative (Ward) merge of topic centroids."""

from __future__ import annotations

import numpy as np


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
