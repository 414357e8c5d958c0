"""Report size and build time against the run's size: the caps keep the page small.

Builds synthetic run folders (prompts.parquet, topics.parquet, topic_info.json,
scores.parquet, benchmark/) of N prompts, with real prompt texts from
../shared/data/wild_dev.jsonl.gz cycled when that file exists (synthetic text otherwise),
then times `write_report` and prints page size and peak memory. The figures at the smallest
N are the baseline; larger N are printed as ratios to it.

    .venv/bin/python bench/bench_report.py            # 10k, 100k, 1M
    .venv/bin/python bench/bench_report.py 10000 200000
"""

from __future__ import annotations

import gzip
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from miner.config import load_config
from miner.report import write_report
from miner.run import Run

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "wild_dev.jsonl.gz"
CRITERIA = (
    "specificity",
    "domain_knowledge",
    "complexity",
    "problem_solving",
    "creativity",
    "technical_accuracy",
    "real_world",
)


def source_texts() -> list[str]:
    if DATA.exists():
        with gzip.open(DATA, "rt", encoding="utf-8") as handle:
            return [json.loads(line)["prompt"] for line in handle]
    print(f"{DATA} not found: synthetic texts", file=sys.stderr)
    return [
        f"Synthetic prompt {i} about building and testing software offline. " * (1 + i % 9)
        for i in range(5000)
    ]


def build(path: Path, n: int, texts: list[str], seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    n_topics = max(20, int(np.sqrt(n) / 2))
    ids = pa.array([f"p{i:08d}" for i in range(n)])
    text = pa.array([texts[i % len(texts)] for i in range(n)])
    nulls = pa.nulls(n, pa.string())
    pq.write_table(
        pa.table({"id": ids, "text": text, "dup_of": nulls, "near_dup_of": nulls}),
        path / "prompts.parquet",
    )
    topic = rng.integers(-1, n_topics, n)
    xy = rng.normal(size=(n, 2)).astype("float32")
    pq.write_table(
        pa.table(
            {
                "id": ids,
                "topic": topic,
                "probability": rng.uniform(size=n),
                "x": xy[:, 0],
                "y": xy[:, 1],
            }
        ),
        path / "topics.parquet",
    )
    categories = max(2, round(np.sqrt(n_topics)))
    info = {
        "topics": [
            {
                "topic": t,
                "parent": t % categories,
                "label": f"topic {t} keywords here",
                "keywords": ["alpha", "beta", "gamma", "delta"],
                "representative_ids": [f"p{t:08d}"],
            }
            for t in range(n_topics)
        ],
        "categories": [
            {
                "category": c,
                "label": f"category {c}",
                "topics": list(range(c, n_topics, categories)),
                "size": 0,
            }
            for c in range(categories)
        ],
    }
    (path / "topic_info.json").write_text(json.dumps(info))
    score = rng.integers(0, 8, n).astype(float)
    crit = {name: rng.uniform(size=n) < 0.5 for name in CRITERIA}
    pq.write_table(
        pa.table(
            {
                "id": ids,
                **crit,
                "score": score,
                "judge": pa.array(["heuristic"] * n),
                "status": pa.array(["ok"] * n),
            }
        ),
        path / "scores.parquet",
    )
    chosen = np.zeros(n, dtype=bool)
    chosen[rng.choice(np.flatnonzero(score >= 6), size=500, replace=False)] = True
    (path / "benchmark").mkdir()
    reason = np.where(chosen, "selected", "not_needed")
    pq.write_table(
        pa.table({"id": ids, "reason": reason}), path / "benchmark" / "selection.parquet"
    )


def main(sizes: list[int]) -> None:
    texts = source_texts()
    config = load_config()["report"]
    print(f"caps: map_points={config['map_points']}, table_rows={config['table_rows']}")
    print(
        f"{'prompts':>9} {'topics':>6} {'MB':>6} {'wall s':>7} {'CPU s':>6} {'peak GiB':>8}"
        "  ratios to the first (MB, CPU s)"
    )
    baseline = None
    for n in sizes:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder)
            build(path, n, texts)
            started, cpu_started = time.perf_counter(), time.process_time()
            summary = write_report(Run(path), config)
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            megabytes = (path / "report" / "index.html").stat().st_size / 1e6
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        baseline = baseline or (megabytes, cpu)
        print(
            f"{n:>9,} {len(summary['topics']):>6} {megabytes:>6.1f} {seconds:>7.1f} {cpu:>6.1f}"
            f" {peak:>8.2f}  {megabytes / baseline[0]:.2f}, {cpu / baseline[1]:.1f}"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000])
