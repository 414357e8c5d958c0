"""Difficulty predictor at scale: fit on K labels, predict N prompts (text features included).

Vectors: jittered real MiniLM vectors of ../shared/data/wild_dev.jsonl.gz when
`bench/_wild_vectors.py` has cached them (else generated unit vectors: 400 topic centres +
noise), 384-d float32. Texts: wild_dev prompts cycled, or generated text of mixed lengths.
Labels are planted so there is something to learn: each of 7 criteria is met when a hidden
linear function of the vector (plus the text length, for two of them) beats a noisy
threshold; the score is how many are met. Prints wall time of each step and the
cross-validated metrics the fit saved.

    .venv/bin/python bench/bench_predictor.py --labels 5000 --n 1000000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _wild_vectors import CACHE, DATA  # noqa: E402

from miner.difficulty import FitSettings, fit_predictor, text_features  # noqa: E402

CRITERIA = ("specificity", "domain_knowledge", "complexity", "problem_solving", "creativity",
            "technical_accuracy", "real_world")


def make_vectors(n: int, dim: int, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """N unit float32 vectors: jittered wild_dev vectors when cached, else generated."""
    cached = CACHE / "wild_dev.npy"
    if cached.exists() and dim == 384:
        base = np.load(cached)
        vectors = base[rng.integers(0, len(base), size=n)]
        source = f"jittered wild_dev vectors ({len(base):,} real)"
    else:
        centres = rng.normal(size=(400, dim)).astype(np.float32)
        vectors = centres[rng.integers(0, 400, size=n)]
        source = "generated (400 centres + noise)"
    scale = np.float32(0.03 if "wild" in source else 0.6)
    for start in range(0, n, 100_000):  # float32 noise in chunks: no 3 GB float64 temporary
        block = vectors[start:start + 100_000]
        block += scale * rng.standard_normal(size=block.shape, dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
    return vectors, source


def make_texts(n: int, rng: np.random.Generator) -> list[str]:
    """N prompt texts: wild_dev prompts cycled, or generated ones of mixed lengths."""
    if DATA.exists():
        import gzip
        import json

        with gzip.open(DATA, "rt", encoding="utf-8") as handle:
            pool = [json.loads(line)["prompt"][:10000] for line in handle]
    else:
        words = ["write", "a", "function", "that", "returns", "the", "sum", "of", "x", "=",
                 "1", "{", "}", "why", "is", "?", "explain", "story", "\n"]
        pool = [" ".join(rng.choice(words, size=int(rng.integers(5, 400)))) for _ in range(5000)]
    return [pool[i % len(pool)] for i in range(n)]


def plant_labels(vectors: np.ndarray, features: np.ndarray,
                 rng: np.random.Generator) -> pd.DataFrame:
    """Criteria met when a hidden direction (plus length, for two) beats a noisy cut."""
    directions = rng.normal(size=(vectors.shape[1], len(CRITERIA))).astype(np.float32)
    signal = vectors @ directions
    signal = (signal - signal.mean(axis=0)) / signal.std(axis=0)
    signal[:, 2] += features[:, 0] - features[:, 0].mean()
    signal[:, 5] += features[:, 6] * 10
    met = signal + rng.normal(scale=1.0, size=signal.shape) > 0.8
    labels = pd.DataFrame(met, columns=list(CRITERIA))
    labels["score"] = met.sum(axis=1).astype(float)
    labels.insert(0, "id", [f"p{i}" for i in range(len(labels))])
    return labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--labels", type=int, default=5000)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    vectors, source = make_vectors(args.n, args.dim, rng)
    texts = make_texts(args.n, rng)
    print(f"{args.n:,} prompts, {args.dim}-d vectors: {source}; texts: "
          f"{'wild_dev cycled' if DATA.exists() else 'generated'}")

    started = time.perf_counter()
    train = rng.choice(args.n, size=args.labels, replace=False)
    train_features = text_features([texts[i] for i in train])
    labels = plant_labels(vectors[train], train_features, rng)
    fitted_at = time.perf_counter()
    predictor = fit_predictor(vectors[train], train_features, labels, args.seed,
                              settings=FitSettings(min_score=4))
    fit_seconds = time.perf_counter() - fitted_at
    feature_at = time.perf_counter()
    features = text_features(texts)
    feature_seconds = time.perf_counter() - feature_at
    predict_at = time.perf_counter()
    predicted = predictor.predict(vectors, features)
    predict_seconds = time.perf_counter() - predict_at
    total = time.perf_counter() - started

    m = predictor.metrics
    print(f"fit {args.labels:,} labels (5-fold CV + final): {fit_seconds:.1f} s")
    print(f"text features of {args.n:,} prompts: {feature_seconds:.1f} s")
    print(f"predict {args.n:,} prompts: {predict_seconds:.1f} s")
    print(f"total: {total:.1f} s (goal: under 120 s)")
    print(f"cross-validated: AUC pass {m['auc_pass']}, Spearman score {m['spearman_score']}, "
          f"precision@k {m['precision_at_k']} (base rate {m['base_rate']})")
    print("AUC per criterion: " + ", ".join(f"{k} {v}" for k, v in m["auc"].items()))
    print(f"predicted p_pass: mean {predicted['p_pass'].mean():.3f}, "
          f"top 500 mean {np.sort(predicted['p_pass'].to_numpy())[-500:].mean():.3f}")


if __name__ == "__main__":
    main()
