"""Topic centroids in embedding space and the prompts nearest to them."""

from __future__ import annotations

import numpy as np

CHUNK_ROWS = 65536


def topic_centroids(
    embeddings: np.ndarray, topics: np.ndarray, n_topics: int, rows: np.ndarray | None = None
) -> np.ndarray:
    """L2-normalised mean embedding of each topic 0..n_topics-1 (outliers ignored).

    `embeddings` may be a memory map; `rows` picks the rows that `topics` labels (all when None).
    Reads in chunks so a million rows never sit in memory twice.
    """
    dim = embeddings.shape[1]
    sums = np.zeros((n_topics, dim), dtype=np.float64)
    rows = np.arange(len(topics)) if rows is None else rows
    for start in range(0, len(rows), CHUNK_ROWS):
        chunk_topics = topics[start:start + CHUNK_ROWS]
        keep = chunk_topics >= 0
        block = np.asarray(embeddings[rows[start:start + CHUNK_ROWS][keep]], dtype=np.float64)
        np.add.at(sums, chunk_topics[keep], block)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def nearest_to_centroid(
    embeddings: np.ndarray, topics: np.ndarray, centroids: np.ndarray, count: int
) -> dict[int, np.ndarray]:
    """For each topic, positions (into `topics`) of its `count` members closest to its centroid.

    Ties go to the earlier position, so the choice is stable.
    """
    nearest: dict[int, np.ndarray] = {}
    for topic in range(len(centroids)):
        members = np.flatnonzero(topics == topic)
        similarity = embeddings[members] @ centroids[topic]
        order = np.lexsort((members, -similarity))[:count]
        nearest[topic] = members[order]
    return nearest
