"""Embedding throughput: plain `SentenceTransformer.encode` (fp32) against miner's embedder.

Both embed the same prompts in the same process, in alternating rounds (so a busy machine
slows both alike); prints prompts/s of each, the speed-up, and the cosine of miner's vectors
to the fp32 ones. Real prompts from ../shared/data/wild_dev.jsonl.gz when present, else
generated ones of 20-400 words.

    .venv/bin/python bench/bench_embed.py                  # 1,000 prompts on CPU (a few minutes)
    .venv/bin/python bench/bench_embed.py --n 20000 --device cuda
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "wild_dev.jsonl.gz"
WORDS = [
    "model", "data", "python", "error", "function", "table", "query", "river", "music", "history",
    "market", "network", "design", "memory", "energy", "garden", "travel", "code", "review",
]


def load_prompts(n: int, seed: int, data: Path = DATA) -> tuple[list[str], str]:
    """`n` prompts (a seeded sample of `data`, or generated) and where they came from."""
    rng = random.Random(seed)
    if data.exists():
        with gzip.open(data, "rt", encoding="utf-8") as handle:
            texts = [json.loads(line)["prompt"][:10000] for line in handle]
        texts = [t for t in texts if len(t) > 32]
        rng.shuffle(texts)
        while len(texts) < n:
            texts += texts
        return texts[:n], f"{data.name} (seeded sample, {n:,})"
    texts = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 400))) for _ in range(n)]
    return texts, f"generated, 20-400 words ({n:,})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="prompts to embed (default 1000)")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--precision", default="auto", help="miner's precision (default auto)")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds (default 4)")
    parser.add_argument("--baseline-batch-size", type=int, default=32,
                        help="batch size of the plain encode (its default, 32)")
    parser.add_argument("--baseline-precision", choices=["fp32", "fp16", "bf16"], default="fp32",
                        help="dtype the plain encode loads the model in (default fp32)")
    parser.add_argument("--model", default="all-MiniLM-L6-v2",
                        help="model name or local path, for both sides (default the bundled one)")
    parser.add_argument("--data", type=Path, default=DATA,
                        help="gzip'd JSONL of {prompt} records (default ../shared/data's wild_dev)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import torch
    from sentence_transformers import SentenceTransformer

    from miner.config import load_config
    from miner.embed import make_embedder
    from miner.embed.local import resolve_model_path

    texts, origin = load_prompts(args.n, args.seed, args.data)
    section = {**load_config()["embed"], "device": args.device, "precision": args.precision,
               "model": args.model}
    ours = make_embedder(section)
    dtypes = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
    plain = SentenceTransformer(resolve_model_path(args.model), device=args.device,
                                model_kwargs={"dtype": dtypes[args.baseline_precision]})
    ours.encode(texts[:8])
    plain.encode(texts[:8])  # warm both up (allocations, kernels)

    def sync() -> None:
        if args.device == "cuda":
            torch.cuda.synchronize()

    parts = np.array_split(np.arange(len(texts)), args.rounds)
    seconds = {"plain": 0.0, "ours": 0.0}
    cpu = {"plain": 0.0, "ours": 0.0}
    base, mine = [], []
    for part in parts:
        chunk = [texts[i] for i in part]
        for name in ("plain", "ours") if len(base) % 2 == 0 else ("ours", "plain"):
            sync()
            started, cpu_started = time.perf_counter(), time.process_time()
            if name == "plain":
                base.append(plain.encode(chunk, batch_size=args.baseline_batch_size,
                                         normalize_embeddings=True, convert_to_numpy=True))
            else:
                mine.append(ours.encode(chunk))
            sync()
            seconds[name] += time.perf_counter() - started
            cpu[name] += time.process_time() - cpu_started
    cosines = (np.concatenate(base) * np.concatenate(mine)).sum(axis=1)
    plain_rate, our_rate = len(texts) / seconds["plain"], len(texts) / seconds["ours"]
    plain_cpu, our_cpu = len(texts) / cpu["plain"], len(texts) / cpu["ours"]
    print(f"prompts: {origin}; device {args.device}; torch threads {torch.get_num_threads()}")
    print(f"plain SentenceTransformer.encode {args.baseline_precision} "
          f"(batch {args.baseline_batch_size}): "
          f"{plain_rate:,.1f} prompts/s wall, {plain_cpu:,.1f} per CPU-second")
    print(f"miner embedder ({ours.precision}, batch {ours.batch_size}, sorted by tokens): "
          f"{our_rate:,.1f} prompts/s wall, {our_cpu:,.1f} per CPU-second")
    print(f"speed-up: {our_rate / plain_rate:.2f}x wall, {our_cpu / plain_cpu:.2f}x CPU time")
    print(f"cosine to the plain {args.baseline_precision} vectors: min {cosines.min():.5f}, "
          f"1st percentile "
          f"{np.percentile(cosines, 1):.5f}, mean {cosines.mean():.6f}")


if __name__ == "__main__":
    main()
