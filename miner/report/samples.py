"""Bounded, seeded samples of prompts for the map and the table, and text shortening.

A report stays a few megabytes whatever the run's size: the map draws at most
`report.map_points` prompts and the table holds at most `report.table_rows`, every
benchmark question first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from miner.report.inputs import ReportInputs


def shorten(text: str, limit: int) -> str:
    """`text` with whitespace runs collapsed, cut to `limit` characters with an ellipsis."""
    flat = " ".join(text[: limit * 4 + 16].split())
    return flat if len(flat) <= limit else flat[: max(limit - 1, 0)].rstrip() + "…"


# Prompts of each topic the map sample takes before filling up uniformly.
MAP_FLOOR = 20


def _placed(inputs: ReportInputs) -> np.ndarray:
    """Row positions of prompts with a topic and map coordinates."""
    rows = inputs.rows
    if not {"x", "y", "topic"} <= set(rows.columns):
        return np.empty(0, dtype=np.int64)
    return np.flatnonzero(
        (rows["x"].notna() & rows["y"].notna() & rows["topic"].notna()).to_numpy()
    )


def placed_count(inputs: ReportInputs) -> int:
    """How many prompts the map could draw."""
    return len(_placed(inputs))


def map_sample(inputs: ReportInputs, limit: int, seed: int) -> np.ndarray:
    """Row positions of the prompts drawn on the map: all of them, or a seeded sample.

    The sample first takes a few prompts of every topic (up to `MAP_FLOOR`, fewer when the
    topics are many), so small topics stay visible at 1M prompts, then fills up uniformly.
    """
    placed = _placed(inputs)
    if len(placed) <= limit:
        return placed
    order = np.random.default_rng(seed).permutation(len(placed))
    topics = inputs.rows["topic"].to_numpy(dtype=np.int64, na_value=0)[placed][order]
    _, group = np.unique(topics, return_inverse=True)
    by_group = np.argsort(group, kind="stable")
    starts = np.searchsorted(group[by_group], group[by_group])
    rank = np.empty(len(order), dtype=np.int64)
    rank[by_group] = np.arange(len(order)) - starts
    floor = min(MAP_FLOOR, limit // (group.max() + 1))
    first = np.flatnonzero(rank < floor)
    rest = np.flatnonzero(rank >= floor)[: limit - len(first)]
    return np.sort(placed[order[np.concatenate([first, rest])]])


def table_sample(inputs: ReportInputs, limit: int, seed: int) -> np.ndarray:
    """Row positions in the prompt table: benchmark questions first, then a seeded sample."""
    rows = inputs.rows
    selected = (
        rows["selected"].to_numpy(dtype=bool) if "selected" in rows else np.zeros(len(rows), bool)
    )
    first = np.flatnonzero(selected)[:limit]
    rest = np.flatnonzero(~selected)
    room = limit - len(first)
    if len(rest) > room:
        rest = np.sort(np.random.default_rng(seed + 1).choice(rest, size=room, replace=False))
    return np.concatenate([first, rest]).astype(np.int64)


def score_order(rows: pd.DataFrame, positions: np.ndarray) -> np.ndarray:
    """`positions` ordered by score, highest first (stable), when scores exist."""
    if "score" not in rows or not len(positions):
        return positions
    scores = rows["score"].to_numpy(dtype=float)[positions]
    return positions[np.argsort(-np.nan_to_num(scores, nan=-np.inf), kind="stable")]
