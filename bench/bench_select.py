"""Selection speed at scale: `select_benchmark` vs a plain pandas threshold + head(K) baseline.

Generates N candidates in T planted topics (vectors = topic centre + noise, so prompts of a
topic are close and the diversity rule has work), scores drawn per topic around a topic
difficulty, 3% exact and 2% near duplicates. Prints wall time of:
- baseline: BenchBuilder's filter (score >= P, topic mean >= C) then sort and head(K) per
  topic, in pandas (no diversity, no reasons, no tie draw);
- miner: `select_benchmark` (reasons for every row, seeded ties, FAISS diversity);
- explain: the shortfall explanation (`relaxations`) for --top 5000, out of reach;
- relax: `select.relax: auto` reaching --top 5000 (every ladder step a full re-selection),
  with the number of steps and the prompts it selected.

    .venv/bin/python bench/bench_select.py --n 100000 1000000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from miner.select.explain import relaxations
from miner.select.params import SelectParams
from miner.select.sampling import select_benchmark


def make_candidates(n: int, topics: int, dim: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    topic = rng.integers(0, topics, size=n)
    centres = rng.normal(size=(topics, dim)).astype(np.float32)
    vectors = centres[topic] + rng.normal(scale=0.6, size=(n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    difficulty = rng.uniform(1.0, 6.5, size=topics)
    score = np.clip(np.round(rng.normal(difficulty[topic], 1.5)), 0, 7).astype(float)
    ids = np.array([f"p{i:07d}" for i in range(n)], dtype=object)
    dup_of = np.where(rng.random(n) < 0.03, "p0000000", None)
    near_dup_of = np.where(rng.random(n) < 0.02, "p0000001", None)
    frame = pd.DataFrame({
        "id": ids, "row": np.arange(n), "text": "prompt", "hash": None,
        "dup_of": dup_of, "near_dup_of": near_dup_of, "topic": topic, "score": score,
        "judge": "bench", "topic_label": [f"topic {t}" for t in topic], "category_label": "",
    })
    return frame, vectors


def baseline(frame: pd.DataFrame, params: SelectParams) -> int:
    distinct = frame[frame["dup_of"].isna() & frame["near_dup_of"].isna()]
    means = distinct.groupby("topic")["score"].mean()
    keep = distinct[(distinct["score"] >= params.min_score)
                    & (distinct["topic"].map(means) >= params.min_topic_mean)]
    chosen = keep.sort_values("score", ascending=False).groupby("topic").head(params.per_topic)
    return len(chosen.head(params.top))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[100_000])
    parser.add_argument("--topics", type=int, default=4000)
    parser.add_argument("--dim", type=int, default=384)
    args = parser.parse_args()
    print(f"{'N':>9} {'baseline s':>11} {'miner s':>8} {'ratio':>6} {'selected':>9} "
          f"{'explain s':>10} {'relax s':>8} {'steps':>5} {'relaxed':>7}")
    for n in args.n:
        frame, vectors = make_candidates(n, args.topics, args.dim)
        params = SelectParams(top=500, min_score=6, min_topic_mean=3, per_topic=2,
                              max_similarity=0.85, relax="strict")
        started = time.perf_counter()
        base = baseline(frame, params)
        base_s = time.perf_counter() - started
        started = time.perf_counter()
        selection = select_benchmark(frame, params, vectors)
        ours_s = time.perf_counter() - started
        short = select_benchmark(frame, params.relaxed(top=5_000), vectors)
        started = time.perf_counter()
        relaxations(frame, short, vectors, None)
        explain_s = time.perf_counter() - started
        started = time.perf_counter()
        relaxed = select_benchmark(frame, params.relaxed(top=5_000, relax="auto"), vectors)
        relax_s = time.perf_counter() - started
        print(f"{n:>9,} {base_s:>11.2f} {ours_s:>8.2f} {ours_s / base_s:>5.1f}x "
              f"{len(selection.selected):>5}/{base:<3} {explain_s:>10.1f} {relax_s:>8.1f} "
              f"{len(relaxed.relaxed):>5} {len(relaxed.selected):>7}", flush=True)


if __name__ == "__main__":
    main()
