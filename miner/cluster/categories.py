"""Broad categories over the narrow topics: an agglomerative merge of topic centroids."""

from __future__ import annotations

import numpy as np


def group_topics(centroids: np.ndarray, sizes: np.ndarray, n_categories: int | None) -> np.ndarray:
    """Category of each topic, numbered 0.. by total size (largest first).

    Average-linkage clustering on cosine distance between topic centroids, cut into
    `n_categories` groups (None: round(sqrt(number of topics)), the usual two-level fan-out).
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    n_topics = len(centroids)
    wanted = round(np.sqrt(n_topics)) if n_categories is None else n_categories
    wanted = int(min(max(wanted, 1), n_topics))
    if n_topics < 2 or wanted == 1:
        return np.zeros(n_topics, dtype=np.int64)
    tree = linkage(centroids.astype(np.float64), method="average", metric="cosine")
    groups = fcluster(tree, t=wanted, criterion="maxclust")
    totals = {g: sizes[groups == g].sum() for g in np.unique(groups)}
    first = {g: int(np.flatnonzero(groups == g)[0]) for g in totals}
    order = sorted(totals, key=lambda g: (-totals[g], first[g]))
    number = {g: i for i, g in enumerate(order)}
    return np.array([number[g] for g in groups], dtype=np.int64)
