"""Cluster-stage benchmark: wall time and peak memory at 10k / 100k / 1M prompts, and the
cost of the sample-fit shortcut (ARI / NMI against a full fit).

    .venv/bin/python bench/bench_cluster.py scale --sizes 10000,100000,1000000 [--assign neighbours]
    .venv/bin/python bench/bench_cluster.py agreement --size 50000 --samples 10000,25000 [--matched]

Vectors: the real all-MiniLM-L6-v2 embeddings of ../shared/data/wild_dev.jsonl.gz (19,328
prompts, embedded once and cached in .cache/bench_cluster/). Sizes up to 19,328 use a seeded
sample of the real rows; larger sizes repeat the real rows with Gaussian jitter (cosine ~0.95
to the original, renormalised) and their texts, so the topic structure stays that of real
prompts.
Without the data folder the bench prints a note and exits 0.

Each scale case runs the stage (`miner.cluster.run_cluster`, default config) in a fresh
subprocess, which reports its own wall time and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._wild_vectors import CACHE, wild_dev  # noqa: E402

JITTER_COSINE = 0.95


def make_prompts(n: int, seed: int = 0) -> tuple[list[str], np.ndarray] | None:
    """`n` prompts: real wild_dev rows first, then jittered repeats of them."""
    data = wild_dev()
    if data is None:
        return None
    texts, vectors = data
    rng = np.random.default_rng(seed)
    if n <= len(texts):
        rows = np.sort(rng.choice(len(texts), n, replace=False))
        return [texts[i] for i in rows], vectors[rows]
    source = np.concatenate([np.arange(len(texts)), rng.integers(0, len(texts), n - len(texts))])
    sigma = np.sqrt((1 / JITTER_COSINE**2 - 1) / vectors.shape[1])
    out = np.empty((n, vectors.shape[1]), dtype=np.float32)
    out[: len(texts)] = vectors
    for start in range(len(texts), n, 100_000):
        rows = source[start:start + 100_000]
        block = vectors[rows] + rng.normal(0, sigma, (len(rows), vectors.shape[1]))
        out[start:start + len(rows)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return [texts[i] for i in source], out


def write_run(path: Path, texts: list[str], vectors: np.ndarray) -> None:
    """prompts.parquet + embeddings.npy, as ingest and embed would leave them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.mkdir(parents=True, exist_ok=True)
    table = pa.table({
        "id": [f"w{i:07d}" for i in range(len(texts))],
        "text": texts,
        "dup_of": pa.nulls(len(texts), pa.string()),
        "near_dup_of": pa.nulls(len(texts), pa.string()),
    })
    pq.write_table(table, path / "prompts.parquet")
    np.save(path / "embeddings.npy", vectors)


def run_case(path: Path, assign: str) -> None:
    """Child process: run the stage once, print wall time and peak RSS as JSON."""
    from miner.cluster import run_cluster
    from miner.config import load_config
    from miner.run import Run

    started = time.perf_counter()
    outcome = run_cluster(Run(path), load_config(None, {"cluster.assign": assign}), force=True)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"seconds": round(seconds, 1), "cpu_s": round(usage.ru_utime + usage.ru_stime),
                      "peak_gib": round(usage.ru_maxrss / 2**20, 2), **outcome.counts}))


