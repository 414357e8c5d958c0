"""The cluster stage: prompts.parquet + embeddings.npy -> topics.parquet, topic_info.json,
bertopic/ (see docs/artifacts.md)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from miner.artifacts import (
    BERTOPIC,
    EMBEDDINGS,
    EMBEDDINGS_INFO,
    PROMPTS,
    TOPIC_INFO,
    TOPICS,
    open_embeddings,
    read_json_if_present,
)
from miner.cluster.inputs import Prompts, read_languages, read_prompts, read_texts, sample_rows
from miner.cluster.settings import ClusterSettings
from miner.config import Config
from miner.console import info
from miner.engines import executor_for
from miner.errors import InputError
from miner.executor import Executor
from miner.run import Run, StageOutcome, write_json

OUTPUTS = [TOPICS, TOPIC_INFO, BERTOPIC]
OUTLIER_LABEL = "outliers (no topic)"


def run_cluster(run: Run, config: Config, *, force: bool = False,
                executor: Executor | None = None) -> StageOutcome:
    """Fit topics on a seeded sample of distinct prompts, assign every prompt, name the topics.

    `executor` runs the assignment of the prompts outside the sample (None: the one the
    `engine` config names)."""
    settings = ClusterSettings.from_config(config["cluster"])
    inputs = {item.name: run.digest(item) for item in (PROMPTS, EMBEDDINGS)}
    section: dict[str, Any] = {"cluster": config["cluster"]}
    namer = None
    if settings.namer == "llm":
        from miner.cluster.namer import LLMNamer

        namer = LLMNamer.from_config(run, config, settings)
        if namer is None:   # decided before fitting: keyword labels, the same stage as keywords
            settings = replace(settings, namer="keywords")
            cluster_config = config["cluster"]
            section = {"cluster": {**cluster_config,
                                   "namer": {**cluster_config["namer"], "kind": "keywords"}}}
        else:
            section["namer"] = namer.fingerprint_parts()
    embedder = None
    if settings.representation != "ctfidf":
        from miner.embed import make_embedder

        recorded = read_json_if_present(run, EMBEDDINGS_INFO) or {}
        embedder = make_embedder({**config["embed"], **{k: recorded[k] for k in ("backend", "model")
                                                         if k in recorded}})  # the run's model
    return run.run_stage(
        "cluster", inputs=inputs, config=section, outputs=OUTPUTS,
        body=lambda: _cluster(run, settings, namer, embedder,
                              executor or executor_for(config, "cluster")),
        force=force,
    )


@dataclass
class Fitted:
    """What the fit step found on the seeded sample of distinct prompts."""

    prompts: Prompts
    fit_rows: np.ndarray           # rows of prompts.parquet in the fit sample
    texts: list[str]               # their texts (bounded)
    vectors: np.ndarray            # their embeddings
    languages: list[str]           # corpus languages whose stop words were removed
    model: Any                     # the fitted BERTopic model
    mapper: Any                    # the 2-D map's UMAP
    topics: np.ndarray             # topic per fitted row, after the outlier strategy
    probabilities: np.ndarray
    xy: np.ndarray
    centroids: np.ndarray          # of the fit's own topics, before outliers were moved
    n_topics: int
    outliers_in_sample: int


@dataclass
class Assignment:
    """Topic, probability and map position of every row of prompts.parquet."""

    topic: np.ndarray
    probability: np.ndarray
    xy: np.ndarray


@dataclass
class Description:
    """What the topic_info.json of a clustering says: topics, categories, who named them."""

    topics: list[dict[str, Any]]
    categories: list[dict[str, Any]]
    named_by_llm: int
    outliers: int


class _Clock:
    """Stage progress lines with the seconds since the stage started."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def say(self, message: str) -> None:
        info(f"cluster [{time.perf_counter() - self.started:.0f} s]: {message}")


def _cluster(run: Run, settings: ClusterSettings, namer: Any, embedder: Any,
             executor: Executor) -> dict[str, Any]:
    """The stage's body: fit, assign, describe, write."""
    clock = _Clock()
    prompts = read_prompts(run)
    if len(prompts) == 0:
        raise InputError(f"{run.file(PROMPTS)}: holds no prompts")
    vectors = open_embeddings(run, len(prompts))
    fitted = fit_sample(run, prompts, vectors, settings, embedder, clock)
    assignment = assign_rows(fitted, vectors, settings, clock, executor)
    clock.say("labelling topics and grouping them into categories")
    description = describe_topics(fitted, assignment, settings, namer, embedder)
    write_outputs(run, fitted, assignment, description, settings)
    clock.say(f"wrote {fitted.n_topics} topics in {len(description.categories)} categories; "
              f"{description.outliers:,} prompts left as outliers")
    return {
        "prompts": len(prompts),
        "fitted": len(fitted.fit_rows),
        "topics": fitted.n_topics,
        "categories": len(description.categories),
        "outliers": description.outliers,
        "outliers_in_sample": fitted.outliers_in_sample,
        "named_by_llm": description.named_by_llm,
        "categories_named_by_llm": sum(c["label_source"] == "llm"
                                       for c in description.categories),
    }


