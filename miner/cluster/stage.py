"""The cluster stage: prompts.parquet + embeddings.npy -> topics.parquet, topic_info.json,
bertopic/ (see docs/artifacts.md)."""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

from miner.artifacts import BERTOPIC, EMBEDDINGS, PROMPTS, TOPIC_INFO, TOPICS, open_embeddings
from miner.cluster.inputs import read_prompts, read_texts, sample_rows
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
        section["namer"] = namer.fingerprint_parts() if namer is not None else None
    return run.run_stage(
        "cluster", inputs=inputs, config=section, outputs=OUTPUTS,
        body=lambda: _cluster(run, settings, namer, executor or executor_for(config, "cluster")),
        force=force,
    )


def _cluster(run: Run, settings: ClusterSettings, namer: Any,
             executor: Executor) -> dict[str, Any]:
    started = time.perf_counter()

    def say(message: str) -> None:
        info(f"cluster [{time.perf_counter() - started:.0f} s]: {message}")

    from miner.cluster.assign import assign_by_neighbours, assign_by_transform
    from miner.cluster.categories import group_topics
    from miner.cluster.fit import fit_topics, map_coordinates
    from miner.cluster.geometry import nearest_to_centroid, topic_centroids
    from miner.cluster.labels import keyword_label, topic_keywords
    from miner.cluster.outliers import reassign_outliers

    prompts = read_prompts(run)
    vectors = open_embeddings(run, len(prompts))
    n_rows = len(prompts)
    if n_rows == 0:
        raise InputError(f"{run.file(PROMPTS)}: holds no prompts")
    fit_rows = sample_rows(prompts.distinct, settings.fit_sample, settings.seed)
    say(f"fitting BERTopic on {len(fit_rows):,} of {len(prompts.distinct):,} distinct "
        f"prompts ({n_rows:,} rows)")
    texts = read_texts(run, fit_rows)
    fit_vectors = np.ascontiguousarray(vectors[fit_rows], dtype=np.float32)
    fit = fit_topics(texts, fit_vectors, settings)
    n_topics = int(fit.topics.max()) + 1
    found_outliers = int((fit.topics < 0).sum())
    centroids = topic_centroids(fit_vectors, fit.topics, n_topics)
    fit_topics_final, fit_probabilities = reassign_outliers(
        fit_vectors, fit.topics, fit.probabilities, centroids, settings
    )
    say(f"{n_topics} topics, {found_outliers:,} outliers in the sample "
        f"(strategy: {settings.outliers}); drawing the 2-D map")
    fit_xy, mapper = map_coordinates(fit.reduced, settings)

    topic = np.full(n_rows, -2, dtype=np.int64)
    probability = np.zeros(n_rows, dtype=np.float32)
    xy = np.zeros((n_rows, 2), dtype=np.float32)
    topic[fit_rows], probability[fit_rows] = fit_topics_final, fit_probabilities
    xy[fit_rows] = fit_xy
    others = np.setdiff1d(prompts.distinct, fit_rows, assume_unique=True)
    if len(others):
        say(f"assigning {len(others):,} more distinct prompts ({settings.assign})")
        if settings.assign == "transform":
            assigned = assign_by_transform(fit.model, mapper, vectors, others, centroids, settings,
                                           executor)
        else:
            assigned = assign_by_neighbours(vectors, others, fit_vectors, fit_topics_final,
                                            fit_xy, settings.assign_k, settings.seed, executor)
        topic[others], probability[others], xy[others] = (
            assigned.topics, assigned.probabilities, assigned.xy
        )
    # Duplicates take their original's topic: the join is by row identity, never by order.
    topic, probability, xy = topic[prompts.root], probability[prompts.root], xy[prompts.root]
    assert (topic >= -1).all(), "a prompt was left without a topic"

    say("labelling topics and grouping them into categories")
    sizes = np.bincount(topic[topic >= 0], minlength=n_topics)
    centroids = topic_centroids(fit_vectors, fit_topics_final, n_topics)
    category_of = group_topics(centroids, sizes, settings.categories)
    wanted = max(settings.representatives, settings.namer_central)
    nearest = nearest_to_centroid(fit_vectors, fit_topics_final, centroids, wanted)
    keywords = {t: topic_keywords(fit.model, t) for t in range(n_topics)}
    labels = {t: keyword_label(keywords[t], settings.label_words) for t in range(n_topics)}
    name_source = dict.fromkeys(range(n_topics), "keywords")
    if namer is not None:
        examples = _naming_examples(fit_topics_final, nearest, texts, settings)
        for t, name in namer.name_topics(keywords, examples).items():
            labels[t], name_source[t] = name, "llm"
    fit.model.set_topic_labels({t: labels[t] for t in range(n_topics)})

    _write_topics(run, prompts.ids, topic, probability, xy)
    _save_model(run, fit.model)
    topic_rows = [
        {
            "topic": t,
            "parent": int(category_of[t]),
            "size": int(sizes[t]),
            "share": round(float(sizes[t]) / n_rows, 6),
            "keywords": keywords[t],
            "label": labels[t],
            "label_source": name_source[t],
            "representative_ids": [str(prompts.ids[fit_rows[i]]) for i in
                                   nearest[t][:settings.representatives]],
        }
        for t in range(n_topics)
    ]
    n_outliers = int((topic < 0).sum())
    if n_outliers:
        topic_rows.append({
            "topic": -1, "parent": None, "size": n_outliers,
            "share": round(n_outliers / n_rows, 6), "keywords": topic_keywords(fit.model, -1),
            "label": OUTLIER_LABEL, "label_source": "fixed", "representative_ids": [],
        })
    categories = _categories(fit, category_of, sizes, n_rows, fit_vectors, fit_topics_final,
                             texts, settings, namer)
    write_json(run.output(TOPIC_INFO), {
        "n_prompts": n_rows,
        "n_distinct": len(prompts.distinct),
        "n_fitted": len(fit_rows),
        "seed": settings.seed,
        "namer": settings.namer,
        "outliers": n_outliers,
        "outliers_in_sample": found_outliers,
        "outlier_strategy": settings.outliers,
        "outlier_threshold": settings.outlier_threshold if settings.outliers != "keep" else None,
        "topics": topic_rows,
        "categories": categories,
    })
    say(f"wrote {n_topics} topics in {len(categories)} categories; "
        f"{n_outliers:,} prompts left as outliers")
    return {
        "prompts": n_rows,
        "fitted": len(fit_rows),
        "topics": n_topics,
        "categories": len(categories),
        "outliers": n_outliers,
        "outliers_in_sample": found_outliers,
        "named_by_llm": sum(source == "llm" for source in name_source.values()),
        "categories_named_by_llm": sum(c["label_source"] == "llm" for c in categories),
    }


