"""The `cluster:` config section as a checked, typed value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from miner.errors import ConfigError

OUTLIER_STRATEGIES = ("keep", "embeddings")
NAMERS = ("keywords", "llm")
SELECTION_METHODS = ("eom", "leaf")
ASSIGNERS = ("neighbours", "transform")
REPRESENTATIONS = ("ctfidf", "keybert", "keybert-mmr")


@dataclass(frozen=True)
class ClusterSettings:
    """Every knob of the cluster stage (see the `cluster:` section of configs/default.yaml)."""

    seed: int
    fit_sample: int
    umap_n_neighbors: int
    umap_n_components: int
    umap_min_dist: float
    min_cluster_size: int
    min_samples: int | None
    selection_method: str
    ngram_max: int
    top_n_words: int
    representation: str
    outliers: str
    outlier_threshold: float
    assign: str
    assign_k: int
    categories: int | None
    representatives: int
    label_words: int
    namer: str
    namer_judge: str | None
    namer_examples: int
    namer_max_chars: int

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> ClusterSettings:
        """Build from the `cluster:` section, with one-line errors naming the bad key."""
        umap = section["umap"]
        hdbscan = section["hdbscan"]
        namer = section["namer"]
        settings = cls(
            seed=int(section["seed"]),
            fit_sample=int(section["fit_sample"]),
            umap_n_neighbors=int(umap["n_neighbors"]),
            umap_n_components=int(umap["n_components"]),
            umap_min_dist=float(umap["min_dist"]),
            min_cluster_size=int(hdbscan["min_cluster_size"]),
            min_samples=None if hdbscan["min_samples"] is None else int(hdbscan["min_samples"]),
            selection_method=str(hdbscan["selection_method"]),
            ngram_max=int(section["ngram_max"]),
            top_n_words=int(section["top_n_words"]),
            representation=str(section["representation"]),
            outliers=str(section["outliers"]),
            outlier_threshold=float(section["outlier_threshold"]),
            assign=str(section["assign"]),
            assign_k=int(section["assign_k"]),
            categories=None if section["categories"] is None else int(section["categories"]),
            representatives=int(section["representatives"]),
            label_words=int(section["label_words"]),
            namer=str(namer["kind"]),
            namer_judge=namer["judge"],
            namer_examples=int(namer["examples"]),
            namer_max_chars=int(namer["max_chars"]),
        )
        settings.check()
        return settings

    def check(self) -> None:
        """Reject values no run could use."""
        _choice("cluster.outliers", self.outliers, OUTLIER_STRATEGIES)
        _choice("cluster.namer.kind", self.namer, NAMERS)
        _choice("cluster.assign", self.assign, ASSIGNERS)
        _choice("cluster.representation", self.representation, REPRESENTATIONS)
        _choice("cluster.hdbscan.selection_method", self.selection_method, SELECTION_METHODS)
        for key, value, low in (
            ("cluster.fit_sample", self.fit_sample, 100),
            ("cluster.umap.n_neighbors", self.umap_n_neighbors, 2),
            ("cluster.umap.n_components", self.umap_n_components, 2),
            ("cluster.hdbscan.min_cluster_size", self.min_cluster_size, 2),
            ("cluster.ngram_max", self.ngram_max, 1),
            ("cluster.top_n_words", self.top_n_words, 1),
            ("cluster.assign_k", self.assign_k, 1),
            ("cluster.label_words", self.label_words, 1),
            ("cluster.representatives", self.representatives, 1),
            ("cluster.namer.examples", self.namer_examples, 1),
        ):
            if value < low:
                raise ConfigError(f"config: '{key}' must be at least {low}, got {value}")
        if self.categories is not None and self.categories < 1:
            raise ConfigError(
                f"config: 'cluster.categories' must be null or >= 1, got {self.categories}"
            )
        if not -1.0 <= self.outlier_threshold <= 1.0:
            raise ConfigError(
                "config: 'cluster.outlier_threshold' is a cosine in [-1, 1], "
                f"got {self.outlier_threshold}"
            )


def _choice(key: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"config: '{key}' must be one of {', '.join(allowed)}, got {value!r}")
