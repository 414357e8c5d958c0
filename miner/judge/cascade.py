"""`score.strategy: cascade`: judge a stratified sample, then what a predictor ranks likeliest.

1. `seed_sample`: a seeded sample of `score.cascade.sample_per_topic` distinct prompts from
   every topic (outliers are one more stratum), so each topic's mean can be estimated.
2. The judge scores them (`judge_items`, answer cache first).
3. `fit_and_predict`: the difficulty predictor (`miner.difficulty`) is fitted on every judged
   prompt, once per score level from select.min_score to the rubric's highest, and predicts
   every distinct prompt: P(score >= level) for each level, and a score.
4. `topic_estimates`: each topic's estimated mean (the judge's score where judged, the
   predicted one elsewhere), its judge-confirmed prompts (judged at its bar or more) and
   whether the selection needs it (estimated mean >= select.min_topic_mean). `topic_cap`:
   what the selection takes per needed topic (per_topic, or what `relax: auto` would raise
   it to); `topic_bars`: the score each topic's `cap` best are expected to reach.
5. `next_round`: every needed topic short of `cap + margin` confirmed offers its unjudged
   prompts likeliest to reach its bar (P >= `min_probability`, or its best-ranked ones while
   it has had fewer than that many tries beyond the sample), as many as it is short; the
   likeliest of all, at most `round_calls` and what the budget (`score.max_calls`,
   `score.max_cost`) leaves, are judged; then back to 3, until no topic offers any. When the
   confirmed prompts still cannot fill `top` (topics ran dry), every cap is raised by one.

Every decision reads verdicts, never whether they came from the cache, so a rerun after a
kill replays the same rounds from the cache and sends only what was never answered; the
same seed and answers give the same rounds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from miner.judge.base import Item, Verdict
from miner.judge.parse import OK, score_of
from miner.judge.rubric import Rubric

OUTLIER = -1
# judge(items) -> verdicts by hash; cost(items) -> USD the judge would charge (0 offline)
JudgeFn = Callable[[list[Item]], dict[str, Verdict]]
CostFn = Callable[[list[Item]], float]


@dataclass(frozen=True)
class CascadeSettings:
    """The cascade's knobs, from `score.cascade`, `score.max_*` and the `select:` targets
    (their defaults live in configs/default.yaml)."""

    seed: int
    sample_per_topic: int
    round_calls: int
    margin: int
    min_probability: float
    max_calls: int | None
    max_cost: float | None
    min_score: float
    min_topic_mean: float
    per_topic: int | None
    top: int
    include_outliers: bool


HUNT = 3   # tries beyond the sample, times a topic's target, before its bar drops


def settings_from_config(config: Mapping[str, Any]) -> CascadeSettings:
    """The cascade settings of a loaded config."""
    score, select = config["score"], config["select"]
    cascade = score.get("cascade") or {}
    return CascadeSettings(
        seed=int(select["seed"]),
        sample_per_topic=int(cascade["sample_per_topic"]),
        round_calls=int(cascade["round_calls"]),
        margin=int(cascade["margin"]),
        min_probability=float(cascade["min_probability"]),
        max_calls=score.get("max_calls"),
        max_cost=score.get("max_cost"),
        min_score=float(select["min_score"]),
        min_topic_mean=float(select["min_topic_mean"]),
        per_topic=select["per_topic"] or None,
        top=int(select["top"]),
        include_outliers=bool(select["include_outliers"]),
    )


@dataclass
class CascadeItems:
    """The distinct items with what the predictor reads: topic, vector and text features."""

    items: list[Item]
    topics: np.ndarray       # int, one per item
    vectors: np.ndarray      # float32 (items, dim)
    features: np.ndarray     # float32 (items, text features)


@dataclass
class CascadeState:
    """What the cascade knows: verdicts so far, the latest prediction, the rounds' record."""

    verdicts: dict[str, Verdict] = field(default_factory=dict)
    predicted: pd.DataFrame | None = None   # p_pass, expected_score per item (items order)
    metrics: dict[str, Any] = field(default_factory=dict)
    rounds: list[dict[str, Any]] = field(default_factory=list)
    spent_usd: float = 0.0
    stopped: str = ""
    bars: dict[int, float] = field(default_factory=dict)   # per topic, from `topic_bars`


