"""The offline ranker against heuristic-v2 and prompt length, cross-validated by topic.

    python bench/bench_ranker.py [--data ../shared/data] [--run RUN] [--folds 5]

The development protocol: Arena-Hard v0.1's questions (positives) hidden among
arena_catalog_dev's prompts, cleaned as scripts/build_ranker.py cleans them (the rows the
shipped model is fitted on). Folds are grouped by topic: v0.1's `cluster`, the catalog's
`lmarena_topic`, and where that is null miner's topic from RUN's topics.parquet (matched by
text; rows RUN lacks, or its outliers, go to the lmarena_topic whose TF-IDF centroid is
nearest). Every prompt is scored by a model fitted on the other folds only. Printed side by
side, one run:
  * ROC AUC, top-500 precision / base rate, AUC within prompt-length deciles (averaged), and
    the out-of-fold 0-7 rubric score's AUC and pass share (>= 6);
  * the same with stricter folds (miner's topic for every row RUN has);
  * the wild_dev mix (v0.1 inside wild_dev's English prompts, bench/_judge_labels.py): v0.1
    questions scored by the fold model that held them out, wild_dev rows (never trained on)
    by the fold model their row number picks;
  * Spearman's rho with the 216 human 1-10 ratings (model fitted on the whole protocol).
Skips cleanly when the data is absent.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from build_ranker import read_records  # noqa: E402

from miner.judge import heuristic  # noqa: E402
from miner.judge.metrics import precision_at_k, roc_auc, spearman  # noqa: E402
from miner.judge.ranker import feature_rows  # noqa: E402
from miner.judge.ranker_fit import fit_rows, level_cuts  # noqa: E402

TOP = 500
RULES = slice(len(heuristic.Features.__dataclass_fields__),
              len(heuristic.Features.__dataclass_fields__) + len(heuristic.RULES))


@dataclass
class Protocol:
    """The protocol's prompts: texts, labels, fold groups (brief's and strict), features."""

    texts: list[str]
    hard: np.ndarray
    groups: np.ndarray
    strict: np.ndarray
    rows: np.ndarray


def _nearest_topic(texts: list[str], topics: list[str | None]) -> list[str]:
    """Each text's lmarena_topic, or the named topic whose TF-IDF centroid is nearest."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectors = TfidfVectorizer(min_df=2, max_features=50_000, sublinear_tf=True).fit_transform(
        texts)
    names = sorted({t for t in topics if t})
    index = {name: i for i, name in enumerate(names)}
    member = np.array([index.get(t, -1) for t in topics])
    centroids = np.vstack([np.asarray(vectors[member == i].mean(axis=0)) for i in
                           range(len(names))])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True) + 1e-12
    nearest = np.asarray((vectors @ centroids.T).argmax(axis=1)).ravel()
    return [t if t else names[n] for t, n in zip(topics, nearest, strict=True)]


def _miner_topics(run: Path | None) -> dict[str, int]:
    """Text -> miner topic (outliers left out) of a run folder, empty without one."""
    if run is None:
        return {}
    import pandas as pd

    prompts = pd.read_parquet(run / "prompts.parquet", columns=["id", "text"])
    topics = pd.read_parquet(run / "topics.parquet", columns=["id", "topic"])
    frame = prompts.merge(topics, on="id")
    frame = frame[frame["topic"] >= 0]
    return {str(t).strip(): int(k) for t, k in zip(frame["text"], frame["topic"], strict=True)}


def load_protocol(data: Path, run: Path | None) -> Protocol:
    """The protocol's prompts with their groups and feature rows (a minute: features)."""
    hard = read_records(data / "arena_hard_v0.1.jsonl")
    hard_texts = {r["prompt"] for r in hard}
    catalog = [r for r in read_records(data / "arena_catalog_dev.jsonl.gz")
               if r["prompt"] not in hard_texts]
    texts = [r["prompt"] for r in hard] + [r["prompt"] for r in catalog]
    named = [None] * len(hard) + [r.get("lmarena_topic") for r in catalog]
    nearest = _nearest_topic(texts, named)
    miner = _miner_topics(run)
    groups, strict = [], []
    for i, text in enumerate(texts):
        if i < len(hard):
            group = f"v01:{hard[i]['cluster']}"
        elif named[i]:
            group = f"cat:{named[i]}"
        elif text in miner:
            group = f"miner:{miner[text]}"
        else:
            group = f"cat:{nearest[i]}"
        groups.append(group)
        strict.append(f"miner:{miner[text]}" if text in miner else group)
    return Protocol(texts, np.r_[np.ones(len(hard), bool), np.zeros(len(catalog), bool)],
                    np.array(groups), np.array(strict), feature_rows(texts))


def fold_models(p: Protocol, groups: np.ndarray, folds: int) -> tuple[np.ndarray, list]:
    """Out-of-fold logits and 0-7 scores, the fold of each row, and each fold's model."""
    from sklearn.model_selection import GroupKFold

    logits, levels = np.zeros(len(p.texts)), np.zeros(len(p.texts))
    fold_of = np.zeros(len(p.texts), dtype=int)
    models = []
    heur = p.rows[:, RULES].sum(axis=1)
    for k, (train, test) in enumerate(GroupKFold(folds).split(p.rows, p.hard, groups)):
        mean, scale, coef, bias = fit_rows(p.rows[train], p.hard[train])
        models.append((mean, scale, coef, bias))
        score = lambda rows, m=mean, s=scale, c=coef, b=bias: ((rows - m) / s) @ c + b  # noqa: E731
        logits[test] = score(p.rows[test])
        background, positives = train[~p.hard[train]], train[p.hard[train]]
        steps = np.linspace(0, 1, 201)
        grid = np.quantile(score(p.rows[background]), steps)
        cuts = level_cuts(heur[background], np.interp(score(p.rows[positives]), grid, steps))
        percentile = np.interp(logits[test], grid, steps)
        levels[test] = np.searchsorted(cuts, percentile, side="right")
        fold_of[test] = k
    return np.c_[logits, levels, fold_of], models


