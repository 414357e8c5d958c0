"""What happens to HDBSCAN's outliers (topic -1): kept, or moved to the nearest topic."""

from __future__ import annotations

import numpy as np

from miner.cluster.settings import ClusterSettings


def reassign_outliers(
    embeddings: np.ndarray, topics: np.ndarray, probabilities: np.ndarray,
    centroids: np.ndarray, settings: ClusterSettings,
) -> tuple[np.ndarray, np.ndarray]:
    """Apply `settings.outliers` to the fitted prompts; return new topics and probabilities.

    `embeddings`: moves each outlier to the topic whose centroid is most cosine-similar when
    that similarity reaches `outlier_threshold`; a moved prompt gets probability 0 (HDBSCAN
    did not put it in any cluster). `keep` changes nothing.
    """
    topics = topics.copy()
    probabilities = probabilities.copy()
    outliers = np.flatnonzero(topics < 0)
    if settings.outliers == "keep" or len(outliers) == 0:
        return topics, probabilities
    similarity = np.asarray(embeddings[outliers], dtype=np.float32) @ centroids.T
    best = similarity.argmax(axis=1)
    close = similarity[np.arange(len(outliers)), best] >= settings.outlier_threshold
    topics[outliers[close]] = best[close]
    probabilities[outliers[close]] = 0.0
    return topics, probabilities