def _draw_keys(hashes: list[str], seed: int) -> np.ndarray:
    """A seeded pseudo-random key per hash, independent of order (the sample's draw)."""
    return np.fromiter(
        (int.from_bytes(hashlib.blake2b(f"{seed}\0{h}".encode(), digest_size=8).digest(), "big")
         for h in hashes), dtype=np.uint64, count=len(hashes))


def seed_sample(data: CascadeItems, per_topic: int, seed: int) -> list[int]:
    """Positions of a seeded sample of `per_topic` items from every topic (all of a smaller
    one), topic by topic."""
    keys = _draw_keys([i.hash for i in data.items], seed)
    order = np.lexsort((keys, data.topics))
    chosen: list[int] = []
    taken: dict[int, int] = {}
    for position in order:
        topic = int(data.topics[position])
        if taken.get(topic, 0) < per_topic:
            taken[topic] = taken.get(topic, 0) + 1
            chosen.append(int(position))
    return chosen


def judged_scores(data: CascadeItems, verdicts: Mapping[str, Verdict],
                  rubric: Rubric) -> np.ndarray:
    """The judge's score per item (NaN where not judged or the judge failed)."""
    out = np.full(len(data.items), np.nan)
    for position, item in enumerate(data.items):
        verdict = verdicts.get(item.hash)
        if verdict is not None and verdict.status == OK:
            out[position] = score_of(verdict.value, rubric)
    return out


def label_frame(data: CascadeItems, verdicts: Mapping[str, Verdict],
                rubric: Rubric) -> tuple[np.ndarray, pd.DataFrame]:
    """Positions of the items the judge scored, and their labels (criteria and score)."""
    scores = judged_scores(data, verdicts, rubric)
    at = np.flatnonzero(~np.isnan(scores))
    labels = pd.DataFrame({"id": [data.items[p].hash for p in at]})
    for number, name in enumerate(rubric.criteria, start=1):
        labels[name] = [number in verdicts[data.items[p].hash].value for p in at]
    labels["score"] = scores[at]
    return at, labels


def fit_and_predict(data: CascadeItems, verdicts: Mapping[str, Verdict], rubric: Rubric,
                    settings: CascadeSettings) -> tuple[pd.DataFrame, dict[str, Any]] | None:
    """The predictor fitted on the judged items, predicting every item (None: too few
    labels to fit, fewer than the predictor's minimum)."""
    from miner.difficulty import FitSettings, fit_predictor
    from miner.difficulty.predictor import MIN_LABELS

    at, labels = label_frame(data, verdicts, rubric)
    if len(at) < MIN_LABELS:
        return None
    predicted, metrics = pd.DataFrame(index=range(len(data.items))), {}
    for level in levels(settings, rubric):
        predictor = fit_predictor(data.vectors[at], data.features[at], labels, settings.seed,
                                  criteria=rubric.criteria,
                                  settings=FitSettings(min_score=level))
        out = predictor.predict(data.vectors, data.features)
        predicted[level_column(level)] = out["p_pass"].to_numpy()
        if level == settings.min_score:
            predicted["p_pass"] = out["p_pass"].to_numpy()
            predicted["expected_score"] = out["expected_score"].to_numpy()
            metrics = predictor.metrics
    return predicted, metrics


def levels(settings: CascadeSettings, rubric: Rubric) -> list[float]:
    """The scores from min_score up to the rubric's highest, one apart."""
    return [float(v) for v in np.arange(settings.min_score, rubric.max_score + 1e-9, 1.0)]


def level_column(level: float) -> str:
    """The predicted column holding P(score >= level)."""
    return f"p_ge_{level:g}"


def topic_estimates(data: CascadeItems, scores: np.ndarray, predicted: pd.DataFrame,
                    settings: CascadeSettings,
                    bars: Mapping[int, float] | None = None) -> pd.DataFrame:
    """Per topic: estimated mean, judge-confirmed count (judged at its bar, default
    min_score, or more), and whether it is needed."""
    blended = np.where(np.isnan(scores), predicted["expected_score"].to_numpy(), scores)
    bar = pd.Series(data.topics).map(bars or {}).fillna(settings.min_score).to_numpy()
    frame = pd.DataFrame({"topic": data.topics, "score": blended,
                          "confirmed": scores >= bar})
    topics = frame.groupby("topic").agg(mean=("score", "mean"), confirmed=("confirmed", "sum"))
    topics["needed"] = topics["mean"] >= settings.min_topic_mean
    if not settings.include_outliers:
        topics.loc[topics.index == OUTLIER, "needed"] = False
    return topics


