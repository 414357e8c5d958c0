"""Build BERTopic from the settings and fit it on precomputed embeddings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from miner.cluster.settings import ClusterSettings
from miner.errors import InputError

# Keyword tokens: two or more word characters, at least one a letter. Bare numbers ("001",
# "85") made whole topic labels of digits on real prompts (tables and logs pasted in).
WORD_WITH_A_LETTER = r"(?u)\b(?=\w*[^\W\d_])\w\w+\b"


@dataclass
class Fit:
    """A fitted BERTopic model and what it said about each fitted prompt."""

    model: Any               # bertopic.BERTopic
    topics: np.ndarray       # int, -1 for outliers, one per fitted prompt
    probabilities: np.ndarray  # HDBSCAN membership strength in [0, 1]
    reduced: np.ndarray      # the UMAP embedding the clusters were found in


def build_model(settings: ClusterSettings) -> Any:
    """An unfitted BERTopic with seeded UMAP, HDBSCAN and an English c-TF-IDF vectorizer."""
    from bertopic import BERTopic
    from bertopic.vectorizers import ClassTfidfTransformer
    from hdbscan import HDBSCAN
    from sklearn.feature_extraction.text import CountVectorizer
    from umap import UMAP

    umap_model = UMAP(
        n_neighbors=settings.umap_n_neighbors,
        n_components=settings.umap_n_components,
        min_dist=settings.umap_min_dist,
        metric="cosine",
        random_state=settings.seed,
        n_jobs=1,                     # a seed makes UMAP single-threaded anyway
        init="pca",                   # spectral init stalls in ARPACK for minutes at 100k points
        low_memory=True,
    )
    hdbscan_model = HDBSCAN(
        min_cluster_size=settings.min_cluster_size,
        min_samples=settings.min_samples,
        cluster_selection_method=settings.selection_method,
        metric="euclidean",
        prediction_data=False,
    )
    vectorizer = CountVectorizer(
        stop_words="english",
        ngram_range=(1, settings.ngram_max),
        token_pattern=WORD_WITH_A_LETTER,
    )
    return BERTopic(
        umap_model=umap_model,
        hdbscan_model=hdbscan_model,
        vectorizer_model=vectorizer,
        ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
        top_n_words=settings.top_n_words,
        min_topic_size=settings.min_cluster_size,
        calculate_probabilities=False,
        verbose=False,
    )


def fit_topics(texts: list[str], embeddings: np.ndarray, settings: ClusterSettings) -> Fit:
    """Fit BERTopic on `texts` with their `embeddings` (never re-embedding)."""
    smallest = max(settings.umap_n_neighbors + 2, settings.min_cluster_size * 2)
    if len(texts) < smallest:
        raise InputError(
            f"prompts.parquet: {len(texts)} distinct prompts are too few to cluster with "
            f"umap.n_neighbors={settings.umap_n_neighbors} and "
            f"hdbscan.min_cluster_size={settings.min_cluster_size} (need at least {smallest})"
        )
    model = build_model(settings)
    try:
        topics, probabilities = model.fit_transform(
            texts, embeddings=np.ascontiguousarray(embeddings)
        )
    except ValueError as exc:
        if "vocabulary" in str(exc):
            raise InputError(
                "prompts.parquet: no keywords left after removing English stop words "
                f"({exc})"
            ) from None
        raise
    topics = np.asarray(topics, dtype=np.int64)
    if not (topics >= 0).any():
        raise InputError(
            f"prompts.parquet: HDBSCAN found no topic among {len(texts)} prompts; lower "
            "cluster.hdbscan.min_cluster_size or cluster.hdbscan.min_samples"
        )
    return Fit(
        model=model,
        topics=topics,
        probabilities=np.asarray(probabilities, dtype=np.float32).reshape(-1),
        reduced=np.asarray(model.umap_model.embedding_, dtype=np.float32),
    )


def map_coordinates(reduced: np.ndarray, settings: ClusterSettings) -> tuple[np.ndarray, Any]:
    """2-D map of the fitted prompts for scatter plots: a seeded UMAP of the reduced space.

    Returns the coordinates and the fitted UMAP (whose `transform` places new prompts)."""
    from umap import UMAP

    neighbours = min(settings.umap_n_neighbors, len(reduced) - 1)
    mapper = UMAP(
        n_neighbors=neighbours, n_components=2, min_dist=0.1, metric="euclidean",
        random_state=settings.seed, n_jobs=1, init="pca", low_memory=True,
    )
    return np.asarray(mapper.fit_transform(reduced), dtype=np.float32), mapper
