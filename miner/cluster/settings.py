"""The `cluster:` config section as a checked, typed value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from miner import schema


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
        """Build from the `cluster:` section, checked against the schema (one-line errors
        naming the bad key, for a section built by hand too)."""
        section = schema.check_tree(("cluster",), section)
        umap = section["umap"]
        hdbscan = section["hdbscan"]
        namer = section["namer"]
        return cls(
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
