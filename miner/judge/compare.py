"""`miner judges compare A B`: per-criterion agreement and Cohen's kappa between two judges.

Both judges' answers come from the run's cache (`judge.sqlite`), joined on prompt hash; only
prompts both judges answered with status `ok` count.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from typing import Any

from miner.artifacts import JUDGE_CACHE
from miner.config import Config
from miner.errors import MinerError
from miner.judge.parse import OK, score_of, split_flag
from miner.judge.registry import resolve_judge
from miner.judge.rubric import load_rubric
from miner.llm import LLMCache
from miner.run import Run


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Cohen's kappa of two raters' labels; None when undefined (no items, or both raters
    used one and the same label throughout, so chance agreement is 1)."""
    if len(a) != len(b):
        raise ValueError("raters must label the same items")
    n = len(a)
    if n == 0:
        return None
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    count_a, count_b = Counter(a), Counter(b)
    expected = sum(count_a[label] * count_b[label] for label in count_a) / (n * n)
    if expected >= 1.0:
        return None
    return round((observed - expected) / (1.0 - expected), 4)


def _agreement(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    return round(sum(x == y for x, y in zip(a, b, strict=True)) / len(a), 4)


def compare_judges(run: Run, config: Config, a: str, b: str) -> dict[str, Any]:
    """Agreement of judges `a` and `b` on the prompts both scored under `score.rubric`."""
    rubric = load_rubric(config["score"]["rubric"])
    judge_a, judge_b = resolve_judge(config, a), resolve_judge(config, b)
    with LLMCache(run.require(JUDGE_CACHE)) as cache:
        values_a = {x.item: split_flag(x.parsed)[0]
                    for x in cache.answers(judge_a.model, rubric.label) if x.status == OK}
        values_b = {x.item: split_flag(x.parsed)[0]
                    for x in cache.answers(judge_b.model, rubric.label) if x.status == OK}
    common = sorted(set(values_a) & set(values_b))
    if not common:
        raise MinerError(
            f"{run.file(JUDGE_CACHE)}: judges '{a}' ({len(values_a)} answers) and '{b}' "
            f"({len(values_b)} answers) scored no prompt in common under {rubric.label}"
        )
    criteria = []
    for number, name in enumerate(rubric.criteria, start=1):
        flags_a = [number in values_a[h] for h in common]
        flags_b = [number in values_b[h] for h in common]
        criteria.append({
            "criterion": name,
            "agreement": _agreement(flags_a, flags_b),
            "kappa": cohen_kappa(flags_a, flags_b),
            "rate_a": round(sum(flags_a) / len(common), 4),
            "rate_b": round(sum(flags_b) / len(common), 4),
        })
    scores_a = [score_of(values_a[h], rubric) for h in common]
    scores_b = [score_of(values_b[h], rubric) for h in common]
    return {
        "a": judge_a.name,
        "b": judge_b.name,
        "rubric": rubric.label,
        "prompts": len(common),
        "only_a": len(values_a) - len(common),
        "only_b": len(values_b) - len(common),
        "criteria": criteria,
        "score": {
            "agreement": _agreement(scores_a, scores_b),
            "kappa": cohen_kappa(scores_a, scores_b),
            "mean_a": round(sum(scores_a) / len(common), 4),
            "mean_b": round(sum(scores_b) / len(common), 4),
        },
    }
