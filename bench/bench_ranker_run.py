"""The offline `miner score` + `miner select --top 500` on the protocol corpus, measured on
prompts no model was fitted on.

    python bench/bench_ranker_run.py --run RUN [--data ../shared/data] [--work DIR]

RUN is a run folder of the protocol corpus through `cluster` (e.g. one `miner run` built
from Arena-Hard v0.1 hidden among arena_catalog_dev); it is copied to WORK, never written.
The protocol's topic groups (bench_ranker.py's) are split in two halves (GroupKFold(2)); a
ranker is fitted on each half with scripts/build_ranker.py's recipe and written as a model
file. Each half's model scores the whole corpus as a `judges:` entry of kind `ranker`, and
`miner select --top 500` picks the benchmark; only the selected prompts of the OTHER half
are counted (the model never saw them nor their topics), so precision = hard prompts among
them, pooled over both halves, against the base rate of hard prompts in the run. Beside it,
in the same run: heuristic-v2 and the shipped ranker (fitted on all of the protocol, so its
figure is in-sample), counted over all 500.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ranker import ROOT, load_protocol  # noqa: E402

from miner.judge.ranker import to_json  # noqa: E402
from miner.judge.ranker_fit import fit_ranker  # noqa: E402

SKIP = ("benchmark", "report", "judge.sqlite", "scores.parquet", "score_summary.json",
        "embed_cache", ".lock")
MINER = [sys.executable, "-m", "miner.cli"]


def _miner(*args: str) -> None:
    done = subprocess.run([*MINER, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"miner {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def selected(work: Path, judge: str, config: Path) -> pd.DataFrame:
    """Score with `judge`, select --top 500; the selected rows of prompts.parquet."""
    _miner("score", "--run", str(work), "--judge", judge, "--config", str(config), "--force")
    _miner("select", "--run", str(work), "--top", "500", "--no-exclude-public", "--config",
           str(config), "--force")
    prompts = pd.read_parquet(work / "prompts.parquet",
                              columns=["id", "text", "conversation_id", "dup_of"])
    questions = [json.loads(line)["prompt"] for line in
                 (work / "benchmark" / "question.jsonl").read_text("utf-8").splitlines()]
    distinct = prompts[prompts["dup_of"].isna()].drop_duplicates("text")
    return distinct.set_index("text").loc[questions].reset_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--work", type=Path, default=ROOT / ".cache" / "bench_ranker_run")
    args = parser.parse_args()
    if not (args.data / "arena_catalog_dev.jsonl.gz").is_file():
        print(f"skipped: {args.data} is absent (development data, not part of the product)")
        return
    from sklearn.model_selection import GroupKFold

    start = time.perf_counter()
    if args.work.exists():
        shutil.rmtree(args.work)
    shutil.copytree(args.run, args.work, ignore=shutil.ignore_patterns(*SKIP))
    protocol = load_protocol(args.data, args.run)
    half_of = np.zeros(len(protocol.texts), dtype=int)
    models = {}
    for half, (_, test) in enumerate(GroupKFold(2).split(protocol.texts, protocol.hard,
                                                         protocol.groups)):
        half_of[test] = half
    for half in (0, 1):
        train = np.flatnonzero(half_of != half)   # the model of half h never saw half h
        texts = [protocol.texts[i] for i in train]
        hard = protocol.hard[train]
        model = fit_ranker([t for t, h in zip(texts, hard, strict=True) if h],
                           [t for t, h in zip(texts, hard, strict=True) if not h])
        path = args.work / f"ranker-half{half}.json"
        path.write_text(json.dumps(to_json(model)), "utf-8")
        models[f"ranker_holdout{half}"] = {"kind": "ranker", "model": str(path)}
    config = args.work / "bench_ranker.yaml"
    config.write_text(json.dumps({"judges": models}), "utf-8")   # JSON is YAML
    where = {t: i for i, t in enumerate(protocol.texts)}

    prompts = pd.read_parquet(args.work / "prompts.parquet",
                              columns=["text", "conversation_id", "dup_of"])
    distinct = prompts[prompts["dup_of"].isna()]
    base = distinct["conversation_id"].str.startswith("ah-").mean()
    print(f"run: {len(distinct)} distinct prompts, "
          f"{distinct['conversation_id'].str.startswith('ah-').sum()} v0.1 "
          f"(base rate {base:.2%})")
    held_hard = held_total = 0
    for half in (0, 1):
        chosen = selected(args.work, f"ranker_holdout{half}", config)
        halves = np.array([half_of[where[t.strip()]] if t.strip() in where else -1
                           for t in chosen["text"]])
        hard = chosen["conversation_id"].str.startswith("ah-").to_numpy()
        mine = halves == half
        held_hard += int(hard[mine].sum())
        held_total += int(mine.sum())
        print(f"  model fitted without half {half}: {len(chosen)} selected, {mine.sum()} of "
              f"them from half {half}, {hard[mine].sum()} of those v0.1 "
              f"({hard[mine].mean():.1%}); not in the protocol: {(halves < 0).sum()}")
    print(f"ranker, held-out halves pooled: {held_hard} v0.1 of {held_total} "
          f"({held_hard / held_total:.1%}, {held_hard / held_total / base:.2f}x base)")
    for judge in ("heuristic", "ranker"):
        chosen = selected(args.work, judge, config)
        hard = chosen["conversation_id"].str.startswith("ah-").sum()
        note = " (in-sample: fitted on these prompts)" if judge == "ranker" else ""
        print(f"{judge}: {hard} v0.1 of {len(chosen)} ({hard / len(chosen):.1%}, "
              f"{hard / len(chosen) / base:.2f}x base){note}")
    print(f"{time.perf_counter() - start:.0f} s; load: {os.getloadavg()[0]:.2f} "
          f"(1-min average, {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
