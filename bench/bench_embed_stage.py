"""The whole embed stage (chunked writes, hash cache, manifest) against the bare embedder.

Writes a prompts.parquet of N distinct prompts (real ones from wild_dev cycled, each made
distinct by a suffix), then in one process times `miner.embed.run_embed` on it and the bare
`Embedder.encode` on the same texts, and prints both rates and their ratio: what the stage's
chunking, hashing and writing cost on top of the model. Meant for the GPU too, where the model
is fast enough for that overhead to show.

    .venv/bin/python bench/bench_embed_stage.py --n 5000
    python3 bench/bench_embed_stage.py --device cuda --n 200000 \
        --model .gpu/minilm --data .gpu/wild_dev.jsonl.gz
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from bench_embed import DATA, load_prompts  # noqa: E402

from miner.artifacts import open_embeddings  # noqa: E402
from miner.config import load_config  # noqa: E402
from miner.embed import make_embedder, run_embed  # noqa: E402
from miner.run import Run  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()

    texts, origin = load_prompts(args.n, 0, args.data)
    texts = [f"{text} (#{i})" for i, text in enumerate(texts)]  # all distinct: no cache hits
    config = load_config(overrides={"embed.device": args.device, "embed.model": args.model})
    embedder = make_embedder(config["embed"])
    embedder.encode(texts[:64])  # load and warm up once, shared by both sides

    with tempfile.TemporaryDirectory() as folder:
        run = Run(folder)
        ids = pa.array([f"p{i:08d}" for i in range(len(texts))])
        nulls = pa.nulls(len(texts), pa.string())
        pq.write_table(pa.table({"id": ids, "text": pa.array(texts), "dup_of": nulls,
                                 "near_dup_of": nulls}), run.file("prompts.parquet"))
        started = time.perf_counter()
        run_embed(run, config, embedder=embedder)
        stage_s = time.perf_counter() - started
        staged = np.array(open_embeddings(run))

    started = time.perf_counter()
    bare = embedder.encode(texts)
    bare_s = time.perf_counter() - started
    cosine = float((staged * bare).sum(axis=1).min())
    print(f"prompts: {origin}; {embedder.label()}; chunk_rows {config['embed']['chunk_rows']}")
    print(f"embed stage: {len(texts) / stage_s:,.0f} prompts/s ({stage_s:.1f} s)")
    print(f"bare encode: {len(texts) / bare_s:,.0f} prompts/s ({bare_s:.1f} s)")
    print(f"stage / bare time: {stage_s / bare_s:.2f}x; min cosine stage vs bare {cosine:.5f}")


if __name__ == "__main__":
    main()
