"""Give every prompt outside the fitted sample a topic, probability and map position.

Two routes (`cluster.assign`): `neighbours`, a similarity-weighted vote of the nearest fitted
prompts (FAISS inner product = cosine on normalised vectors), and `transform`, BERTopic's own
(UMAP transform + HDBSCAN approximate prediction). Their agreement with a full fit and their
cost are measured in docs/performance.md, "Clustering".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from miner.cluster.outliers import reassign_outliers
from miner.cluster.settings import ClusterSettings
from miner.executor import LOCAL, Executor

CHUNK_ROWS = 16384
# Up to this many fitted prompts the neighbour search is exact; above it an IVF index
# (nlist = 4 * sqrt(n), nprobe = IVF_NPROBE) keeps a million queries to about a minute.
EXACT_MAX = 20000
IVF_NPROBE = 16


@dataclass
class Assigned:
    """Topic, probability and map position of the assigned rows."""

    topics: np.ndarray
    probabilities: np.ndarray
    xy: np.ndarray


def neighbour_index(vectors: np.ndarray, seed: int):
    """A FAISS inner-product index over `vectors` (exact when small, IVF when large)."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1]
    if len(vectors) <= EXACT_MAX:
        index = faiss.IndexFlatIP(dim)
    else:
        nlist = int(4 * np.sqrt(len(vectors)))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.cp.seed = seed
        index.train(vectors)
        index.nprobe = IVF_NPROBE
    index.add(vectors)
    return index


def assign_by_neighbours(
    embeddings: np.ndarray, rows: np.ndarray, fitted_vectors: np.ndarray,
    fitted_topics: np.ndarray, fitted_xy: np.ndarray, k: int, seed: int,
    executor: Executor = LOCAL,
) -> Assigned:
    """Topic of each of `rows` by a similarity-weighted vote of its `k` nearest fitted prompts.

    Probability is the winning topic's share of the vote; the map position is the weighted
    mean position of the neighbours that voted for the winner. Ties go to the lower topic.
    """
    k = min(k, len(fitted_vectors))
    index = neighbour_index(fitted_vectors, seed)
    topics = np.empty(len(rows), dtype=np.int64)
    probabilities = np.empty(len(rows), dtype=np.float32)
    xy = np.empty((len(rows), 2), dtype=np.float32)
    offset = int(fitted_topics.min())            # -1 when outliers are kept
    n_labels = int(fitted_topics.max()) - offset + 1
    def vote(chunk: np.ndarray, bar: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        block = np.ascontiguousarray(embeddings[chunk], dtype=np.float32)
        similarity, neighbours = index.search(block, k)
        missing = neighbours < 0                    # IVF found fewer than k
        neighbours[missing] = 0
        weights = np.where(missing, 0.0, np.clip(similarity, 1e-6, None))
        labels = fitted_topics[neighbours] - offset
        votes = np.zeros((len(block), n_labels), dtype=np.float64)
        np.add.at(votes, (np.arange(len(block))[:, None], labels), weights)
        winner = votes.argmax(axis=1)
        total = votes.sum(axis=1)
        share = votes[np.arange(len(block)), winner] / np.where(total > 0, total, 1)
        voted = weights * (labels == winner[:, None])
        voted_sum = voted.sum(axis=1, keepdims=True)
        position = (voted[:, :, None] * fitted_xy[neighbours]).sum(axis=1) / np.where(
            voted_sum > 0, voted_sum, 1.0)
        return winner + offset, share, position

    for chosen, (topic, share, position) in executor.map_batches(
            vote, rows, CHUNK_ROWS, desc="assigning topics"):
        topics[chosen], probabilities[chosen], xy[chosen] = topic, share, position
    return Assigned(topics=topics, probabilities=probabilities, xy=xy)


def assign_by_transform(
    model: Any, mapper: Any, embeddings: np.ndarray, rows: np.ndarray, centroids: np.ndarray,
    settings: ClusterSettings, executor: Executor = LOCAL,
) -> Assigned:
    """BERTopic's own route: UMAP transform into the fitted space, HDBSCAN approximate_predict,
    the map UMAP's transform for positions; predicted outliers go through the same outlier
    strategy as the fitted ones. Probability is HDBSCAN's membership strength."""
    import hdbscan

    model.hdbscan_model.generate_prediction_data()
    mapping = model.topic_mapper_.get_mappings(original_topics=True)
    # Only what a batch needs travels to an engine's workers (the model also holds the
    # keyword embedder, which does not pickle).
    reducer, clusterer = model.umap_model, model.hdbscan_model
    topics = np.empty(len(rows), dtype=np.int64)
    probabilities = np.empty(len(rows), dtype=np.float32)
    xy = np.empty((len(rows), 2), dtype=np.float32)
    def predict(chunk: np.ndarray, bar: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        block = np.ascontiguousarray(embeddings[chunk], dtype=np.float32)
        reduced = reducer.transform(block)
        labels, strengths = hdbscan.approximate_predict(clusterer, reduced)
        predicted = np.array([mapping.get(int(label), -1) for label in labels], dtype=np.int64)
        topic, strength = reassign_outliers(
            block, predicted, np.asarray(strengths, dtype=np.float32), centroids, settings)
        return topic, strength, mapper.transform(reduced)

    for chosen, (topic, strength, position) in executor.map_batches(
            predict, rows, CHUNK_ROWS, desc="assigning topics"):
        topics[chosen], probabilities[chosen], xy[chosen] = topic, strength, position
    return Assigned(topics=topics, probabilities=probabilities, xy=xy)
