"""`miner judges eval JUDGE --labels FILE`: how well a judge matches labels you trust.

The labels file is JSON Lines, one object per prompt: `prompt` (text) and any of `hard`
(true/false), `score` (a number on the rubric's scale) and `criteria` (names of the rubric's
criteria the prompt meets). The judge scores every distinct prompt through the answer cache
(the run's `judge.sqlite`, so a rerun calls nothing and a later `miner score` reuses the
answers) and the figures are:
  * `hard`: ROC AUC of the judge's score, precision among its `k` highest (ties at the cut
    taken at their expected share) against the base rate, Cohen's kappa of
    `score >= threshold` against the label;
  * `score`: Spearman's rho, and kappa of both sides cut at the threshold;
  * `criteria`: per criterion, agreement and kappa of the judge's verdict with the label.
Prompts the judge gave no valid answer for are counted and left out of the figures.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from miner.artifacts import JUDGE_CACHE
from miner.config import Config
from miner.errors import InputError
from miner.ingest.text import clean, text_hash
from miner.jsonl import read_objects
from miner.judge.base import Item, judge_items
from miner.judge.compare import cohen_kappa
from miner.judge.metrics import precision_at_k, roc_auc, spearman
from miner.judge.parse import OK, score_of
from miner.judge.registry import resolve_judge
from miner.judge.rubric import Rubric, load_rubric
from miner.llm import LLMCache
from miner.run import Run

FIELDS = ("prompt", "hard", "score", "criteria")


@dataclass(frozen=True)
class Label:
    """One labelled prompt."""

    line: int
    prompt: str
    hard: bool | None = None
    score: float | None = None
    criteria: frozenset[str] | None = None


def _label(path: Path, number: int, record: dict[str, Any], rubric: Rubric) -> Label:
    where = f"{path}: line {number}"
    prompt = record.get("prompt")
    if "prompt" not in record:
        raise InputError(f"{where}: missing field 'prompt'")
    if not isinstance(prompt, str) or not prompt.strip():
        raise InputError(f"{where}: 'prompt' must be non-empty text, got {prompt!r:.60}")
    if all(record.get(key) is None for key in FIELDS[1:]):
        raise InputError(f"{where}: no label: give at least one of 'hard', 'score', "
                         "'criteria'")
    hard = record.get("hard")
    if hard is not None and not isinstance(hard, bool):
        raise InputError(f"{where}: 'hard' must be true or false, got {hard!r:.60}")
    score = record.get("score")
    if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
        raise InputError(f"{where}: 'score' must be a number, got {score!r:.60}")
    criteria = record.get("criteria")
    if criteria is not None:
        if not isinstance(criteria, list) or not all(isinstance(c, str) for c in criteria):
            raise InputError(f"{where}: 'criteria' must be a list of criterion names, "
                             f"got {criteria!r:.60}")
        if rubric.kind != "criteria":
            raise InputError(f"{where}: 'criteria' labels need a criteria rubric; "
                             f"{rubric.label} is a rating rubric")
        unknown = [c for c in criteria if c not in rubric.criteria]
        if unknown:
            raise InputError(f"{where}: criterion {unknown[0]!r:.60} is not in {rubric.label} "
                             f"(its criteria: {', '.join(rubric.criteria)})")
        criteria = frozenset(criteria)
    return Label(number, prompt, hard, None if score is None else float(score), criteria)


def read_labels(path: Path, rubric: Rubric) -> list[Label]:
    """The labelled prompts of `path`; any bad line is one `InputError` naming it."""
    labels = [_label(path, number, record, rubric)
              for number, record in read_objects(path, "labels file")]
    if not labels:
        raise InputError(f"{path}: no labelled prompts")
    return labels


def _items(labels: list[Label], max_chars: int) -> tuple[list[str], list[Item]]:
    """Each label's judge hash, and the distinct items to judge (hashed as ingest does)."""
    hashes, items = [], {}
    for label in labels:
        text = clean(label.prompt)
        key = text_hash(text)
        hashes.append(key)
        items.setdefault(key, Item(key, text[:max_chars], len(text) > max_chars))
    return hashes, list(items.values())


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _hard_figures(pairs: list[tuple[bool, float]], k: int, threshold: float) -> dict | None:
    if not pairs:
        return None
    truth = [h for h, _ in pairs]
    scores = [s for _, s in pairs]
    base = sum(truth) / len(truth)
    top = precision_at_k(truth, scores, k)
    passed = [s >= threshold for s in scores]
    return {
        "prompts": len(pairs),
        "positives": sum(truth),
        "base_rate": _rounded(base),
        "auc": _rounded(roc_auc(truth, scores)),
        "k": min(k, len(pairs)),
        "precision_at_k": _rounded(top),
        "lift_at_k": _rounded(top / base) if top is not None and base > 0 else None,
        "agreement": _rounded(sum(p == t for p, t in zip(passed, truth, strict=True))
                              / len(pairs)),
        "kappa": cohen_kappa(passed, truth),
    }