def _categories(
    fit: Any, category_of: np.ndarray, sizes: np.ndarray, n_rows: int, fit_vectors: np.ndarray,
    fit_topics: np.ndarray, texts: list[str], settings: ClusterSettings, namer: Any,
) -> list[dict[str, Any]]:
    """The broad level: members, size, share, merged keywords and a label (LLM or keywords)."""
    from miner.cluster.geometry import nearest_to_centroid, topic_centroids
    from miner.cluster.labels import keyword_label, merged_keywords

    n_categories = int(category_of.max()) + 1
    members = {c: [int(t) for t in np.flatnonzero(category_of == c)] for c in range(n_categories)}
    keywords = {
        c: merged_keywords(fit.model, topics, {t: int(sizes[t]) for t in topics},
                           settings.top_n_words)
        for c, topics in members.items()
    }
    labels = {c: keyword_label(words, settings.label_words) for c, words in keywords.items()}
    source = dict.fromkeys(members, "keywords")
    if namer is not None:
        fit_categories = np.where(fit_topics >= 0, category_of[np.maximum(fit_topics, 0)], -1)
        centroids = topic_centroids(fit_vectors, fit_categories, n_categories)
        nearest = nearest_to_centroid(fit_vectors, fit_categories, centroids,
                                      settings.namer_central)
        examples = _naming_examples(fit_categories, nearest, texts, settings)
        for c, name in namer.name_topics(keywords, examples).items():
            labels[c], source[c] = name, "llm"
    return [
        {
            "category": c,
            "label": labels[c],
            "label_source": source[c],
            "keywords": keywords[c],
            "topics": topics,
            "size": int(sizes[topics].sum()),
            "share": round(int(sizes[topics].sum()) / n_rows, 6),
        }
        for c, topics in members.items()
    ]


def _naming_examples(
    topics: np.ndarray, nearest: dict[int, np.ndarray], texts: list[str], settings: ClusterSettings
) -> dict[int, tuple[list[str], list[str]]]:
    """Central and seeded-random example texts of each topic, for the LLM namer."""
    rng = np.random.default_rng(settings.seed)
    examples = {}
    for t, central in nearest.items():
        central = central[:settings.namer_central]
        rest = np.setdiff1d(np.flatnonzero(topics == t), central)
        picked = rng.choice(rest, size=min(settings.namer_random, len(rest)), replace=False)
        examples[t] = ([texts[i] for i in central], [texts[i] for i in np.sort(picked)])
    return examples


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