def fit_sample(run: Run, prompts: Prompts, vectors: np.ndarray, settings: ClusterSettings,
               embedder: Any, clock: _Clock) -> Fitted:
    """Fit BERTopic on a seeded sample of distinct prompts; apply the outlier strategy;
    draw the 2-D map of the sample."""
    from miner.cluster.fit import fit_topics, map_coordinates
    from miner.cluster.geometry import topic_centroids
    from miner.cluster.outliers import reassign_outliers
    from miner.cluster.vectorizer import corpus_languages

    fit_rows = sample_rows(prompts.distinct, settings.fit_sample, settings.seed)
    clock.say(f"fitting BERTopic on {len(fit_rows):,} of {len(prompts.distinct):,} distinct "
              f"prompts ({len(prompts):,} rows)")
    texts = read_texts(run, fit_rows)
    fit_vectors = np.ascontiguousarray(vectors[fit_rows], dtype=np.float32)
    languages = corpus_languages(read_languages(run, fit_rows), settings.min_cluster_size)
    fit = fit_topics(texts, fit_vectors, settings, languages, embedder)
    n_topics = int(fit.topics.max()) + 1
    found_outliers = int((fit.topics < 0).sum())
    centroids = topic_centroids(fit_vectors, fit.topics, n_topics)
    topics, probabilities = reassign_outliers(
        fit_vectors, fit.topics, fit.probabilities, centroids, settings
    )
    clock.say(f"{n_topics} topics, {found_outliers:,} outliers in the sample "
              f"(strategy: {settings.outliers}); drawing the 2-D map")
    xy, mapper = map_coordinates(fit.reduced, settings)
    return Fitted(prompts, fit_rows, texts, fit_vectors, languages, fit.model, mapper, topics,
                  probabilities, xy, centroids, n_topics, found_outliers)


def assign_rows(fitted: Fitted, vectors: np.ndarray, settings: ClusterSettings,
                clock: _Clock, executor: Executor) -> Assignment:
    """Every row's topic: the fit's for the sample, `cluster.assign`'s for the other distinct
    prompts, and the original's for duplicates (joined by row identity, never by order)."""
    from miner.cluster.assign import assign_by_neighbours, assign_by_transform

    prompts, fit_rows = fitted.prompts, fitted.fit_rows
    topic = np.full(len(prompts), -2, dtype=np.int64)
    probability = np.zeros(len(prompts), dtype=np.float32)
    xy = np.zeros((len(prompts), 2), dtype=np.float32)
    topic[fit_rows], probability[fit_rows] = fitted.topics, fitted.probabilities
    xy[fit_rows] = fitted.xy
    others = np.setdiff1d(prompts.distinct, fit_rows, assume_unique=True)
    if len(others):
        clock.say(f"assigning {len(others):,} more distinct prompts ({settings.assign})")
        if settings.assign == "transform":
            assigned = assign_by_transform(fitted.model, fitted.mapper, vectors, others,
                                           fitted.centroids, settings, executor)
        else:
            assigned = assign_by_neighbours(vectors, others, fitted.vectors, fitted.topics,
                                            fitted.xy, settings.assign_k, settings.seed, executor)
        topic[others], probability[others], xy[others] = (
            assigned.topics, assigned.probabilities, assigned.xy
        )
    root = prompts.root
    assignment = Assignment(topic[root], probability[root], xy[root])
    assert (assignment.topic >= -1).all(), "a prompt was left without a topic"
    return assignment


