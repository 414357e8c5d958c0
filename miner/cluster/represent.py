"""Topic keywords nearest a topic's meaning: BERTopic representation models fed by the run's
own embedding model (the one that made embeddings.npy), so labels need nothing downloaded."""

from __future__ import annotations

from typing import Any

import numpy as np

from miner.cluster.settings import ClusterSettings

# Candidate keywords (best c-TF-IDF words) a KeyBERT-style representation re-ranks per topic.
CANDIDATE_WORDS = 30
# MMR's trade-off between relevance to the topic and novelty against words already chosen.
MMR_DIVERSITY = 0.3


def representation_model(settings: ClusterSettings) -> Any:
    """The representation `settings.representation` names (None: plain c-TF-IDF keywords).

    keybert: the c-TF-IDF candidates most cosine-similar to the mean embedding of the topic's
    most representative prompts; mmr then reorders them so near-synonyms do not fill a label.
    """
    from bertopic.representation import MaximalMarginalRelevance

    if settings.representation == "ctfidf":
        return None
    keybert = _keybert_class()(top_n_words=settings.top_n_words,
                               nr_candidate_words=CANDIDATE_WORDS, random_state=settings.seed)
    if settings.representation == "keybert":
        return keybert
    return [keybert, MaximalMarginalRelevance(diversity=MMR_DIVERSITY,
                                              top_n_words=settings.top_n_words)]


def _keybert_class() -> type:
    from bertopic.representation import KeyBERTInspired

    class KeyBERTReembedding(KeyBERTInspired):
        """KeyBERTInspired that embeds each topic's representative prompts itself.

        Given the fit's precomputed embeddings, BERTopic 0.17 picks them by the prompts'
        positions in its flat list of representative prompts, not by their row: every topic
        then averages other prompts' vectors and gets another topic's words ("ibm, explored,
        examples"). Re-embedding the 5 prompts per topic is cheap and right."""

        def extract_topics(self, topic_model: Any, documents: Any, c_tf_idf: Any, topics: Any,
                           embeddings: np.ndarray | None = None) -> Any:
            return super().extract_topics(topic_model, documents, c_tf_idf, topics, None)

    return KeyBERTReembedding


def word_embedder(embedder: Any) -> Any:
    """A BERTopic embedding backend over a miner `Embedder` (used for keywords only)."""
    from bertopic.backend import BaseEmbedder

    class RunEmbedder(BaseEmbedder):
        def embed(self, documents: list[str], verbose: bool = False) -> np.ndarray:
            return embedder.encode([str(d) for d in documents])

    return RunEmbedder()
