"""Near-duplicate search at scale: build + all-vs-all query time and recall, IVF/HNSW vs exact.

Every vector is queried against the index (what `miner index` does to find near-duplicates).
Prints, per index kind: build seconds, query seconds, recall@10 against exact search, and
duplicate-pair recall (pairs at cosine >= 0.95 that exact search finds, also found here).
Vectors: synthetic unit vectors around topic centres with planted near-duplicates (default),
or an embeddings.npy given with --embeddings.

    .venv/bin/python bench/bench_neardup.py                    # 100,000 x 384, flat/ivf/hnsw
    .venv/bin/python bench/bench_neardup.py --n 20000 --kinds flat,ivf
    .venv/bin/python bench/bench_neardup.py --embeddings outputs/run/embeddings.npy
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def synthetic(n: int, dim: int, seed: int, planted_share: float = 0.02) -> np.ndarray:
    """Unit vectors with continuous structure (a 32-d latent space of overlapping topics, mapped
    into `dim` dimensions, plus noise), `planted_share` of them near-copies of others."""
    rng = np.random.default_rng(seed)

    def unit(rows: int, width: int = dim) -> np.ndarray:
        vectors = rng.standard_normal((rows, width)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    latent_dim = 32
    topics = rng.standard_normal((max(1, n // 200), latent_dim)).astype(np.float32)
    latent = topics[rng.integers(0, len(topics), n)] + rng.standard_normal(
        (n, latent_dim)).astype(np.float32)
    mixing = rng.standard_normal((latent_dim, dim)).astype(np.float32) / np.sqrt(latent_dim)
    vectors = latent @ mixing
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors += 0.5 * unit(n)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    planted = rng.choice(n, int(n * planted_share), replace=False)
    sources = rng.integers(0, n, len(planted))
    cosines = rng.uniform(0.95, 0.995, len(planted)).astype(np.float32)[:, None]
    side = unit(len(planted))
    side -= (side * vectors[sources]).sum(axis=1, keepdims=True) * vectors[sources]
    side /= np.linalg.norm(side, axis=1, keepdims=True)
    vectors[planted] = cosines * vectors[sources] + np.sqrt(1 - cosines**2) * side
    return vectors.astype(np.float32)


def neighbours(sims: np.ndarray, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's `k` best neighbours other than itself."""
    rows = np.arange(len(ids))[:, None]
    keep = ids != rows
    order = np.argsort(~keep, axis=1, kind="stable")[:, :k]  # non-self entries first, in order
    return np.take_along_axis(sims, order, 1), np.take_along_axis(ids, order, 1)


def dup_pairs(sims: np.ndarray, ids: np.ndarray, threshold: float) -> set[tuple[int, int]]:
    rows, cols = np.nonzero((sims >= threshold) & (ids >= 0))
    others = ids[rows, cols]
    return {(min(a, b), max(a, b)) for a, b in zip(rows.tolist(), others.tolist(), strict=True)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="vectors (default 100,000)")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--embeddings", default=None, help="an embeddings.npy to use instead")
    parser.add_argument("--kinds", default="flat,ivf,hnsw", help="comma-separated index kinds")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--threshold", type=float, default=0.95)
    parser.add_argument("--nprobe", default=None,
                        help="IVF cells probed, comma-separated to sweep (default: config, 8)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import faiss

    from miner.config import load_config
    from miner.index import build_index, describe_index, nearest, set_search_params

    if args.embeddings:
        vectors = np.ascontiguousarray(np.load(args.embeddings)[: args.n], dtype=np.float32)
        origin = f"{args.embeddings} ({len(vectors):,} x {vectors.shape[1]})"
    else:
        vectors = synthetic(args.n, args.dim, args.seed)
        origin = f"synthetic with planted near-duplicates ({args.n:,} x {args.dim})"
    section = load_config()["index"]
    probes = [int(p) for p in args.nprobe.split(",")] if args.nprobe else [section["ivf_nprobe"]]
    print(f"vectors: {origin}; faiss {faiss.__version__}, {faiss.omp_get_max_threads()} threads")
    ids = np.arange(len(vectors))
    truth_ids: np.ndarray | None = None
    truth_pairs: set[tuple[int, int]] = set()
    for kind in args.kinds.split(","):
        started = time.perf_counter()
        index = build_index(vectors, ids, {**section, "kind": kind})
        built = time.perf_counter() - started
        for nprobe in probes if kind == "ivf" else [None]:
            if nprobe is not None:
                set_search_params(index, {**section, "ivf_nprobe": nprobe})
            started = time.perf_counter()
            sims, found = nearest(index, vectors, args.k + 1)
            queried = time.perf_counter() - started
            sims, found = neighbours(sims, found, args.k)
            pairs = dup_pairs(sims, found, args.threshold)
            line = (f"{kind:>5} {describe_index(index)}: build {built:6.1f} s, all-vs-all query "
                    f"{queried:6.1f} s, total {built + queried:6.1f} s")
            if truth_ids is None:
                truth_ids, truth_pairs = found, pairs
                line += f"; {len(pairs):,} duplicate pairs at cosine >= {args.threshold}"
            else:
                hits = (found[:, :, None] == truth_ids[:, None, :]).any(axis=2).mean()
                pair_recall = len(pairs & truth_pairs) / max(1, len(truth_pairs))
                line += f"; recall@{args.k} {hits:.4f}, duplicate-pair recall {pair_recall:.4f}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
