"""HDBSCAN's outliers on real prompts: how many each strategy leaves as -1, and where the
moved ones go.

Usage: python bench/bench_outliers.py RUN_DIR

RUN_DIR holds prompts.parquet and embeddings.npy. BERTopic is fitted once with the default
`cluster:` config (c-TF-IDF keywords only: labels do not change the topics); each strategy
then reassigns the same outliers:

- keep: nothing moves;
- embeddings@T: miner's `cluster.outliers: embeddings` with `outlier_threshold` T (to the
  most cosine-similar topic centroid, when the cosine reaches T);
- c-tf-idf@T: BERTopic's `reduce_outliers(strategy="c-tf-idf", threshold=T)`.

For the moved prompts: `agree` is the share whose new topic is also the majority topic of
their 10 nearest clustered neighbours (in embedding space), an independent check that they
went somewhere sensible (for scale, the same share of HDBSCAN's own members is printed
first); `cos` their mean cosine to the new topic's centroid, next to the members' own;
`largest` the share of moved prompts that went to the single most-receiving topic (a dumping
ground shows as a high share).
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from miner.cluster.fit import fit_topics  # noqa: E402
from miner.cluster.geometry import topic_centroids  # noqa: E402
from miner.cluster.inputs import read_languages, read_prompts, read_texts  # noqa: E402
from miner.cluster.outliers import reassign_outliers  # noqa: E402
from miner.cluster.settings import ClusterSettings  # noqa: E402
from miner.cluster.vectorizer import corpus_languages  # noqa: E402
from miner.config import load_config  # noqa: E402


def neighbour_vote(vectors: np.ndarray, topics: np.ndarray, rows: np.ndarray, k: int = 10
                   ) -> np.ndarray:
    """Majority topic of each row's `k` nearest clustered prompts other than itself."""
    members = np.flatnonzero(topics >= 0)
    similarity = vectors[rows] @ vectors[members].T
    similarity[rows[:, None] == members[None, :]] = -np.inf
    nearest = np.argsort(-similarity, axis=1)[:, :k]
    votes = topics[members][nearest]
    return np.array([np.bincount(v).argmax() for v in votes])


def main() -> None:
    run = Path(sys.argv[1])
    config = load_config(None)
    settings = replace(ClusterSettings.from_config(config["cluster"]), representation="ctfidf")
    path = run / "prompts.parquet"
    prompts = read_prompts(path)
    rows = prompts.distinct[: settings.fit_sample]
    texts = read_texts(path, rows)
    vectors = np.ascontiguousarray(np.load(run / "embeddings.npy")[rows])
    languages = corpus_languages(read_languages(path, rows), settings.min_cluster_size)
    started = time.perf_counter()
    fit = fit_topics(texts, vectors, settings, languages)
    n_topics = int(fit.topics.max()) + 1
    outliers = np.flatnonzero(fit.topics < 0)
    print(f"fit {len(texts):,} prompts in {time.perf_counter() - started:.0f} s: {n_topics} "
          f"topics, {len(outliers):,} outliers ({len(outliers) / len(texts):.1%})")
    centroids = topic_centroids(vectors, fit.topics, n_topics)
    members = np.flatnonzero(fit.topics >= 0)
    member_cos = float(np.mean(np.sum(vectors[members] * centroids[fit.topics[members]], 1)))
    vote = neighbour_vote(vectors, fit.topics, outliers)
    sample = np.random.default_rng(0).choice(members, size=min(1000, len(members)), replace=False)
    member_agree = float(np.mean(neighbour_vote(vectors, fit.topics, sample) ==
                                 fit.topics[sample]))
    print(f"HDBSCAN's members: cos to their centroid {member_cos:.3f}; agree {member_agree:.0%} "
          "(1,000 sampled)")
    print("| strategy | left -1 | moved | agree | cos | largest |")
    print("|---|---:|---:|---:|---:|---:|")
    strategies: list[tuple[str, np.ndarray]] = [("keep", fit.topics)]
    for threshold in (0.2, 0.25, 0.3, 0.4, 0.5):
        moved, _ = reassign_outliers(vectors, fit.topics, fit.probabilities, centroids,
                                     replace(settings, outliers="embeddings",
                                             outlier_threshold=threshold))
        strategies.append((f"embeddings@{threshold}", moved))
    for threshold in (0.0, 0.1):
        new = fit.model.reduce_outliers(texts, list(fit.topics), strategy="c-tf-idf",
                                        threshold=threshold)
        strategies.append((f"c-tf-idf@{threshold}", np.asarray(new)))
    for name, topics in strategies:
        moved = topics[outliers] >= 0
        left = int((~moved).sum())
        if moved.any():
            new = topics[outliers][moved]
            agree = float(np.mean(new == vote[moved]))
            cos = float(np.mean(np.sum(vectors[outliers][moved] * centroids[new], 1)))
            largest = float(np.bincount(new).max() / moved.sum())
            tail = f"{agree:.0%} | {cos:.3f} | {largest:.0%}"
        else:
            tail = "- | - | -"
        print(f"| {name} | {left:,} ({left / len(texts):.1%}) | {int(moved.sum()):,} | {tail} |")


if __name__ == "__main__":
    main()