def scale(sizes: list[int], assign: str) -> None:
    print(f"{'prompts':>9} {'fitted':>8} {'topics':>6} {'outliers':>8} {'wall s':>8} "
          f"{'CPU s':>7} {'peak GiB':>9}")
    for n in sizes:
        made = make_prompts(n)
        if made is None:
            print("../shared/data/wild_dev.jsonl.gz is absent: nothing to measure")
            return
        path = CACHE / f"run-{n}"
        write_run(path, *made)
        del made
        child = subprocess.run(
            [sys.executable, __file__, "case", str(path), assign], capture_output=True, text=True,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
        (CACHE / f"run-{n}-{assign}.log").write_text(child.stderr)    # the stage's timed phases
        if child.returncode != 0:
            print(f"{n:>9,} failed: {child.stderr.strip().splitlines()[-1]}")
            continue
        r = json.loads(child.stdout.strip().splitlines()[-1])
        print(f"{n:>9,} {r['fitted']:>8,} {r['topics']:>6} {r['outliers']:>8,} "
              f"{r['seconds']:>8.1f} {r['cpu_s']:>7} {r['peak_gib']:>9.2f}", flush=True)


def agreement(n: int, samples: list[int], matched: bool) -> None:
    """Full fit vs sample fit + assignment: neighbour vote, nearest topic centroid, and
    BERTopic's own transform. `matched` scales HDBSCAN's sizes by the sample fraction, so the
    sample fit looks for topics as fine as the full fit's and only the shortcut differs."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from miner.cluster.assign import assign_by_neighbours
    from miner.cluster.fit import fit_topics
    from miner.cluster.geometry import topic_centroids
    from miner.cluster.inputs import sample_rows
    from miner.cluster.outliers import reassign_outliers
    from miner.cluster.settings import ClusterSettings
    from miner.config import load_config

    made = make_prompts(n)
    if made is None:
        print("../shared/data/wild_dev.jsonl.gz is absent: nothing to measure")
        return
    texts, vectors = made
    settings = ClusterSettings.from_config(load_config()["cluster"])

    def fit(rows: np.ndarray, seed: int = settings.seed) -> tuple[np.ndarray, np.ndarray, object]:
        used = replace(settings, seed=seed)
        if matched:
            fraction = len(rows) / n
            used = replace(
                used, min_cluster_size=max(2, round(settings.min_cluster_size * fraction)),
                min_samples=max(1, round((settings.min_samples or 1) * fraction)),
            )
        result = fit_topics([texts[i] for i in rows], vectors[rows], used)
        k = int(result.topics.max()) + 1
        centroids = topic_centroids(vectors[rows], result.topics, k)
        topics, _ = reassign_outliers(vectors[rows], result.topics, result.probabilities,
                                      centroids, settings)
        return topics, topic_centroids(vectors[rows], topics, k), result.model

    def bertopic_transform(model: object, rows: np.ndarray, centroids: np.ndarray) -> np.ndarray:
        """BERTopic's own route: UMAP transform + HDBSCAN approximate_predict, then the
        same outlier strategy."""
        model.hdbscan_model.generate_prediction_data()
        predicted, _ = model.transform([texts[i] for i in rows], embeddings=vectors[rows])
        predicted = np.asarray(predicted, dtype=np.int64)
        zeros = np.zeros(len(rows), dtype=np.float32)
        return reassign_outliers(vectors[rows], predicted, zeros, centroids, settings)[0]

    started = time.perf_counter()
    full, _, _ = fit(np.arange(n))
    full_s = time.perf_counter() - started
    print(f"{n:,} prompts, full fit: {full.max() + 1} topics, {(full < 0).sum():,} outliers, "
          f"{full_s:.0f} s")
    print(f"{'sample':>7} {'topics':>6} {'method':>10} {'ARI':>6} {'NMI':>6} {'fit+assign s':>13}")
    started = time.perf_counter()
    reseeded, _, _ = fit(np.arange(n), settings.seed + 1)     # the noise floor: another seed
    print(f"{n:>7,} {reseeded.max() + 1:>6} {'reseeded':>10} "
          f"{adjusted_rand_score(full, reseeded):>6.3f} "
          f"{normalized_mutual_info_score(full, reseeded):>6.3f} "
          f"{time.perf_counter() - started:>13.0f}", flush=True)
    for size in samples:
        rows = sample_rows(np.arange(n), size, settings.seed)
        others = np.setdiff1d(np.arange(n), rows)
        started = time.perf_counter()
        fitted, centroids, model = fit(rows)
        fit_s = time.perf_counter() - started
        for method in ("neighbours", "centroid", "transform"):
            started = time.perf_counter()
            labels = np.empty(n, dtype=np.int64)
            labels[rows] = fitted
            if method == "neighbours":
                xy = np.zeros((len(rows), 2), dtype=np.float32)
                labels[others] = assign_by_neighbours(
                    vectors, others, vectors[rows], fitted, xy, settings.assign_k, settings.seed
                ).topics
            elif method == "centroid":
                labels[others] = (vectors[others] @ centroids.T).argmax(axis=1)
            else:
                labels[others] = bertopic_transform(model, others, centroids)
            seconds = fit_s + time.perf_counter() - started
            print(f"{size:>7,} {fitted.max() + 1:>6} {method:>10} "
                  f"{adjusted_rand_score(full, labels):>6.3f} "
                  f"{normalized_mutual_info_score(full, labels):>6.3f} {seconds:>13.0f}",
                  flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    scale_parser = commands.add_parser("scale", help="wall time and peak memory per size")
    scale_parser.add_argument("--sizes", default="10000,100000,1000000")
    scale_parser.add_argument("--assign", default="transform", choices=["neighbours", "transform"])
    agree = commands.add_parser("agreement", help="sample-fit shortcut vs full fit")
    agree.add_argument("--size", type=int, default=50000)
    agree.add_argument("--samples", default="10000,25000")
    agree.add_argument("--matched", action="store_true",
                       help="scale min_cluster_size and min_samples by the sample fraction")
    case = commands.add_parser("case", help=argparse.SUPPRESS)
    case.add_argument("path", type=Path)
    case.add_argument("assign")
    args = parser.parse_args()
    if args.command == "case":
        run_case(args.path, args.assign)
    elif args.command == "scale":
        scale([int(s) for s in args.sizes.split(",")], args.assign)
    else:
        agreement(args.size, [int(s) for s in args.samples.split(",")], args.matched)


if __name__ == "__main__":
    main()
