"""Exact all-vs-all kNN (what near-duplicate marking needs) with `TorchExactIndex`.

Builds N synthetic unit vectors (dim 384) in tight groups, then times every vector's k
nearest on `--device` against the same search on this machine's CPU in fp32 over a sample
of queries (`--cpu-queries`, per-query rate extrapolated), in one process. Prints the rates,
their ratio, and how often the device's top-k ids equal the fp32 CPU ones.

    .venv/bin/python bench/bench_exact_knn.py --n 100000 --device cpu
    python3 bench/bench_exact_knn.py --n 1000000 --device cuda
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from miner.exact import TorchExactIndex  # noqa: E402


def planted(n: int, dim: int, seed: int = 0) -> np.ndarray:
    """`n` unit vectors around n/20 centres, so each has close neighbours."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(1, n // 20), dim), dtype=np.float32)
    vectors = centres[rng.integers(0, len(centres), n)]
    vectors += rng.standard_normal((n, dim), dtype=np.float32) * 0.05
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--k", type=int, default=11, help="neighbours (near_dup_k + 1)")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--cpu-queries", type=int, default=2000)
    args = parser.parse_args()

    import torch

    vectors = planted(args.n, args.dim)
    ids = np.arange(args.n)
    index = TorchExactIndex(vectors, ids, args.device)
    index.nearest(vectors[:64], args.k)  # warm up (kernels, allocator)
    if args.device == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    sims, found = index.nearest(vectors, args.k)
    device_s = time.perf_counter() - started

    sample = np.random.default_rng(1).choice(args.n, size=min(args.cpu_queries, args.n),
                                             replace=False)
    cpu_index = TorchExactIndex(vectors, ids, "cpu")
    started = time.perf_counter()
    cpu_sims, cpu_found = cpu_index.nearest(vectors[sample], args.k)
    cpu_s = time.perf_counter() - started
    same = float((np.sort(found[sample], axis=1) == np.sort(cpu_found, axis=1)).all(axis=1).mean())
    # Members of a planted group sit within ~1e-3 of each other, so fp16 rounding reorders
    # them: compare the similarity values ranked k-th, which decide near-duplicate marks.
    gap = float(np.abs(sims[sample] - cpu_sims).max())
    device_rate, cpu_rate = args.n / device_s, len(sample) / cpu_s
    print(f"{args.n:,} x {args.dim} unit vectors, k={args.k}; torch {torch.__version__}, "
          f"{torch.get_num_threads()} CPU threads")
    print(f"{args.device} ({index.dtype}): all {args.n:,} queries in {device_s:.1f} s "
          f"({device_rate:,.0f} queries/s)")
    print(f"cpu (fp32): {len(sample):,} queries in {cpu_s:.1f} s ({cpu_rate:,.0f} queries/s; "
          f"all-vs-all would take {args.n / cpu_rate:,.0f} s)")
    print(f"speed-up {device_rate / cpu_rate:.1f}x; self first for "
          f"{(found[:, 0] == ids).mean():.4f}; top-{args.k} id sets equal to fp32 for {same:.4f} "
          f"of sampled queries; largest gap between ranked similarities {gap:.5f}")


if __name__ == "__main__":
    main()