def _score_figures(pairs: list[tuple[float, float]], threshold: float) -> dict | None:
    if not pairs:
        return None
    labelled = [a for a, _ in pairs]
    judged = [b for _, b in pairs]
    cut_a, cut_b = [a >= threshold for a in labelled], [b >= threshold for b in judged]
    return {
        "prompts": len(pairs),
        "spearman": _rounded(spearman(labelled, judged)),
        "mean_label": _rounded(sum(labelled) / len(pairs)),
        "mean_judge": _rounded(sum(judged) / len(pairs)),
        "agreement": _rounded(sum(x == y for x, y in zip(cut_a, cut_b, strict=True))
                              / len(pairs)),
        "kappa": cohen_kappa(cut_a, cut_b),
    }


def _criteria_figures(pairs: list[tuple[frozenset[str], list[int]]],
                      rubric: Rubric) -> list[dict] | None:
    if not pairs:
        return None
    rows = []
    for number, name in enumerate(rubric.criteria, start=1):
        labelled = [name in truth for truth, _ in pairs]
        judged = [number in value for _, value in pairs]
        rows.append({
            "criterion": name,
            "agreement": _rounded(sum(a == b for a, b in zip(labelled, judged, strict=True))
                                  / len(pairs)),
            "kappa": cohen_kappa(labelled, judged),
            "rate_label": _rounded(sum(labelled) / len(pairs)),
            "rate_judge": _rounded(sum(judged) / len(pairs)),
        })
    return rows


def evaluate_judge(run: Run, config: Config, name: str, labels_path: Path, *, k: int = 100,
                   threshold: float | None = None) -> dict[str, Any]:
    """Score the prompts of `labels_path` with judge `name` (through the run's answer cache)
    and measure the scores against the labels. `threshold` defaults to `select.min_score`."""
    score_config = config["score"]
    rubric = load_rubric(score_config["rubric"])
    labels = read_labels(Path(labels_path), rubric)
    judge = resolve_judge(config, name)
    cut = float(config["select"]["min_score"] if threshold is None else threshold)
    hashes, items = _items(labels, score_config["max_prompt_chars"])
    with run.writing(), LLMCache(run.file(JUDGE_CACHE)) as cache:
        verdicts, stats = judge_items(judge, rubric, items, cache,
                                      max_chars=score_config["max_prompt_chars"])
    answered = [(label, verdicts[h]) for label, h in zip(labels, hashes, strict=True)
                if verdicts[h].status == OK]
    failed = Counter(verdicts[h].status for h in hashes if verdicts[h].status != OK)
    scored = [(label, score_of(v.value, rubric), v.value) for label, v in answered]
    return {
        "judge": judge.name,
        "model": judge.model,
        "rubric": rubric.label,
        "labels": str(labels_path),
        "prompts": len(labels),
        "answered": len(answered),
        "failed": dict(sorted(failed.items())),
        "calls": {"distinct_prompts": len(items), "cached": stats.cached,
                  "called": stats.called},
        "threshold": cut,
        "hard": _hard_figures([(lb.hard, s) for lb, s, _ in scored if lb.hard is not None],
                              k, cut),
        "score": _score_figures([(lb.score, s) for lb, s, _ in scored if lb.score is not None],
                                cut),
        "criteria": _criteria_figures(
            [(lb.criteria, v) for lb, _, v in scored if lb.criteria is not None], rubric),
    }
