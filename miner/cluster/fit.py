"""Build BERTopic from the settings and fit it on precomputed embeddings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from miner.cluster.settings import ClusterSettings
from miner.cluster.vectorizer import build_vectorizer
from miner.errors import InputError


@dataclass
class Fit:
    """A fitted BERTopic model and what it said about each fitted prompt."""

    model: Any               # bertopic.BERTopic
    topics: np.ndarray       # int, -1 for outliers, one per fitted prompt
    probabilities: np.ndarray  # HDBSCAN membership strength in [0, 1]
    reduced: np.ndarray      # the UMAP embedding the clusters were found in


def build_model(settings: ClusterSettings, languages: list[str], embedder: Any = None) -> Any:
    """An unfitted BERTopic: seeded UMAP and HDBSCAN, the every-script c-TF-IDF vectorizer
    with the stop words of `languages`, and `settings.representation` over it.

    `embedder` (a miner Embedder, the run's own model) embeds candidate keywords for the
    KeyBERT-style representation; None keeps plain c-TF-IDF keywords.
    """
    from bertopic import BERTopic
    from bertopic.vectorizers import ClassTfidfTransformer
    from hdbscan import HDBSCAN
    from umap import UMAP

    from miner.cluster.represent import representation_model, word_embedder

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
    represent = representation_model(settings) if embedder is not None else None
    return BERTopic(
        language="multilingual",      # "english" strips every non-ASCII letter before c-TF-IDF
        embedding_model=word_embedder(embedder) if represent is not None else None,
        umap_model=umap_model,
        hdbscan_model=hdbscan_model,
        vectorizer_model=build_vectorizer(languages, settings.ngram_max),
        representation_model=represent,
        ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
        top_n_words=settings.top_n_words,
        min_topic_size=settings.min_cluster_size,
        calculate_probabilities=False,
        verbose=False,
    )


def fit_topics(texts: list[str], embeddings: np.ndarray, settings: ClusterSettings,
               languages: list[str] | None = None, embedder: Any = None) -> Fit:
    """Fit BERTopic on `texts` with their `embeddings` (the prompts are never re-embedded;
    `embedder` embeds only candidate keywords, see `build_model`)."""
    smallest = max(settings.umap_n_neighbors + 2, settings.min_cluster_size * 2)
    if len(texts) < smallest:
        raise InputError(
            f"prompts.parquet: {len(texts)} distinct prompts are too few to cluster with "
            f"umap.n_neighbors={settings.umap_n_neighbors} and "
            f"hdbscan.min_cluster_size={settings.min_cluster_size} (need at least {smallest})"
        )
    model = build_model(settings, languages or [], embedder)
    _check_keywords(texts, model.vectorizer_model.analyzer)
    topics, probabilities = model.fit_transform(texts, embeddings=np.ascontiguousarray(embeddings))
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


def _check_keywords(texts: list[str], analyzer: Any) -> None:
    """Fail in one line unless the prompts hold two distinct keywords: with none BERTopic's
    vectorizer stops, with one its c-TF-IDF crashes (`numpy.float64 has no len()`)."""
    seen: set[str] = set()
    for text in texts:
        seen.update(analyzer(text))
        if len(seen) >= 2:
            return
    raise InputError(
        f"prompts.parquet: {len(seen)} distinct keyword(s) ({', '.join(sorted(seen)) or 'none'})"
        f" left in {len(texts)} prompts after removing stop words: too few to describe topics"
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
