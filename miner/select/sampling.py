"""The BenchBuilder selection: thresholds, then stratified sampling across topics.

1. Filters, in this order, each giving the reason a prompt is dropped: exact duplicate
   (`dup_of`), near-duplicate (`near_dup_of`), no score, flagged by the judge (a request
   for harm or no task: the rubric's flag), a score the cascade predicted
   rather than the judge gave (unless `allow_predicted`), outlier topic (-1), score below
   `min_score`, topic mean below `min_topic_mean`, near an excluded benchmark question.
   A topic's mean is over its distinct scored prompts (duplicates do not inflate it),
   predicted scores included: a cascade judges only the prompts likeliest to pass, so its
   judged ones alone would overstate the mean.
2. Stratified sampling, no topic giving more than `per_topic`, each topic's candidates
   best first (score, then a seeded draw). `fill: rounds` (default): in round r every
   topic offers its r-th best candidate and topics take turns in order of that
   candidate's score, so every topic gets one prompt before any gets two. `fill: topics`
   (Arena-Hard v0.1's 250 topics x 2): topics in order of their mean score, each giving up
   to `per_topic` before the next gives any. A candidate whose cosine to an already
   selected prompt reaches `max_similarity` is skipped for the topic's next one. With
   quotas, each quota group stops taking prompts once it holds its share of `top`. When
   relaxing lowered `min_score` (`prefer_score`), a first pass takes only prompts at the
   score asked for and a second pass pads with the lower ones, so a lowered score never
   displaces a prompt that meets the asked one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from miner.select.candidates import OUTLIER
from miner.select.params import SelectParams
from miner.select.quotas import OTHER, quota_targets, topic_groups

# Every reason a candidate can get, in the order the funnel applies them.
FILTER_REASONS = (
    "duplicate", "near_duplicate", "unscored", "flagged", "predicted", "outlier", "low_score",
    "low_topic_mean", "contaminated",
)
SAMPLING_REASONS = ("selected", "too_similar", "topic_cap", "quota_full", "not_needed")
REASONS = FILTER_REASONS + SAMPLING_REASONS


@dataclass
class Selection:
    """The outcome: every candidate with its reason, and the selected rows in order."""

    table: pd.DataFrame
    selected: list[int]
    params: SelectParams
    targets: dict[str, int] = field(default_factory=dict)
    taken: dict[str, int] = field(default_factory=dict)
    # `relax: auto` steps taken ({setting, from, to, selected, pool}); `params` are then the
    # relaxed settings and `requested` the ones asked for
    relaxed: list[dict[str, Any]] = field(default_factory=list)
    requested: SelectParams | None = None

    @property
    def counts(self) -> dict[str, int]:
        """How many candidates got each reason (zero counts included)."""
        found = self.table["reason"].value_counts()
        return {reason: int(found.get(reason, 0)) for reason in REASONS}

    @property
    def pool(self) -> pd.DataFrame:
        """Candidates that passed every filter (sampled from)."""
        return self.table[self.table["reason"].isin(SAMPLING_REASONS)]


def tie_keys(ids: pd.Series, seed: int) -> np.ndarray:
    """A seeded pseudo-random key per id, independent of row order: the tie-break draw."""
    return np.fromiter(
        (int.from_bytes(hashlib.blake2b(f"{seed}\0{i}".encode(), digest_size=8).digest(), "big")
         for i in ids),
        dtype=np.uint64, count=len(ids),
    )


def topic_means(frame: pd.DataFrame) -> pd.Series:
    """Mean score per topic over distinct scored prompts."""
    distinct = frame["dup_of"].isna() & frame["near_dup_of"].isna() & frame["score"].notna()
    return frame[distinct].groupby("topic")["score"].mean()


def _apply_filters(
    frame: pd.DataFrame, params: SelectParams, contamination: pd.DataFrame | None
) -> tuple[pd.Series, pd.Series]:
    """Reason and detail per row for the filters (None where the row passes them)."""
    reason = pd.Series(None, index=frame.index, dtype=object)
    detail = pd.Series("", index=frame.index, dtype=object)

    def mark(mask: pd.Series, name: str, text: pd.Series | str) -> None:
        hit = mask & reason.isna()
        reason[hit] = name
        detail[hit] = text[hit] if isinstance(text, pd.Series) else text

    mark(frame["dup_of"].notna(), "duplicate", "exact duplicate of " + frame["dup_of"].astype(str))
    mark(frame["near_dup_of"].notna(), "near_duplicate",
         "near-duplicate of " + frame["near_dup_of"].astype(str))
    mark(frame["score"].isna(), "unscored", "the judge gave no score")
    if "flagged" in frame:
        mark(frame["flagged"].astype(bool), "flagged",
             "the judge flagged it (a request for harm, or no task)")
    if not params.allow_predicted and "source" in frame:
        mark(frame["source"] == "predicted", "predicted",
             "score predicted, not judge-confirmed (select.allow_predicted)")
    if not params.include_outliers:
        mark(frame["topic"] == OUTLIER, "outlier", "in no topic (outlier)")
    mark(frame["score"] < params.min_score, "low_score",
         "score " + frame["score"].map("{:g}".format) + f" < min_score {params.min_score:g}")
    mean = frame["topic_mean"]
    mark(mean.isna() | (mean < params.min_topic_mean), "low_topic_mean",
         "topic mean " + mean.map("{:.2f}".format) + f" < min_topic_mean {params.min_topic_mean:g}")
    if contamination is not None and len(contamination):
        near = contamination[contamination["similarity"] >= params.exclude_threshold]
        hit = pd.Series(False, index=frame.index)
        hit[near.index] = True
        text = pd.Series("", index=frame.index, dtype=object)
        text[near.index] = [
            f"cosine {s:.3f} to a question of {f}: {t[:120]!r}"
            for s, f, t in zip(
                near["similarity"], near["near_file"], near["near_text"], strict=True
            )
        ]
        mark(hit, "contaminated", text)
    return reason, detail


def select_benchmark(
    frame: pd.DataFrame,
    params: SelectParams,
    vectors: np.ndarray | None = None,
    contamination: pd.DataFrame | None = None,
) -> Selection:
    """Run the selection over the candidate table (see `load_candidates`).

    `vectors` (row-aligned with the `row` column) enable the diversity rule;
    `contamination` (from `nearest_excluded`, indexed like `frame`) the exclusion rule.
    With `params.relax == "auto"`, a selection short of `top` is redone with relaxed
    settings, one recorded step at a time (`miner.select.relax`).
    """
    selection = select_strict(frame, params, vectors, contamination)
    if params.relax == "auto" and len(selection.selected) < params.top:
        from miner.select.relax import relax_selection

        selection = relax_selection(frame, selection, vectors, contamination)
    return selection


def select_strict(frame: pd.DataFrame, params: SelectParams, vectors: np.ndarray | None,
                  contamination: pd.DataFrame | None) -> Selection:
    """The selection at exactly `params`' settings (`select_benchmark` without relaxing)."""
    table = frame.copy()
    table["topic_mean"] = table["topic"].map(topic_means(table))
    groups = topic_groups(table, params.quotas, params.categories) if params.quotas else {}
    table["group"] = table["topic"].map(groups).fillna(OTHER) if groups else OTHER
    reason, detail = _apply_filters(table, params, contamination)
    # The sampling loop works on positions and plain arrays: pandas lookups cost microseconds.
    reasons = np.array(reason, dtype=object)
    details = np.array(detail, dtype=object)
    rank = np.zeros(len(table), dtype=np.int64)
    similar_to = np.full(len(table), None, dtype=object)
    similarity = np.full(len(table), np.nan)
    ids = table["id"].to_numpy(dtype=object)
    rows = table["row"].to_numpy()
    score = table["score"].to_numpy(dtype=float)
    topics = table["topic"].to_numpy()

    pool = np.flatnonzero(pd.isna(reasons))
    tie = np.zeros(len(table), dtype=np.uint64)
    tie[pool] = tie_keys(pd.Series(ids[pool]), params.seed)
    pool = pool[np.lexsort((tie[pool], -score[pool]))]
    queues: dict[int, list[int]] = {}
    for position in pool:
        queues.setdefault(int(topics[position]), []).append(int(position))
    heads = dict.fromkeys(queues, 0)

    targets = quota_targets(params.top, params.quotas)
    taken = dict.fromkeys(targets, 0)
    per_topic_taken = dict.fromkeys(queues, 0)
    chosen: list[int] = []
    diversity = _Diversity(vectors, params.max_similarity) if vectors is not None else None

    def take_next(topic: int) -> None:
        """Select the topic's best remaining candidate not too close to one already taken."""
        queue = queues[topic]
        while heads[topic] < len(queue):
            position = queue[heads[topic]]
            heads[topic] += 1
            if diversity is not None:
                nearest, cosine = diversity.closest(int(rows[position]))
                if nearest is not None and cosine >= params.max_similarity:
                    other = ids[chosen[nearest]]
                    reasons[position] = "too_similar"
                    details[position] = (f"cosine {cosine:.3f} to selected {other} "
                                         f"(max_similarity {params.max_similarity:g})")
                    similar_to[position] = other
                    similarity[position] = cosine
                    continue
                diversity.add(int(rows[position]))
            per_topic_taken[topic] += 1
            reasons[position] = "selected"
            details[position] = (f"score {score[position]:g}, "
                                 f"#{per_topic_taken[topic]} of its topic")
            chosen.append(position)
            rank[position] = len(chosen)
            taken[groups.get(topic, OTHER)] += 1
            return

    def may_take(topic: int, floor: float) -> bool:
        """Whether `topic` may give its next candidate in a pass taking scores >= floor."""
        group = groups.get(topic, OTHER)
        return (len(chosen) < params.top and heads[topic] < len(queues[topic])
                and score[queues[topic][heads[topic]]] >= floor
                and taken[group] < targets[group]
                and (params.per_topic is None or per_topic_taken[topic] < params.per_topic))

    # A lowered score only pads: every prompt at the preferred score goes in first.
    passes = [-np.inf] if params.prefer_score is None else [params.prefer_score, -np.inf]
    mean_of = table.groupby("topic")["topic_mean"].first()
    topic_tie = dict(zip(queues, tie_keys(pd.Series([str(t) for t in queues]), params.seed),
                         strict=True))
    for floor in passes:
        if params.fill == "topics":
            # Arena-Hard v0.1's way: best topics first (mean score, then a seeded draw), each
            # giving up to per_topic before the next topic gives any.
            for topic in sorted(queues, key=lambda t: (-mean_of[t], topic_tie[t])):
                while may_take(topic, floor):
                    take_next(topic)
        else:
            # Rounds: every topic offers its best remaining candidate, best offer first.
            while any(may_take(t, floor) for t in queues):
                active = [t for t in queues if may_take(t, floor)]
                active.sort(key=lambda t: (-score[queues[t][heads[t]]],
                                           tie[queues[t][heads[t]]]))
                for topic in active:
                    if may_take(topic, floor):
                        take_next(topic)

    for topic, queue in queues.items():
        group = groups.get(topic, OTHER)
        for position in queue[heads[topic]:]:
            if params.per_topic is not None and per_topic_taken[topic] >= params.per_topic:
                reasons[position] = "topic_cap"
                details[position] = f"its topic already has {params.per_topic} (per_topic)"
            elif params.quotas and taken[group] >= targets[group]:
                reasons[position] = "quota_full"
                details[position] = f"quota {group or 'other'} is full ({targets[group]})"
            else:
                reasons[position] = "not_needed"
                details[position] = f"ranked below the top {params.top}"
    table["reason"] = reasons
    table["detail"] = details
    table["rank"] = pd.array(np.where(rank > 0, rank, None), dtype="Int64")
    table["similar_to"] = similar_to
    table["similarity"] = similarity
    selected = [table.index[p] for p in chosen]
    return Selection(table, selected, params, targets, taken)