def describe_topics(fitted: Fitted, assignment: Assignment, settings: ClusterSettings,
                    namer: Any, embedder: Any) -> Description:
    """Each topic's size, keywords, label (keywords or the namer's) and representatives, and
    the categories over them."""
    from miner.cluster.categories import describe_categories, group_topics
    from miner.cluster.geometry import nearest_to_centroid, topic_centroids
    from miner.cluster.intents import intent_label, topic_intents
    from miner.cluster.labels import keyword_label, topic_keywords

    n_topics, n_rows, topic = fitted.n_topics, len(fitted.prompts), assignment.topic
    sizes = np.bincount(topic[topic >= 0], minlength=n_topics)
    centroids = topic_centroids(fitted.vectors, fitted.topics, n_topics)
    category_of = group_topics(centroids, sizes, settings.categories)
    nearest = nearest_to_centroid(fitted.vectors, fitted.topics, centroids,
                                  settings.representatives)
    keywords = {t: topic_keywords(fitted.model, t) for t in range(n_topics)}
    intents = topic_intents(fitted.texts, fitted.topics, n_topics)
    labels = {t: intent_label(intents[t], keyword_label(keywords[t], settings.label_words))
              for t in range(n_topics)}
    name_source = dict.fromkeys(range(n_topics), "keywords")
    if namer is not None:
        from miner.cluster.namer import typical_examples

        examples = typical_examples(fitted.vectors, fitted.topics, fitted.probabilities,
                                    centroids, fitted.texts, settings.namer_examples)
        for t, name in namer.name_topics(keywords, examples).items():
            labels[t], name_source[t] = name, "llm"
    fitted.model.set_topic_labels({t: labels[t] for t in range(n_topics)})
    ids = fitted.prompts.ids
    rows = [
        {
            "topic": t,
            "parent": int(category_of[t]),
            "size": int(sizes[t]),
            "share": round(float(sizes[t]) / n_rows, 6),
            "keywords": keywords[t],
            "intent": intents[t],
            "label": labels[t],
            "label_source": name_source[t],
            "representative_ids": [str(ids[fitted.fit_rows[i]]) for i in
                                   nearest[t][:settings.representatives]],
        }
        for t in range(n_topics)
    ]
    n_outliers = int((topic < 0).sum())
    if n_outliers:
        rows.append({
            "topic": -1, "parent": None, "size": n_outliers,
            "share": round(n_outliers / n_rows, 6),
            "keywords": topic_keywords(fitted.model, -1), "intent": None,
            "label": OUTLIER_LABEL, "label_source": "fixed", "representative_ids": [],
        })
    categories = describe_categories(
        category_of, sizes, n_rows, keywords, labels, centroids, settings,
        embed=embedder.encode if embedder is not None else None, namer=namer,
    )
    return Description(rows, categories, sum(s == "llm" for s in name_source.values()),
                       n_outliers)


def write_outputs(run: Run, fitted: Fitted, assignment: Assignment, description: Description,
                  settings: ClusterSettings) -> None:
    """topics.parquet, the BERTopic save and topic_info.json, into the stage's staging."""
    _write_topics(run, fitted.prompts.ids, assignment.topic, assignment.probability,
                  assignment.xy)
    _save_model(run, fitted.model)
    write_json(run.output(TOPIC_INFO), {
        "n_prompts": len(fitted.prompts),
        "n_distinct": len(fitted.prompts.distinct),
        "n_fitted": len(fitted.fit_rows),
        "seed": settings.seed,
        "languages": fitted.languages,
        "representation": settings.representation,
        "namer": settings.namer,
        "outliers": description.outliers,
        "outliers_in_sample": fitted.outliers_in_sample,
        "outlier_strategy": settings.outliers,
        "outlier_threshold": settings.outlier_threshold if settings.outliers != "keep" else None,
        "topics": description.topics,
        "categories": description.categories,
    })


def _write_topics(run: Run, ids: np.ndarray, topic: np.ndarray, probability: np.ndarray,
                  xy: np.ndarray) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "id": pa.array(ids.tolist(), type=pa.string()),
        "topic": pa.array(topic, type=pa.int32()),
        "probability": pa.array(probability, type=pa.float32()),
        "x": pa.array(xy[:, 0], type=pa.float32()),
        "y": pa.array(xy[:, 1], type=pa.float32()),
    })
    pq.write_table(table, run.output(TOPICS))


def _save_model(run: Run, model: Any) -> None:
    """BERTopic's safetensors save; no embedding-model pointer, so it loads offline."""
    bertopic_logger = logging.getLogger("BERTopic")
    level = bertopic_logger.level
    bertopic_logger.setLevel(logging.ERROR)    # silence "saving without an embedding model"
    try:
        model.save(run.output(BERTOPIC), serialization="safetensors", save_ctfidf=True,
                   save_embedding_model=False)
    finally:
        bertopic_logger.setLevel(level)
