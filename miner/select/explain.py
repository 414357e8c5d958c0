"""When `--top N` is not reached: say exactly why, and what relaxing each setting would give."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from miner.select.quotas import OTHER
from miner.select.sampling import Selection, select_strict


def reasons_short(selection: Selection) -> list[str]:
    """Lines naming each limit that kept the selection below `top`."""
    params = selection.params
    counts = selection.counts
    pool = selection.pool
    lines = [
        f"{len(pool)} prompts in {pool['topic'].nunique()} topics pass the filters "
        f"(score >= {params.min_score:g} in topics with mean >= {params.min_topic_mean:g}); "
        f"filtered out: " + ", ".join(
            f"{counts[r]} {r}" for r in ("duplicate", "near_duplicate", "unscored", "flagged",
                                         "predicted",
                                         "outlier", "low_score", "low_topic_mean",
                                         "contaminated")
            if counts[r]
        )
    ]
    if params.per_topic is not None:
        most = int(np.minimum(pool.groupby("topic").size(), params.per_topic).sum())
        lines.append(
            f"per_topic {params.per_topic}: at most {most}"
            f" from these topics ({counts['topic_cap']} left out by the cap)"
        )
    if counts["too_similar"]:
        lines.append(
            f"{counts['too_similar']} skipped as too similar to a selected prompt "
            f"(cosine >= max_similarity {params.max_similarity:g})"
        )
    for group, target in selection.targets.items():
        if group != OTHER and selection.taken[group] < target:
            topics = selection.table.loc[selection.table["group"] == group, "topic"].nunique()
            cap = f", at most {params.per_topic} per topic" if params.per_topic else ""
            lines.append(
                f"quota {group}={params.quotas[group]:g} wants {target}, only "
                f"{selection.taken[group]} found at score >= {params.min_score:g} in the "
                f"{topics} topics whose label or keywords match it{cap}: its other slots "
                "stay empty (a quota never lowers min_score)"
            )
    if params.quotas and selection.taken[OTHER] < selection.targets[OTHER]:
        lines.append(
            f"prompts outside the quotas fill {selection.taken[OTHER]} of their "
            f"{selection.targets[OTHER]} slots"
        )
    return lines


def _ladder(current: float, lowest: float, step: float) -> list[float]:
    values, value = [], current - step
    while value >= lowest - 1e-9:
        values.append(round(value, 6))
        value -= step
    return values


def _pairs(first: list[float], second: list[float]) -> list[list[float]]:
    """Step both ladders together; the shorter one stays at its last value."""
    if not first or not second:
        return []
    return [[first[min(i, len(first) - 1)], second[min(i, len(second) - 1)]]
            for i in range(max(len(first), len(second)))]


def _doubling(current: int, largest: int) -> list[int]:
    """current+1, current+2, current+4, ... up to the largest topic's pool size."""
    values, step = [], 1
    while current + step <= largest:
        values.append(current + step)
        step *= 2
    if largest > current and (not values or values[-1] < largest):
        values.append(largest)
    return values


def _smallest_cap(low: int, high: int, high_count: int, top: int,
                  count: Callable[[int], int]) -> tuple[int, int]:
    """The smallest per-topic cap in [low, high] that reaches `top` (high does)."""
    while low < high:
        middle = (low + high) // 2
        got = count(middle)
        if got >= top:
            high, high_count = middle, got
        else:
            low = middle + 1
    return high, high_count


def relaxations(
    frame: pd.DataFrame,
    selection: Selection,
    vectors: np.ndarray | None,
    contamination: pd.DataFrame | None,
) -> list[dict[str, Any]]:
    """For each setting, the mildest relaxation that reaches `top` (or the most it gives).

    Returns `{setting, value, selected, reaches_top}` entries, only those that add prompts.
    """
    params = selection.params
    have = len(selection.selected)

    def count(**changes: Any) -> int:
        return len(select_strict(frame, params.relaxed(**changes), vectors,
                                 contamination).selected)

    trials: list[tuple[str, list[Any], Callable[[Any], dict[str, Any]]]] = []
    if params.per_topic is not None:
        sizes = selection.pool.groupby("topic").size()
        largest = int(sizes.max()) if len(sizes) else 0
        # a cap at the largest topic's pool size is the same as no cap
        trials.append(("per_topic", _doubling(params.per_topic, largest),
                       lambda v: {"per_topic": v}))
    scores = frame["score"].dropna()
    if len(scores):
        steps = _ladder(params.min_score, float(scores.min()), 1.0)
        trials.append(("min_score", steps, lambda v: {"min_score": v}))
        means = _ladder(params.min_topic_mean, float(scores.min()), 0.5)
        trials.append(("min_topic_mean", means, lambda v: {"min_topic_mean": v}))
        # both thresholds a step lower at a time, for when neither alone is enough
        pairs = _pairs(steps, means)
        if pairs:
            trials.append(("min_score+min_topic_mean", pairs,
                           lambda v: {"min_score": v[0], "min_topic_mean": v[1]}))
    if params.max_similarity is not None and selection.counts["too_similar"]:
        trials.append(("max_similarity", [None], lambda v: {"max_similarity": v}))
    if not params.include_outliers and selection.counts["outlier"]:
        trials.append(("include_outliers", [True], lambda v: {"include_outliers": v}))
    if params.quotas:
        trials.append(("quotas", [{}], lambda v: {"quotas": v}))

    found: list[dict[str, Any]] = []
    for setting, values, change in trials:
        if setting == "min_score+min_topic_mean" and any(
                f["reaches_top"] for f in found if f["setting"] in ("min_score", "min_topic_mean")):
            continue
        best: tuple[Any, int] | None = None
        previous = None
        for value in values:
            got = count(**change(value))
            if got >= params.top and setting == "per_topic" and previous is not None:
                value, got = _smallest_cap(previous + 1, value, got, params.top,
                                           lambda v: count(per_topic=v))
            if best is None or got > best[1]:
                best = (value, got)
            if got >= params.top:
                break
            previous = value
        if best is not None and best[1] > have:
            found.append({"setting": setting, "value": best[0], "selected": best[1],
                          "reaches_top": best[1] >= params.top})
    return found


def describe_relaxation(entry: dict[str, Any]) -> str:
    """One line such as `per_topic 3 -> 50 (reaches --top)`."""
    value = entry["value"]
    if value is None:
        shown = "off (no limit)"
    elif isinstance(value, bool):
        shown = str(value).lower()
    elif isinstance(value, dict):
        shown = "none"
    elif isinstance(value, list):
        shown = " and ".join(f"{v:g}" for v in value)
    else:
        shown = f"{value:g}"
    done = " (reaches --top)" if entry["reaches_top"] else ""
    return f"{entry['setting']} {shown} -> {entry['selected']}{done}"
