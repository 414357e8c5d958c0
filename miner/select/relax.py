"""`select.relax: auto`: when the thresholds leave fewer than `--top`, relax them step by step.

Each step changes one setting and is recorded. The ladder, repeated until `--top` is reached
or nothing is left to relax:

1. While fewer than `--top` prompts pass the thresholds (the pool):
   a. lower `min_topic_mean` in steps of 0.5, to the first value that admits more prompts
      (each still scores `min_score` or more: this widens the topics, not the prompts);
   b. when no lower topic mean admits any, lower `min_score` in steps of 1, to the first
      value that admits more prompts. Step a is tried again after every b.
2. Once the pool holds `--top` but `per_topic` keeps the selection short, first widen:
   lower `min_topic_mean` (steps of 0.5) while that brings in topics the pool lacks, so the
   benchmark takes more topics before more prompts per topic; then raise `per_topic` to the
   smallest cap that reaches `--top` (or, if none does, the one that takes the whole pool).
   With the pool still short and the thresholds at their floor, the cap is raised too.

Floors are the lowest score and the lowest topic mean in the run: past them every scored
prompt passes, and the relaxing stops. `max_similarity`, `include_outliers`, quotas and
`--exclude-near` are never relaxed: they are the user's own choices.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from miner.select.candidates import OUTLIER
from miner.select.params import SelectParams
from miner.select.sampling import Selection, select_strict, topic_means

TOPIC_MEAN_STEP = 0.5
SCORE_STEP = 1.0


class _Pool:
    """How many prompts pass a given pair of thresholds, without selecting (numpy only)."""

    def __init__(self, frame: pd.DataFrame, params: SelectParams,
                 contamination: pd.DataFrame | None) -> None:
        eligible = (frame["dup_of"].isna() & frame["near_dup_of"].isna()
                    & frame["score"].notna()).to_numpy(copy=True)
        if not params.include_outliers:
            eligible &= (frame["topic"] != OUTLIER).to_numpy()
        if contamination is not None and len(contamination):
            near = contamination.index[contamination["similarity"] >= params.exclude_threshold]
            eligible &= ~frame.index.isin(near)
        means = frame["topic"].map(topic_means(frame)).to_numpy(dtype=float)
        self.score = frame["score"].to_numpy(dtype=float)[eligible]
        self.topic = frame["topic"].to_numpy()[eligible]
        self.mean = np.nan_to_num(means[eligible], nan=-np.inf)
        self.lowest_score = float(self.score.min()) if len(self.score) else 0.0
        known = self.mean[np.isfinite(self.mean)]
        self.lowest_mean = float(known.min()) if len(known) else 0.0

    def size(self, min_score: float, min_topic_mean: float) -> int:
        """Prompts at or above both thresholds."""
        return int(((self.score >= min_score) & (self.mean >= min_topic_mean)).sum())

    def topics(self, min_score: float, min_topic_mean: float) -> int:
        """Topics with a prompt at or above both thresholds."""
        passing = (self.score >= min_score) & (self.mean >= min_topic_mean)
        return len(np.unique(self.topic[passing]))


def _lower(current: float, step: float, floor: float,
           admits: Callable[[float], bool]) -> float | None:
    """The first value `current - k * step` (down to `floor`) for which `admits(value)`."""
    value = current - step
    while value >= floor - step + 1e-9:
        value = round(value, 6)
        if admits(value):
            return value
        value -= step
    return None


def _threshold_step(params: SelectParams, pool: _Pool) -> tuple[str, float] | None:
    """The next threshold to lower and its new value: topic mean first, then score."""
    have = pool.size(params.min_score, params.min_topic_mean)
    mean = _lower(params.min_topic_mean, TOPIC_MEAN_STEP, pool.lowest_mean,
                  lambda v: pool.size(params.min_score, v) > have)
    if mean is not None:
        return "min_topic_mean", mean
    score = _lower(params.min_score, SCORE_STEP, pool.lowest_score,
                   lambda v: pool.size(v, params.min_topic_mean) > have)
    return None if score is None else ("min_score", score)


def _breadth_step(params: SelectParams, pool: _Pool) -> tuple[str, float] | None:
    """A lower `min_topic_mean` that brings in topics the pool lacks, or None."""
    have = pool.topics(params.min_score, params.min_topic_mean)
    mean = _lower(params.min_topic_mean, TOPIC_MEAN_STEP, pool.lowest_mean,
                  lambda v: pool.topics(params.min_score, v) > have)
    return None if mean is None else ("min_topic_mean", mean)


def _cap_step(frame: pd.DataFrame, selection: Selection, vectors: np.ndarray | None,
              contamination: pd.DataFrame | None) -> int | None:
    """The smallest `per_topic` that reaches `top`, else the one that takes the whole pool."""
    params = selection.params
    if params.per_topic is None or not selection.counts["topic_cap"]:
        return None
    largest = int(selection.pool.groupby("topic").size().max())

    def count(cap: int) -> int:
        return len(select_strict(frame, params.relaxed(per_topic=cap), vectors,
                                 contamination).selected)

    low, step = params.per_topic, 1
    while low + step < largest and count(low + step) < params.top:
        low, step = low + step, step * 2
    high = min(low + step, largest)
    if count(high) < params.top:
        return high
    low += 1
    while low < high:  # the smallest cap in [low, high] that reaches top (high does)
        middle = (low + high) // 2
        if count(middle) >= params.top:
            high = middle
        else:
            low = middle + 1
    return high


def relax_selection(frame: pd.DataFrame, selection: Selection, vectors: np.ndarray | None,
                    contamination: pd.DataFrame | None) -> Selection:
    """Relax `selection`'s settings along the ladder until `top` is reached or none is left.

    Returns the last selection, with `relaxed` (one entry per step) and `requested` set.
    """
    requested = selection.params
    pool = _Pool(frame, requested, contamination)
    steps: list[dict[str, Any]] = []
    while len(selection.selected) < requested.top:
        params = selection.params
        enough = len(selection.pool) >= requested.top
        change: tuple[str, Any] | None = None
        if enough and selection.counts["topic_cap"]:
            change = _breadth_step(params, pool)
        if enough and change is None:
            cap = _cap_step(frame, selection, vectors, contamination)
            change = None if cap is None else ("per_topic", cap)
        change = change or _threshold_step(params, pool)
        if change is None and not enough:
            cap = _cap_step(frame, selection, vectors, contamination)
            change = None if cap is None else ("per_topic", cap)
        if change is None:
            break
        setting, value = change
        before = getattr(params, setting)
        selection = select_strict(frame, params.relaxed(**{setting: value}), vectors,
                                  contamination)
        steps.append({"setting": setting, "from": before, "to": value,
                      "selected": len(selection.selected), "pool": len(selection.pool)})
    selection.relaxed = steps
    selection.requested = requested
    return selection


def _shown(setting: str, params: SelectParams) -> str:
    if setting == "min_score":
        return f"score >= {params.min_score:g}"
    if setting == "min_topic_mean":
        return f"topic mean >= {params.min_topic_mean:g}"
    return f"per_topic {params.per_topic}"


def relaxed_sentence(selection: Selection) -> str:
    """"relaxed to score >= 5 and topic mean >= 2 to reach 500" (empty when not relaxed)."""
    if not selection.relaxed:
        return ""
    settings = [s for s in ("min_score", "min_topic_mean", "per_topic")
                if any(step["setting"] == s for step in selection.relaxed)]
    parts = [_shown(s, selection.params) for s in settings]
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    got, top = len(selection.selected), selection.params.top
    if got >= top:
        return f"relaxed to {joined} to reach {top}"
    return f"relaxed to {joined}, and still {got} of {top}: nothing left to relax"