def figures(hard: np.ndarray, scores: np.ndarray, chars: np.ndarray) -> dict[str, float]:
    """AUC, top-500 precision over base, and AUC averaged within length deciles."""
    edges = np.quantile(chars, np.linspace(0, 1, 11)[1:-1])
    decile = np.searchsorted(edges, chars, side="right")
    within = [roc_auc(hard[decile == d], scores[decile == d]) for d in range(10)]
    within = [w for w in within if w is not None]
    return {"auc": roc_auc(hard, scores), "lift": precision_at_k(hard, scores, TOP) / hard.mean(),
            "decile_auc": float(np.mean(within))}


def _print(title: str, rows: dict[str, dict[str, float]], extra: str = "") -> None:
    print(f"{title}{extra}")
    print(f"  {'':26}{'ROC AUC':>9}{'top-500/base':>14}{'AUC in length deciles':>23}")
    for name, f in rows.items():
        print(f"  {name:26}{f['auc']:9.3f}{f['lift']:13.2f}x{f['decile_auc']:23.3f}")


def wild_mix(p: Protocol, cv: np.ndarray, models: list, data: Path) -> None:
    """The wild_dev mix figures and the human-rating Spearman."""
    import _judge_labels

    _judge_labels.DATA = data
    labels = _judge_labels.load_labels()
    hard = np.array(labels.hard)
    rows = feature_rows(labels.texts)
    where = {t: i for i, t in enumerate(p.texts)}
    scores = np.zeros(len(rows))
    for i, text in enumerate(labels.texts):
        at = where.get(text.strip()[:10_000]) if hard[i] else None
        k = int(cv[at, 2]) if at is not None else i % len(models)
        mean, scale, coef, bias = models[k]
        scores[i] = ((rows[i] - mean) / scale) @ coef + bias
    chars = np.array([len(t) for t in labels.texts], dtype=float)
    _print("wild_dev mix (v0.1 inside wild_dev; out-of-fold as above)", {
        "ranker": figures(hard, scores, chars),
        "heuristic-v2": figures(hard, rows[:, RULES].sum(axis=1), chars),
        "prompt length": figures(hard, chars, chars),
    }, f": {len(hard)} prompts, {hard.sum()} v0.1, base rate {hard.mean():.2%}")
    mean, scale, coef, bias = fit_rows(p.rows, p.hard)
    rated = feature_rows([t for t, _ in labels.rated])
    human = [d for _, d in labels.rated]
    print(f"Spearman with the {len(human)} human 1-10 ratings: ranker "
          f"{spearman(((rated - mean) / scale) @ coef + bias, human):.3f}, heuristic-v2 "
          f"{spearman(rated[:, RULES].sum(axis=1), human):.3f}, prompt length "
          f"{spearman([len(t) for t, _ in labels.rated], human):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--run", type=Path, help="a run folder of the protocol corpus: its "
                        "topics group the prompts lmarena_topic leaves unnamed")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    if not (args.data / "arena_catalog_dev.jsonl.gz").is_file():
        print(f"skipped: {args.data} is absent (development data, not part of the product)")
        return
    start = time.perf_counter()
    p = load_protocol(args.data, args.run)
    chars = np.array([len(t) for t in p.texts], dtype=float)
    heur = p.rows[:, RULES].sum(axis=1)
    cv, models = fold_models(p, p.groups, args.folds)
    strict, _ = fold_models(p, p.strict, args.folds)
    print(f"protocol: {len(p.texts)} prompts, {p.hard.sum()} v0.1 (base rate "
          f"{p.hard.mean():.2%}); {args.folds} folds grouped by topic: "
          f"{len(set(p.groups))} groups ({sum(g.startswith('miner:') for g in set(p.groups))} "
          f"from miner's topics), strict: {len(set(p.strict))}")
    _print("protocol, grouped cross-validation", {
        "ranker (logit)": figures(p.hard, cv[:, 0], chars),
        "ranker (0-7 score)": figures(p.hard, cv[:, 1], chars),
        "ranker, strict folds": figures(p.hard, strict[:, 0], chars),
        "heuristic-v2 (0-7 score)": figures(p.hard, heur, chars),
        "prompt length": figures(p.hard, chars, chars),
    })
    print(f"  pass share (score >= 6): ranker {(cv[:, 1] >= 6).mean():.1%} of all, "
          f"{(cv[p.hard, 1] >= 6).mean():.1%} of v0.1; heuristic-v2 {(heur >= 6).mean():.1%}, "
          f"{(heur[p.hard] >= 6).mean():.1%}")
    wild_mix(p, cv, models, args.data)
    print(f"{time.perf_counter() - start:.0f} s; load: {os.getloadavg()[0]:.2f} "
          f"(1-min average, {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
