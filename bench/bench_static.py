"""Static embeddings against MiniLM on wild_dev: speed and what they change downstream.

    python bench/bench_static.py [--n 5000]

On a seeded sample of N wild_dev prompts. Speed: prompts/s of each backend through miner's
own embedders (MiniLM in the default precision). Quality, with MiniLM as the reference:
near-duplicate pairs (MiniLM cosine >= 0.95, exact copies aside) found by static at the
same threshold and among its 10 nearest neighbours; search recall@10 of 500 seeded queries;
topic agreement (ARI, NMI) of BERTopic fits (default cluster settings, min_cluster_size 15)
beside the agreement of two MiniLM fits with different seeds (the noise floor). Skips when
the data is absent.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._wild_vectors import DATA, ROOT  # noqa: E402
from miner.config import load_config  # noqa: E402


def timed(embedder, texts: list[str]) -> tuple[np.ndarray, float]:
    """The vectors of `texts` and the prompts/s it took (model or table loaded first)."""
    embedder.encode(texts[:32])
    started = time.perf_counter()
    vectors = embedder.encode(texts)
    return vectors, len(texts) / (time.perf_counter() - started)


def neighbours(vectors: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    import faiss

    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(np.ascontiguousarray(vectors))
    return index.search(np.ascontiguousarray(queries), k)


def near_dup_pairs(vectors: np.ndarray, threshold: float) -> set[tuple[int, int]]:
    similarity, found = neighbours(vectors, vectors, 11)
    return {(min(i, int(j)), max(i, int(j))) for i in range(len(vectors))
            for s, j in zip(similarity[i], found[i], strict=True)
            if j != i and j >= 0 and s >= threshold and s < 0.99999}


def topics(texts: list[str], vectors: np.ndarray, seed: int) -> np.ndarray:
    from miner.cluster.fit import fit_topics
    from miner.cluster.settings import ClusterSettings

    section = load_config(None)["cluster"]
    section = {**section, "seed": seed,
               "hdbscan": {**section["hdbscan"], "min_cluster_size": 15}}
    settings = ClusterSettings.from_config(section)
    return fit_topics(texts, vectors, settings).topics


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=5000)
    args = parser.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} is absent")
        return
    with gzip.open(DATA, "rt", encoding="utf-8") as handle:
        every = [json.loads(line)["prompt"][:10000] for line in handle]
    rng = random.Random(0)
    texts = rng.sample(every, min(args.n, len(every)))
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from miner.embed import make_embedder

    section = load_config(None)["embed"]
    static = make_embedder({**section, "backend": "static"})
    cached = ROOT / ".cache" / "bench_static" / f"minilm-{len(texts)}.npz"
    if cached.exists():      # MiniLM takes minutes on a busy machine: its run is kept
        saved = np.load(cached)
        minilm, minilm_speed = saved["vectors"], float(saved["speed"])
    else:
        minilm, minilm_speed = timed(make_embedder(section), texts)
        cached.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cached, vectors=minilm, speed=minilm_speed)
    vectors, static_speed = timed(static, texts)
    print(f"speed on {len(texts):,} prompts (prompts/s): minilm {minilm_speed:,.0f}, "
          f"static {static_speed:,.0f}")

    reference = near_dup_pairs(minilm, 0.95)
    at_threshold = near_dup_pairs(vectors, 0.95)
    _, static_top = neighbours(vectors, vectors, 11)
    in_top = sum(1 for i, j in reference if j in static_top[i] or i in static_top[j])
    print(f"near-dups: {len(reference)} MiniLM pairs >= 0.95; static finds "
          f"{len(reference & at_threshold)} at >= 0.95 (recall "
          f"{len(reference & at_threshold) / max(1, len(reference)):.3f}, it flags "
          f"{len(at_threshold)} pairs), {in_top} among its 10 nearest (recall "
          f"{in_top / max(1, len(reference)):.3f})")

    queries = np.array(rng.sample(range(len(texts)), 500))
    _, truth = neighbours(minilm, minilm[queries], 11)
    _, got = neighbours(vectors, vectors[queries], 11)
    recall = np.mean([len(set(t[1:]) & set(g[1:])) / 10 for t, g in zip(truth, got, strict=True)])
    first = np.mean([t[1] in g[1:] for t, g in zip(truth, got, strict=True)])
    print(f"search vs MiniLM (500 queries): recall@10 {recall:.3f}; MiniLM's nearest among "
          f"static's 10 nearest {first:.3f}")

    started = time.perf_counter()
    base = topics(texts, minilm, 42)
    other_seed = topics(texts, minilm, 43)
    fast = topics(texts, vectors, 42)
    print(f"topics on {len(texts):,} prompts ({time.perf_counter() - started:.0f} s for 3 fits): "
          f"minilm {base.max() + 1}, static {fast.max() + 1}; static vs minilm ARI "
          f"{adjusted_rand_score(base, fast):.3f} NMI "
          f"{normalized_mutual_info_score(base, fast):.3f}"
          f"; minilm seed 42 vs 43 ARI {adjusted_rand_score(base, other_seed):.3f} NMI "
          f"{normalized_mutual_info_score(base, other_seed):.3f}")


if __name__ == "__main__":
    main()
