"""`score.strategy: cascade`: judge a stratified sample, then what a predictor ranks likeliest.

1. `seed_sample`: a seeded sample of `score.cascade.sample_per_topic` distinct prompts from
   every topic (outliers are one more stratum), so each topic's mean can be estimated.
2. The judge scores them (`judge_items`, answer cache first).
3. `fit_and_predict`: the difficulty predictor (`miner.difficulty`) is fitted on every judged
   prompt and predicts every distinct prompt: P(score >= select.min_score) and a score.
4. `topic_estimates`: each topic's estimated mean (the judge's score where judged, the
   predicted one elsewhere), its judge-confirmed prompts (score >= select.min_score) and
   whether the selection needs it (estimated mean >= select.min_topic_mean).
5. `next_round`: every needed topic short of `select.per_topic + margin` confirmed offers its
   unjudged prompts likeliest to pass (P >= `min_probability`, or its best-ranked ones while
   it has had fewer than that many tries beyond the sample), as many as it is short; the
   likeliest of all, at most `round_calls` and what the budget (`score.max_calls`,
   `score.max_cost`) leaves, are judged; then back to 3, until no topic offers any.

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
    """The cascade's knobs, from `score.cascade`, `score.max_*` and the `select:` targets."""

    seed: int = 0
    sample_per_topic: int = 8
    round_calls: int = 2000
    margin: int = 1
    min_probability: float = 0.2
    max_calls: int | None = None
    max_cost: float | None = None
    min_score: float = 6.0
    min_topic_mean: float = 3.0
    per_topic: int | None = 2
    top: int = 500
    include_outliers: bool = False


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
    predictor = fit_predictor(data.vectors[at], data.features[at], labels, settings.seed,
                              criteria=rubric.criteria,
                              settings=FitSettings(min_score=settings.min_score))
    predicted = predictor.predict(data.vectors, data.features)[["p_pass", "expected_score"]]
    return predicted, predictor.metrics


def topic_estimates(data: CascadeItems, scores: np.ndarray, predicted: pd.DataFrame,
                    settings: CascadeSettings) -> pd.DataFrame:
    """Per topic: estimated mean, judge-confirmed count, and whether it is needed."""
    blended = np.where(np.isnan(scores), predicted["expected_score"].to_numpy(), scores)
    frame = pd.DataFrame({"topic": data.topics, "score": blended,
                          "confirmed": scores >= settings.min_score})
    topics = frame.groupby("topic").agg(mean=("score", "mean"), confirmed=("confirmed", "sum"))
    topics["needed"] = topics["mean"] >= settings.min_topic_mean
    if not settings.include_outliers:
        topics.loc[topics.index == OUTLIER, "needed"] = False
    return topics


def _target(settings: CascadeSettings) -> int:
    """Judge-confirmed prompts each needed topic should hold."""
    return (settings.per_topic or settings.top) + settings.margin


def next_round(data: CascadeItems, scores: np.ndarray, predicted: pd.DataFrame,
               verdicts: Mapping[str, Verdict], sampled: set[str], settings: CascadeSettings,
               budget: int) -> list[int]:
    """Positions to judge next: each needed topic's likeliest unjudged items, as many as it
    lacks, likeliest first, at most `budget`. An item qualifies with P(pass) >=
    min_probability; until a topic has had `per_topic + margin` tries beyond the sample, its
    best-ranked items qualify whatever their probability (a small sample can miss a topic's
    passing prompts, and the predictor then ranks the whole topic low)."""
    topics = topic_estimates(data, scores, predicted, settings)
    short = (_target(settings) - topics["confirmed"]).where(topics["needed"], 0).clip(lower=0)
    hashes = [i.hash for i in data.items]
    tried = pd.Series([data.topics[p] for p, h in enumerate(hashes)
                       if h in verdicts and h not in sampled], dtype=np.int64).value_counts()
    explore = (_target(settings) - tried.reindex(short.index, fill_value=0)).clip(lower=0)
    p_pass = predicted["p_pass"].to_numpy()
    unjudged = np.array([h not in verdicts for h in hashes], dtype=bool)
    open_ = np.flatnonzero(unjudged & np.isin(data.topics, short.index[short > 0].to_numpy()))
    keys = _draw_keys([hashes[p] for p in open_], settings.seed)
    taken: dict[int, int] = {}
    chosen: list[int] = []
    for position in open_[np.lexsort((keys, -p_pass[open_]))]:  # likeliest first
        topic = int(data.topics[position])
        count = taken.get(topic, 0)
        likely = p_pass[position] >= settings.min_probability
        if count < short[topic] and (likely or count < explore[topic]):
            taken[topic] = count + 1
            chosen.append(int(position))
    chosen.sort(key=lambda p: -p_pass[p])   # stable: ties keep the seeded order
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
        positions = next_round(data, scores, state.predicted, state.verdicts, sampled,
                               settings, min(settings.round_calls, calls_left))
        if not positions:
            state.stopped = "filled"
            break
        complete = judge_round(positions, f"round {len(state.rounds)}")
    return state


def topics_filled(data: CascadeItems, state: CascadeState, rubric: Rubric,
                  settings: CascadeSettings) -> dict[str, int]:
    """Needed topics and how many hold `per_topic` judge-confirmed prompts, at the end."""
    if state.predicted is None:
        return {"needed": 0, "filled": 0}
    scores = judged_scores(data, state.verdicts, rubric)
    topics = topic_estimates(data, scores, state.predicted, settings)
    need = topics[topics["needed"]]
    return {"needed": len(need),
            "filled": int((need["confirmed"] >= (settings.per_topic or 1)).sum())}
