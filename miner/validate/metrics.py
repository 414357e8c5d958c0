"""What the ratings say: separability, agreement with a reference leaderboard, and the
win-rate gap per score level.

- separability: the share of model pairs whose confidence intervals do not overlap.
- against a reference (BenchBuilder, Li et al. 2024): over the model pairs the reference
  separates (non-overlapping reference intervals when it gives them, else different
  ratings), **agreement with confidence** scores a pair +1 when the benchmark's intervals
  separate it in the reference's order, -1 when they separate it the other way, 0 when they
  overlap, and averages; **Spearman** and **Kendall** (tau-b) correlate the ratings; the
  **pair-rank Brier score** is the mean of (1 - P)^2 with P the share of bootstrap rounds
  ranking the reference's stronger model of the pair above the weaker (ties half): 0 is a
  confident, right benchmark, 0.25 a coin.
- per score level: the win rate against the baseline of the strongest and of the weakest
  model (by rating) on the questions at that level, and their gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import Any

import numpy as np

from miner.validate.files import ReferenceEntry
from miner.validate.ratings import Ratings


def _apart(low_a: float, high_a: float, low_b: float, high_b: float) -> bool:
    return high_a < low_b or high_b < low_a


def separability(ratings: Ratings) -> float | None:
    """The share of model pairs whose intervals do not overlap (None under two models or
    without bootstrap rounds)."""
    pairs = list(combinations(range(len(ratings.models)), 2))
    if not pairs or not len(ratings.samples):
        return None
    apart = sum(_apart(ratings.lower[i], ratings.upper[i], ratings.lower[j], ratings.upper[j])
                for i, j in pairs)
    return apart / len(pairs)


def _reference_pairs(entries: Sequence[ReferenceEntry]) -> list[tuple[str, str]]:
    """(stronger, weaker) pairs the reference separates."""
    pairs = []
    for a, b in combinations(entries, 2):
        if a.lower is not None and b.lower is not None:
            if not _apart(a.lower, a.upper, b.lower, b.upper):  # type: ignore[arg-type]
                continue
        elif a.rating == b.rating:
            continue
        pairs.append((a.model, b.model) if a.rating > b.rating else (b.model, a.model))
    return pairs


def against_reference(ratings: Ratings, reference: Sequence[ReferenceEntry]) -> dict[str, Any]:
    """Agreement with confidence, Spearman, Kendall and pair-rank Brier on the models both
    rate; `models` and `missing` say which."""
    from scipy.stats import kendalltau, spearmanr

    index = {name: i for i, name in enumerate(ratings.models)}
    common = [e for e in reference if e.model in index]
    result: dict[str, Any] = {
        "models": [e.model for e in common],
        "missing": sorted(set(ratings.models) - {e.model for e in common}),
        "pairs": 0, "agreement": None, "spearman": None, "kendall": None, "brier": None,
    }
    if len(common) < 2:
        return result
    ours = np.array([ratings.rating[index[e.model]] for e in common])
    theirs = np.array([e.rating for e in common])
    if np.ptp(ours) > 0 and np.ptp(theirs) > 0:
        result["spearman"] = float(spearmanr(ours, theirs).statistic)
        result["kendall"] = float(kendalltau(ours, theirs).statistic)
    pairs = _reference_pairs(common)
    result["pairs"] = len(pairs)
    if not pairs:
        return result
    scores, briers = [], []
    for strong, weak in pairs:
        i, j = index[strong], index[weak]
        if _apart(ratings.lower[i], ratings.upper[i], ratings.lower[j], ratings.upper[j]):
            scores.append(1.0 if ratings.rating[i] > ratings.rating[j] else -1.0)
        else:
            scores.append(0.0)
        samples = ratings.samples if len(ratings.samples) else ratings.rating[None, :]
        above = samples[:, i] > samples[:, j]
        level = samples[:, i] == samples[:, j]
        probability = float(np.mean(above + 0.5 * level))
        briers.append((1.0 - probability) ** 2)
    result["agreement"] = float(np.mean(scores))
    result["brier"] = float(np.mean(briers))
    return result


def level_gaps(games: Sequence[tuple[str, str, int, int]], levels: dict[str, float | None],
               strongest: str, weakest: str) -> list[dict[str, Any]]:
    """Per score level: questions, the win rates of `strongest` and `weakest` against the
    baseline and their gap, from `(question, model, outcome, weight)` games (outcome 1 the
    model won, -1 the baseline, 0 a tie) and each question's level (None: unscored)."""
    tally: dict[float, dict[str, list[float]]] = {}
    questions: dict[float, set[str]] = {}
    for question, model, outcome, weight in games:
        level = levels.get(question)
        if level is None or model not in (strongest, weakest):
            continue
        cell = tally.setdefault(level, {}).setdefault(model, [0.0, 0.0])
        cell[0] += weight * (1.0 if outcome > 0 else 0.5 if outcome == 0 else 0.0)
        cell[1] += weight
        questions.setdefault(level, set()).add(question)
    rows = []
    for level in sorted(tally):
        rates = {m: (w / n if n else None) for m, (w, n) in tally[level].items()}
        high, low = rates.get(strongest), rates.get(weakest)
        rows.append({
            "level": level, "questions": len(questions[level]),
            "strongest_win_rate": high, "weakest_win_rate": low,
            "gap": None if high is None or low is None else high - low,
        })
    return rows
