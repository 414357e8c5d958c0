"""CPU embedder variants side by side: today's path against batch plans and ONNX Runtime.

Every variant is miner's own embedder (`make_embedder`) with one setting changed; all embed
the same real prompts in the same process, in alternating rounds (so a busy machine slows
all alike). Prints, per variant, prompts/s, the ratio to today's path (`precision: auto`,
batches of 64) and the min and mean cosine of its vectors to today's.

    .venv/bin/python bench/bench_embed_variants.py --n 360 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_embed import DATA, load_prompts


def variants(onnx_dir: str) -> dict[str, dict]:
    """Name -> the embed config of each variant (today's first)."""
    onnx = {"backend": "onnx", "onnx_dir": onnx_dir}
    return {
        "today (auto, batch 64)": {},
        "batch_tokens 4096": {"batch_tokens": 4096},
        "batch_tokens 8192": {"batch_tokens": 8192},
        "batch_tokens 16384": {"batch_tokens": 16384},
        "onnx fp32, batch_tokens 8192": {**onnx, "batch_tokens": 8192},
        "onnx int8, batch_tokens 8192": {**onnx, "precision": "int8", "batch_tokens": 8192},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=360)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--onnx-dir", default=None, help="exported models (default: a temp dir)")
    args = parser.parse_args()

    from miner.config import load_config
    from miner.embed import make_embedder

    texts, origin = load_prompts(args.n, args.seed, args.data)
    section = load_config()["embed"]
    onnx_dir = args.onnx_dir or tempfile.mkdtemp(prefix="miner-onnx-")
    embedders = {name: make_embedder({**section, **changes})
                 for name, changes in variants(onnx_dir).items()}
    for embedder in embedders.values():
        embedder.encode(texts[:8])        # load, export, warm up
    names = list(embedders)
    seconds = dict.fromkeys(names, 0.0)
    vectors: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for turn, part in enumerate(np.array_split(np.arange(len(texts)), args.rounds)):
        chunk = [texts[i] for i in part]
        for name in names if turn % 2 == 0 else names[::-1]:
            started = time.perf_counter()
            vectors[name].append(embedders[name].encode(chunk))
            seconds[name] += time.perf_counter() - started
    today = np.concatenate(vectors[names[0]])
    print(f"prompts: {origin}; load average {os.getloadavg()[0]:.1f}")
    print("| variant | prompts/s | vs today | cosine to today min | mean |")
    print("|---|---:|---:|---:|---:|")
    for name in names:
        cosine = (np.concatenate(vectors[name]) * today).sum(axis=1)
        print(f"| {name} | {len(texts) / seconds[name]:.1f} | "
              f"{seconds[names[0]] / seconds[name]:.2f}x | {cosine.min():.5f} | "
              f"{cosine.mean():.6f} |")


if __name__ == "__main__":
    main()