class _Diversity:
    """Cosine of a candidate to the closest selected prompt, through a FAISS flat index."""

    def __init__(self, vectors: np.ndarray, threshold: float | None) -> None:
        import faiss

        self.vectors = vectors
        self.active = threshold is not None
        self.index = faiss.IndexFlatIP(vectors.shape[1])

    def _vector(self, row: int) -> np.ndarray:
        return np.ascontiguousarray(self.vectors[row:row + 1], dtype=np.float32)

    def closest(self, row: int) -> tuple[int | None, float]:
        """Position (in selection order) of the closest selected prompt, and its cosine."""
        if not self.active or self.index.ntotal == 0:
            return None, -1.0
        sims, ids = self.index.search(self._vector(row), 1)
        return int(ids[0, 0]), float(sims[0, 0])

    def add(self, row: int) -> None:
        """Record `row` as selected."""
        if self.active:
            self.index.add(self._vector(row))


def summary_counts(selection: Selection) -> dict[str, Any]:
    """Funnel counts for the manifest and the report."""
    pool = selection.pool
    chosen = selection.table.loc[selection.selected]
    return {
        "candidates": len(selection.table),
        **{k: v for k, v in selection.counts.items() if v},
        "pool": len(pool),
        "pool_topics": int(pool["topic"].nunique()),
        "selected_topics": int(chosen["topic"].nunique()),
        "top": selection.params.top,
    }
