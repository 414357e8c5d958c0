"""`select` on the development protocol with a perfect judge: how much of `--top` is hard.

The protocol (issue 16): Arena-Hard v0.1's 500 prompts (`source: arena-hard-v0.1` in the mix
file, the positives) hidden among arena_catalog_dev's 8,828 Chatbot Arena prompts. Input: a
run folder built from the mix with default settings up to `score` (the offline heuristic
judge), e.g. `miner run protocol_mix.jsonl --run protocol`. The bench copies the artifacts
select reads into a work folder and writes a perfect judge's scores.parquet there: every v0.1
prompt scores 7, every other prompt min(5, its heuristic score). Then, each in the same
process on the same scores, it runs `select --top N` with:
- `auto`: the default ladder (topic mean to select.min_topic_mean_floor, then per_topic up to
  select.max_topic_share of --top, the score last);
- `share 1`: the same with `max_topic_share: 1` (one topic may give any number);
- `strict`: the thresholds as asked;
- `score 5`: `--min-score 5` asked outright (where lowering the score first would end: the
  old ladder's result);
and prints, for each: questions, hard ones (v0.1) and their share, topics, the largest topic's
questions and share of --top, the effective settings and the relaxing sentence.

    .venv/bin/python bench/bench_select_protocol.py --run /work/runs/protocol \\
        --mix /work/runs/protocol_mix.jsonl --work /tmp/protocol_select \\
        --data /work/shared/data

Skips (exit 0, one line) when ../shared/data or the run folder is absent.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
COPIED = ["prompts.parquet", "topics.parquet", "topic_info.json", "embeddings.npy",
          "embeddings.json", "config.yaml"]
HARD_SOURCE = "arena-hard-v0.1"
VARIANTS = {
    "auto": {},
    "share 1": {"max_topic_share": 1.0},
    "strict": {"relax": "strict"},
    "score 5": {"min_score": 5},
}


def hard_rows(mix: Path) -> set[int]:
    """1-based line numbers of the mix file whose `source` is Arena-Hard v0.1."""
    rows = set()
    with mix.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if json.loads(line).get("source") == HARD_SOURCE:
                rows.add(number)
    return rows


def perfect_scores(run: Path, work: Path, hard: set[int]) -> pd.Series:
    """Write work/scores.parquet (7 for v0.1, min(5, heuristic) else); return hard per id."""
    prompts = pd.read_parquet(run / "prompts.parquet", columns=["id", "row"])
    is_hard = prompts.set_index("id")["row"].isin(hard)
    scores = pd.read_parquet(run / "scores.parquet")
    heuristic = scores["score"].astype(float)
    hard_score = scores["id"].map(is_hard).fillna(False).astype(bool)
    scores["score"] = np.where(hard_score, 7.0, np.minimum(5.0, heuristic))
    scores["judge"] = "perfect"
    scores.to_parquet(work / "scores.parquet", index=False)
    return is_hard


def run_variant(work: Path, name: str, changes: dict, top: int, is_hard: pd.Series) -> dict:
    from miner.config import load_config
    from miner.run import Run
    from miner.select import read_summary, run_select

    # v0.1 is hidden in the corpus on purpose: the shipped public list would drop it all
    overrides = {"select.top": top, "select.exclude_public": False,
                 **{f"select.{k}": v for k, v in changes.items()}}
    run = Run(work)
    started = time.perf_counter()
    run_select(run, load_config(None, overrides), force=True)
    seconds = time.perf_counter() - started
    summary = read_summary(run)
    lines = (work / "benchmark" / "question.jsonl").read_text("utf-8").splitlines()
    table = pd.read_parquet(work / "benchmark" / "selection.parquet")
    chosen = table[table["reason"] == "selected"]
    hard = int(chosen["id"].map(is_hard).sum())
    largest = summary["largest_topic"] or {"selected": 0, "share": 0.0}
    return {
        "variant": name, "questions": len(lines), "hard": hard,
        "hard_share": hard / len(lines) if lines else 0.0,
        "topics": int(chosen["topic"].nunique()), "largest": largest["selected"],
        "largest_share": largest["share"], "effective": summary["effective"],
        "relaxed": summary["relaxed_text"], "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", type=Path, default=Path("/work/runs/protocol"))
    parser.add_argument("--mix", type=Path, default=Path("/work/runs/protocol_mix.jsonl"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/protocol_select"))
    parser.add_argument("--top", type=int, default=500)
    parser.add_argument("--data", type=Path, default=DATA,
                        help="the development data folder (default ../shared/data)")
    args = parser.parse_args()
    if not args.data.exists():
        print(f"skipped: {args.data} is absent")
        return
    missing = [p for p in [args.mix, *(args.run / f for f in [*COPIED, "scores.parquet"])]
               if not p.exists()]
    if missing:
        print(f"skipped: {missing[0]} is absent (build the protocol run up to score first)")
        return
    args.work.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        shutil.copy(args.run / name, args.work / name)
    is_hard = perfect_scores(args.run, args.work, hard_rows(args.mix))
    distinct = pd.read_parquet(args.run / "prompts.parquet",
                               columns=["id", "dup_of", "near_dup_of"])
    distinct = distinct[distinct["dup_of"].isna() & distinct["near_dup_of"].isna()]
    print(f"protocol run {args.run}: {len(is_hard)} prompts, {int(is_hard.sum())} v0.1 "
          f"({int(distinct['id'].map(is_hard).sum())} distinct); perfect judge: v0.1 7, "
          f"others min(5, heuristic); select --top {args.top}")
    print(f"{'variant':<9} {'questions':>9} {'hard':>5} {'hard %':>7} {'topics':>6} "
          f"{'largest':>7} {'share':>6}  effective (score, topic mean, per_topic)")
    for name, changes in VARIANTS.items():
        got = run_variant(args.work, name, changes, args.top, is_hard)
        kept = got["effective"]
        print(f"{name:<9} {got['questions']:>9} {got['hard']:>5} {got['hard_share']:>7.1%} "
              f"{got['topics']:>6} {got['largest']:>7} {got['largest_share']:>6.1%}  "
              f"{kept['min_score']:g}, {kept['min_topic_mean']:g}, {kept['per_topic']} "
              f"({got['seconds']:.1f} s)")
        if got["relaxed"]:
            print(f"{'':<9} {got['relaxed']}")


if __name__ == "__main__":
    main()
