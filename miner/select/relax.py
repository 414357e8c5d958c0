"""`select.relax: auto`: when the thresholds leave fewer than `--top`, relax them step by step,
keeping the score bar as long as anything else can still give.

Each step changes one setting and is recorded. The ladder, repeated until `--top` is reached
or nothing is left to relax:

1. lower `min_topic_mean` in steps of 0.5, to the first value that admits another topic with
   prompts at `min_score` or more (more topics before more prompts per topic), never below
   `min_topic_mean_floor` (2.5: a topic whose prompts average less is not a hard topic);
2. raise `per_topic` to the smallest cap that reaches `--top`, or, if none does, to the most
   one topic may give: `max_topic_share` of `--top` (10%: 50 of 500; a `per_topic` asked
   higher is kept);
3. only when neither gives more, lower `min_score` by 1, to the first value that admits more
   prompts, and say so loudly (a stderr line and `score_lowered` in selection.json); then
   1 and 2 again. With quotas the score is never lowered: a quota that cannot be filled stays
   short and selection.json says why.

Floors: `min_topic_mean_floor` (or the asked `min_topic_mean`, when lower) and the run's
lowest score. `max_similarity`, `include_outliers`, quotas and `--exclude-near` are never
relaxed: they are the user's own choices. A selection still short says which limit stopped it.
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
        if not params.allow_predicted and "source" in frame:
            eligible &= (frame["source"] != "predicted").to_numpy()
        if not params.include_outliers:
            eligible &= (frame["topic"] != OUTLIER).to_numpy()
        if contamination is not None and len(contamination):
            near = contamination.index[contamination["similarity"] >= params.exclude_threshold]
            eligible &= ~frame.index.isin(near)
        means = frame["topic"].map(topic_means(frame)).to_numpy(dtype=float)
        self.score = frame["score"].to_numpy(dtype=float)[eligible]
        self.mean = np.nan_to_num(means[eligible], nan=-np.inf)
        self.lowest_score = float(self.score.min()) if len(self.score) else 0.0
        known = self.mean[np.isfinite(self.mean)]
        self.lowest_mean = float(known.min()) if len(known) else 0.0

    def size(self, min_score: float, min_topic_mean: float) -> int:
        """Prompts at or above both thresholds."""
        return int(((self.score >= min_score) & (self.mean >= min_topic_mean)).sum())


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


def mean_floor(params: SelectParams) -> float:
    """The lowest `min_topic_mean` relaxing may reach (the floor, or the asked mean if lower)."""
    return min(params.min_topic_mean_floor, params.min_topic_mean)


def _mean_step(params: SelectParams, floor: float, pool: _Pool) -> float | None:
    """A lower `min_topic_mean` (not below `floor`) that admits another topic, or None."""
    have = pool.size(params.min_score, params.min_topic_mean)
    return _lower(params.min_topic_mean, TOPIC_MEAN_STEP, max(floor, pool.lowest_mean),
                  lambda v: v >= floor - 1e-9 and pool.size(params.min_score, v) > have)


def _score_step(params: SelectParams, pool: _Pool) -> float | None:
    """The first lower `min_score` that admits more prompts, or None."""
    have = pool.size(params.min_score, params.min_topic_mean)
    return _lower(params.min_score, SCORE_STEP, pool.lowest_score,
                  lambda v: pool.size(v, params.min_topic_mean) > have)


def _cap_step(frame: pd.DataFrame, selection: Selection, limit: int, vectors: np.ndarray | None,
              contamination: pd.DataFrame | None) -> int | None:
    """The smallest `per_topic` up to `limit` that reaches `top`, else the one that gives the
    most (`limit`, or the largest topic's pool size); None when a higher cap adds nothing."""
    params = selection.params
    if params.per_topic is None or not selection.counts["topic_cap"]:
        return None
    largest = min(int(selection.pool.groupby("topic").size().max()), limit)
    if largest <= params.per_topic:
        return None

    def count(cap: int) -> int:
        return len(select_strict(frame, params.relaxed(per_topic=cap), vectors,
                                 contamination).selected)

    low, step = params.per_topic, 1
    while low + step < largest and count(low + step) < params.top:
        low, step = low + step, step * 2
    high = min(low + step, largest)
    got = count(high)
    if got < params.top:
        return high if got > len(selection.selected) else None
    low += 1
    while low < high:  # the smallest cap in [low, high] that reaches top (high does)
        middle = (low + high) // 2
        if count(middle) >= params.top:
            high = middle
        else:
            low = middle + 1
    return high


def _next_step(frame: pd.DataFrame, selection: Selection, pool: _Pool, floor: float,
               limit: int, vectors: np.ndarray | None,
               contamination: pd.DataFrame | None) -> tuple[str, Any] | None:
    """The next rung of the ladder: topic mean, then per-topic cap, then (no quotas) score."""
    params = selection.params
    mean = _mean_step(params, floor, pool)
    if mean is not None:
        return "min_topic_mean", mean
    cap = _cap_step(frame, selection, limit, vectors, contamination)
    if cap is not None:
        return "per_topic", cap
    if params.quotas:
        return None
    score = _score_step(params, pool)
    return None if score is None else ("min_score", score)


def relax_selection(frame: pd.DataFrame, selection: Selection, vectors: np.ndarray | None,
                    contamination: pd.DataFrame | None) -> Selection:
    """Relax `selection`'s settings along the ladder until `top` is reached or none is left.

    Returns the last selection, with `relaxed` (one entry per step) and `requested` set.
    """
    requested = selection.params
    pool = _Pool(frame, requested, contamination)
    floor, limit = mean_floor(requested), requested.topic_limit
    steps: list[dict[str, Any]] = []
    while len(selection.selected) < requested.top:
        change = _next_step(frame, selection, pool, floor, limit, vectors, contamination)
        if change is None:
            break
        setting, value = change
        before = getattr(selection.params, setting)
        prefer = requested.min_score if setting == "min_score" else selection.params.prefer_score
        selection = select_strict(frame, selection.params.relaxed(**{setting: value},
                                                                  prefer_score=prefer),
                                  vectors, contamination)
        steps.append({"setting": setting, "from": before, "to": value,
                      "selected": len(selection.selected), "pool": len(selection.pool)})
    selection.relaxed = steps
    selection.requested = requested
    return selection


def score_lowered(selection: Selection) -> dict[str, Any] | None:
    """`{from, to, below}` when relaxing lowered `min_score` (`below`: selected questions
    scoring under the score asked for), else None."""
    asked = selection.requested
    if asked is None or selection.params.min_score >= asked.min_score:
        return None
    scores = selection.table.loc[selection.selected, "score"]
    return {"from": asked.min_score, "to": selection.params.min_score,
            "below": int((scores < asked.min_score).sum())}


def score_warning(selection: Selection) -> str:
    """The loud line for a lowered score ("" when the score bar held)."""
    lowered = score_lowered(selection)
    if lowered is None:
        return ""
    return (f"WARNING: min_score lowered {lowered['from']:g} -> {lowered['to']:g}: "
            f"{lowered['below']} of {len(selection.selected)} questions score below the "
            f"{lowered['from']:g} asked for (topic mean and per_topic could give no more; "
            "--strict keeps the score)")


def stop_reason(selection: Selection) -> str:
    """Why relaxing stopped short of `top`: the limits it reached, in a sentence."""
    params, asked = selection.params, selection.requested or selection.params
    counts = selection.counts
    parts = []
    if counts["low_topic_mean"]:
        parts.append(f"topics with mean under {params.min_topic_mean:g} stay out "
                     f"(select.min_topic_mean_floor {asked.min_topic_mean_floor:g})")
    if counts["topic_cap"]:
        parts.append(f"no topic gives more than {params.per_topic} (select.max_topic_share "
                     f"{asked.max_topic_share:g} of --top {asked.top})")
    if counts["too_similar"]:
        parts.append(f"{counts['too_similar']} too similar to a selected prompt")
    if params.quotas and counts["low_score"]:
        parts.append(f"quotas never lower min_score {params.min_score:g}")
    return "; ".join(parts) or "every prompt that passes the filters is in"


def _shown(setting: str, selection: Selection) -> str:
    params = selection.params
    if setting == "min_score":
        lowered = score_lowered(selection) or {"from": params.min_score, "below": 0}
        return (f"score >= {params.min_score:g} (LOWERED from {lowered['from']:g}: "
                f"{lowered['below']} questions under it)")
    if setting == "min_topic_mean":
        return f"topic mean >= {params.min_topic_mean:g}"
    return f"per_topic {params.per_topic}"


def relaxed_sentence(selection: Selection) -> str:
    """"relaxed to topic mean >= 2.5 and per_topic 7 to reach 500" (empty when not relaxed);
    a lowered score comes last, in capitals, with the number of questions under the asked one."""
    if not selection.relaxed:
        return ""
    settings = [s for s in ("min_topic_mean", "per_topic", "min_score")
                if any(step["setting"] == s for step in selection.relaxed)]
    parts = [_shown(s, selection) for s in settings]
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    got, top = len(selection.selected), selection.params.top
    if got >= top:
        return f"relaxed to {joined} to reach {top}"
    return f"relaxed to {joined}, and still {got} of {top}: {stop_reason(selection)}"
