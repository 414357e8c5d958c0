"""The offline heuristic judge, old (heuristic-v1) against new, on the labelled dev data.

    .venv/bin/python bench/eval_offline_judge.py [--by-source]

Reads ../shared/data (skips cleanly when absent; see bench/_judge_labels.py) and prints, for
both judges side by side:
  * ROC AUC and top-500 precision against Arena-Hard v0.1 membership on the mix (the 500
    questions among wild_dev's English prompts), with the base rate;
  * Spearman's rho with the 216 human difficulty ratings, for the benchbuilder-v1 score and
    for the difficulty-1to10 rating;
  * agreement with Llama-3-70B on the nine worked examples (63 criterion flags, the scores);
  * the score distribution on the wild_dev prompts and on the Arena-Hard questions;
  * throughput (prompts per second of this process's CPU time; the machine load is printed).
Nothing here is fitted: the rules are hand-written, so there is nothing to cross-validate.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _judge_labels import ROOT, load_labels  # noqa: E402

sys.path.insert(0, str(ROOT))

import _heuristic_v1 as old  # noqa: E402

from miner.judge import heuristic as new  # noqa: E402
from miner.judge.metrics import precision_at_k, roc_auc, spearman  # noqa: E402
from miner.judge.rubric import load_rubric  # noqa: E402

BENCH = load_rubric("benchbuilder-v1")
RATING = load_rubric("difficulty-1to10")
TOP = 500


def _measure(judge, labels, by_source: bool) -> dict:
    start = time.process_time()
    scores = [len(judge.judge_text(t, BENCH)) for t in labels.texts]
    rate = len(labels.texts) / (time.process_time() - start)
    human = [d for _, d in labels.rated]
    examples = [set(judge.judge_text(e["prompt"], BENCH)) for e in labels.examples]
    flags = [(i + 1 in met) == (name in e["criteria"])
             for e, met in zip(labels.examples, examples, strict=True)
             for i, name in enumerate(BENCH.criteria)]
    wild = [s for s, h in zip(scores, labels.hard, strict=True) if not h]
    hard = [s for s, h in zip(scores, labels.hard, strict=True) if h]
    result = {
        "auc": roc_auc(labels.hard, scores),
        "top": precision_at_k(labels.hard, scores, TOP),
        "rho_score": spearman([len(judge.judge_text(t, BENCH)) for t, _ in labels.rated], human),
        "rho_rating": spearman([judge.judge_text(t, RATING) for t, _ in labels.rated], human),
        "flags": sum(flags) / len(flags),
        "example_scores": [len(m) for m in examples],
        "exact": sum(len(m) == e["score"] for m, e in zip(examples, labels.examples,
                                                          strict=True)),
        "within1": sum(abs(len(m) - e["score"]) <= 1 for m, e in zip(examples, labels.examples,
                                                                     strict=True)),
        "wild": Counter(wild), "hard": Counter(hard),
        "wild6": sum(s >= 6 for s in wild), "rate": rate,
    }
    if by_source:
        groups: dict[str, list[int]] = {}
        for s, source in zip(scores, labels.sources, strict=True):
            groups.setdefault(source, []).append(s)
        result["sources"] = {k: (len(v), sum(x >= 6 for x in v) / len(v), sum(v) / len(v))
                             for k, v in sorted(groups.items())}
    return result


def _dist(counter: Counter) -> str:
    total = sum(counter.values())
    return " ".join(f"{counter[s] / total:5.1%}" for s in range(8))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--by-source", action="store_true",
                        help="also print each source's share at score >= 6 and mean score")
    args = parser.parse_args()
    labels = load_labels()
    base = sum(labels.hard) / len(labels.hard)
    results = {j.MODEL: _measure(j, labels, args.by_source) for j in (old, new)}
    names = list(results)
    print(f"mix: {len(labels.texts)} prompts, {sum(labels.hard)} Arena-Hard v0.1 "
          f"(base rate {base:.2%}); {len(labels.rated)} human ratings; "
          f"{len(labels.examples)} worked examples")
    print(f"{'':34}" + "".join(f"{n:>16}" for n in names))
    rows = [
        ("ROC AUC (Arena-Hard membership)", "auc", "{:.3f}"),
        (f"top-{TOP} precision", "top", "{:.2%}"),
        ("  ... / base rate", None, None),
        ("Spearman, human 1-10 vs score", "rho_score", "{:.3f}"),
        ("Spearman, human 1-10 vs rating", "rho_rating", "{:.3f}"),
        ("worked examples: flags agree", "flags", "{:.1%}"),
        ("worked examples: score exact /9", "exact", "{}"),
        ("worked examples: within 1 /9", "within1", "{}"),
        ("wild_dev prompts at score >= 6", "wild6", "{}"),
        ("prompts per CPU second", "rate", "{:,.0f}"),
    ]
    for label, key, fmt in rows:
        if key is None:
            cells = [f"{results[n]['top'] / base:.2f}x" for n in names]
        else:
            cells = [fmt.format(results[n][key]) for n in names]
        print(f"{label:34}" + "".join(f"{c:>16}" for c in cells))
    print("worked examples (Llama-3-70B score -> judge):")
    for n in names:
        pairs = ", ".join(f"{e['score']}->{s}" for e, s in
                          zip(labels.examples, results[n]["example_scores"], strict=True))
        print(f"  {n}: {pairs}")
    print("score distribution      " + " ".join(f"{s:>5}" for s in range(8)))
    for n in names:
        print(f"  {n:12} wild_dev " + _dist(results[n]["wild"]))
        print(f"  {n:12} arena    " + _dist(results[n]["hard"]))
    if args.by_source:
        for n in names:
            print(f"{n}: source (prompts, share >= 6, mean score)")
            for source, (count, share, mean) in results[n]["sources"].items():
                print(f"  {source:28} {count:6} {share:6.1%} {mean:5.2f}")
    print(f"load: {os.getloadavg()[0]:.2f} (1-min average, {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