def topic_cap(topics: pd.DataFrame, settings: CascadeSettings, extra: int = 0) -> int:
    """Prompts per needed topic the selection will take: `per_topic`, or as many as `top`
    needs from this many topics (what `select.relax: auto` raises per_topic to), plus
    `extra` (raised while topics that ran dry leave the others to fill `top`)."""
    needed = int(topics["needed"].sum())
    per = settings.per_topic or settings.top
    return max(per, -(-settings.top // max(needed, 1))) + extra


def capacity(topics: pd.DataFrame, cap: int) -> int:
    """Judge-confirmed prompts the selection could take at `cap` per needed topic."""
    need = topics[topics["needed"]]
    return int(np.minimum(need["confirmed"], cap).sum())


def topic_bars(data: CascadeItems, scores: np.ndarray, predicted: pd.DataFrame,
               scale: list[float], cap: int) -> dict[int, float]:
    """Per topic, the highest score that `cap` of its prompts are expected to reach (judged
    ones as judged, the rest by predicted probability), else the lowest of `scale`. Full
    scoring's selection takes each topic's best first; confirming prompts at this score
    keeps the cascade's benchmark as hard as full's."""
    bars = pd.Series(scale[0], index=np.unique(data.topics))
    for level in scale[1:]:
        reached = np.where(np.isnan(scores), predicted[level_column(level)].to_numpy(),
                           scores >= level)
        expected = pd.Series(reached).groupby(data.topics).sum()
        bars[expected.reindex(bars.index).to_numpy() >= cap] = level
    return {int(t): float(b) for t, b in bars.items()}


def tries_beyond_sample(data: CascadeItems, verdicts: Mapping[str, Verdict],
                        sampled: set[str]) -> pd.Series:
    """Items judged in the rounds, per topic."""
    return pd.Series([data.topics[p] for p, i in enumerate(data.items)
                      if i.hash in verdicts and i.hash not in sampled],
                     dtype=np.int64).value_counts()


def lowered_bars(bars: Mapping[int, float], tries: pd.Series, limit: int,
                 min_score: float) -> dict[int, float]:
    """`bars`, at min_score for topics that had `limit` tries beyond the sample."""
    return {t: (min_score if tries.get(t, 0) >= limit else b) for t, b in bars.items()}


def next_round(data: CascadeItems, scores: np.ndarray, predicted: pd.DataFrame,
               verdicts: Mapping[str, Verdict], sampled: set[str], settings: CascadeSettings,
               budget: int, extra: int = 0,
               bars: Mapping[int, float] | None = None) -> list[int]:
    """Positions to judge next: each needed topic's likeliest unjudged items, as many as it
    lacks (`topic_cap` + margin), likeliest first, at most `budget`. An item qualifies with
    P(pass) >= min_probability; until a topic has had that many tries beyond the sample, its
    best-ranked items qualify whatever their probability (a small sample can miss a topic's
    passing prompts, and the predictor then ranks the whole topic low)."""
    topics = topic_estimates(data, scores, predicted, settings, bars)
    target = topic_cap(topics, settings, extra) + settings.margin
    short = (target - topics["confirmed"]).where(topics["needed"], 0).clip(lower=0)
    hashes = [i.hash for i in data.items]
    tried = tries_beyond_sample(data, verdicts, sampled)
    explore = (target - tried.reindex(short.index, fill_value=0)).clip(lower=0)
    bar_of = pd.Series(data.topics).map(bars or {}).fillna(settings.min_score).to_numpy()
    rank = np.zeros(len(hashes))
    for level in np.unique(bar_of):
        column = predicted[level_column(level)] if level_column(level) in predicted else \
            predicted["p_pass"]
        rank[bar_of == level] = column.to_numpy()[bar_of == level]
    unjudged = np.array([h not in verdicts for h in hashes], dtype=bool)
    open_ = np.flatnonzero(unjudged & np.isin(data.topics, short.index[short > 0].to_numpy()))
    keys = _draw_keys([hashes[p] for p in open_], settings.seed)
    taken: dict[int, int] = {}
    chosen: list[int] = []
    for position in open_[np.lexsort((keys, -rank[open_]))]:  # likeliest at its bar first
        topic = int(data.topics[position])
        count = taken.get(topic, 0)
        likely = rank[position] >= settings.min_probability
        if count < short[topic] and (likely or count < explore[topic]):
            taken[topic] = count + 1
            chosen.append(int(position))
    chosen.sort(key=lambda p: -rank[p])   # stable: ties keep the seeded order
    return chosen[:budget]


def _affordable(items: list[Item], cost: CostFn, left_usd: float | None) -> list[Item]:
    """The longest prefix of `items` whose estimated cost fits in `left_usd`."""
    if left_usd is None or not items:
        return items
    total = cost(items)
    if total <= left_usd:
        return items
    return items[: int(len(items) * max(left_usd, 0.0) / total)]


def run_cascade(data: CascadeItems, rubric: Rubric, settings: CascadeSettings,
                judge: JudgeFn, cost: CostFn) -> CascadeState:
    """Seed sample, then predicted rounds, until no topic needs more or a budget is spent."""
    state = CascadeState()
    if not data.items:
        state.stopped = "no prompts"
        return state
    extra = 0
    largest = int(np.unique(data.topics, return_counts=True)[1].max())
    calls_left = settings.max_calls if settings.max_calls is not None else len(data.items)

    def judge_round(positions: list[int], name: str) -> bool:
        nonlocal calls_left
        left_usd = None if settings.max_cost is None else settings.max_cost - state.spent_usd
        items = _affordable([data.items[p] for p in positions][:calls_left], cost, left_usd)
        if not items:
            return False
        state.verdicts.update(judge(items))
        state.spent_usd += cost(items)
        calls_left -= len(items)
        state.rounds.append({"round": name, "judged": len(items),
                             "confirmed": int(np.sum(judged_scores(
                                 data, {i.hash: state.verdicts[i.hash] for i in items},
                                 rubric) >= settings.min_score))})
        return len(items) == len(positions)

    sample = seed_sample(data, settings.sample_per_topic, settings.seed)
    sampled = {data.items[p].hash for p in sample}
    complete = judge_round(sample, "sample")
    while True:
        if not complete or calls_left <= 0:
            state.stopped = "budget"
            break
        fitted = fit_and_predict(data, state.verdicts, rubric, settings)
        if fitted is None:  # too few labels for a predictor: judge the rest
            rest = [p for p, i in enumerate(data.items) if i.hash not in state.verdicts]
            complete = judge_round(rest, "all") if rest else True
            state.stopped = "judged all (too few labels for a predictor)"
            if complete:
                break
            continue
        state.predicted, state.metrics = fitted
        scores = judged_scores(data, state.verdicts, rubric)
        positions: list[int] = []
        while not positions:
            topics = topic_estimates(data, scores, state.predicted, settings)
            cap = topic_cap(topics, settings, extra)
            state.bars = topic_bars(data, scores, state.predicted, levels(settings, rubric),
                                    cap)
            bars = lowered_bars(state.bars, tries_beyond_sample(data, state.verdicts, sampled),
                                HUNT * (cap + settings.margin), settings.min_score)
            positions = next_round(data, scores, state.predicted, state.verdicts, sampled,
                                   settings, min(settings.round_calls, calls_left), extra, bars)
            if positions or capacity(topics, cap) >= settings.top or cap >= largest:
                break
            extra += 1   # topics ran dry: the others must give more each
        if not positions:
            state.stopped = "filled" if capacity(topics, cap) >= settings.top else \
                "no likely prompt left"
            break
        complete = judge_round(positions, f"round {len(state.rounds)}")
    return state


def topics_filled(data: CascadeItems, state: CascadeState, rubric: Rubric,
                  settings: CascadeSettings) -> dict[str, Any]:
    """Needed topics, how many hold `per_topic` prompts judged at the confirming score, and
    how many such prompts the selection could take, at the end."""
    if state.predicted is None:
        return {"needed": 0, "filled": 0}
    scores = judged_scores(data, state.verdicts, rubric)
    topics = topic_estimates(data, scores, state.predicted, settings)
    need = topics[topics["needed"]]
    bars = pd.Series(state.bars).reindex(need.index).dropna()
    return {"needed": len(need), "above_min_score_bars": int((bars > settings.min_score).sum()),
            "filled": int((need["confirmed"] >= (settings.per_topic or 1)).sum()),
            "confirmed_for_selection": capacity(topics, topic_cap(topics, settings))}
