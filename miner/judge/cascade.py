"""`score.strategy: cascade`: an active search that judges the prompts likeliest to pass.

1. **First round, ranked from the first call.** Every distinct prompt has a prior, the
   offline judge's score (`heuristic`, free); the first round is the
   `score.cascade.first_round` share of the prompts it ranks highest (ties by a seeded draw),
   plus a seeded exploration sample of `sample_per_topic` prompts per topic (outliers are one
   more stratum): just enough that every topic has a judged prompt, since topic means come
   from the ranker's estimated scores of all their prompts, not from the sample alone.
2. **Refit and rank.** The ranker (`miner.difficulty.ranker`: one ridge solve over the
   judged prompts' embeddings, text features and prior) is refitted after each round and
   ranks every unjudged prompt by its chance to reach `select.min_score`; the next round
   takes the best-ranked ones. Rounds grow by `growth` per round up to the `max_round`
   share of the prompts (and never below `MIN_ROUND`), so a refit (milliseconds) is cheap
   beside a round's calls.
3. **Stop** when a round's ranked prompts pass at under `stop_yield` times the best rate of
   any round (the ranking has spent its edge: further calls find what a random draw would,
   and the benchmark changes little), when the judge-confirmed prompts of the topics the
   selection needs fill `select.top` (at `per_topic`, or what `relax: auto` raises it to),
   when no prompt passed in the first round (nothing to learn from), or when `max_calls` /
   `max_cost` is spent.
4. The difficulty predictor (`miner.difficulty`) is fitted once on every judged prompt and
   predicts every unjudged one (its pass probability and score go to scores.parquet).

Every decision reads verdicts, never whether they came from the cache, so a rerun after a
kill replays the same rounds from the cache and sends only what was never answered; the
same seed and answers give the same rounds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from miner.difficulty.ranker import RankInputs, fit_rank
from miner.judge.base import Item, Verdict
from miner.judge.parse import OK, score_of
from miner.judge.rubric import Rubric

OUTLIER = -1
MIN_ROUND = 50   # prompts; smaller rounds would spend more on refits than on calls
# judge(items) -> verdicts by hash; cost(items) -> USD the judge would charge (0 offline)
JudgeFn = Callable[[list[Item]], dict[str, Verdict]]
CostFn = Callable[[list[Item]], float]


@dataclass(frozen=True)
class CascadeSettings:
    """The cascade's knobs, from `score.cascade`, `score.max_*` and the `select:` targets
    (their defaults live in configs/default.yaml)."""

    seed: int
    sample_per_topic: int
    first_round: float
    growth: float
    max_round: float
    stop_yield: float
    max_calls: int | None
    max_cost: float | None
    min_score: float
    min_topic_mean: float
    per_topic: int | None
    top: int
    include_outliers: bool


def settings_from_config(config: Mapping[str, Any]) -> CascadeSettings:
    """The cascade settings of a loaded config."""
    score, select = config["score"], config["select"]
    cascade = score.get("cascade") or {}
    return CascadeSettings(
        seed=int(select["seed"]),
        sample_per_topic=int(cascade["sample_per_topic"]),
        first_round=float(cascade["first_round"]),
        growth=float(cascade["growth"]),
        max_round=float(cascade["max_round"]),
        stop_yield=float(cascade["stop_yield"]),
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
    """The distinct items with what the ranker reads: topic, vector, text features, prior."""

    items: list[Item]
    topics: np.ndarray       # int, one per item
    vectors: np.ndarray      # float32 (items, dim)
    features: np.ndarray     # float32 (items, text features)
    prior: np.ndarray        # float (items,): the offline judge's score (0 when it has none)


@dataclass
class CascadeState:
    """What the cascade knows: verdicts so far, the final prediction, the rounds' record."""

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


def round_size(settings: CascadeSettings, items: int, index: int) -> int:
    """Ranked prompts in round `index` (0: the first): `first_round` of the items, times
    `growth` per round, at most `max_round` of them, never under `MIN_ROUND`."""
    first = max(MIN_ROUND, settings.first_round * items)
    most = max(MIN_ROUND, settings.max_round * items)
    return int(min(most, first * settings.growth ** index))


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
    """The difficulty predictor fitted on the judged items, predicting every item (None:
    fewer labels than the predictor's minimum)."""
    from miner.difficulty import FitSettings, fit_predictor
    from miner.difficulty.predictor import MIN_LABELS

    at, labels = label_frame(data, verdicts, rubric)
    if len(at) < MIN_LABELS:
        return None
    predictor = fit_predictor(data.vectors[at], data.features[at], labels, settings.seed,
                              criteria=rubric.criteria,
                              settings=FitSettings(min_score=settings.min_score))
    out = predictor.predict(data.vectors, data.features)
    return out[["p_pass", "expected_score"]].reset_index(drop=True), predictor.metrics


def ranking(data: CascadeItems, scores: np.ndarray,
            settings: CascadeSettings) -> tuple[np.ndarray, np.ndarray]:
    """Every item's rank (higher: judge sooner) and estimated score. With judged items of
    both outcomes, the ranker fitted on them; before that, the prior."""
    at = np.flatnonzero(~np.isnan(scores))
    passed = scores[at] >= settings.min_score
    if len(at) == 0 or passed.all() or not passed.any():
        return data.prior.astype(float), np.where(np.isnan(scores), data.prior, scores)
    rank, estimate = fit_rank(RankInputs(data.vectors, data.features, data.prior), at,
                              passed.astype(float), scores[at])
    return rank, np.where(np.isnan(scores), estimate, scores)


def next_round(data: CascadeItems, rank: np.ndarray, done: Collection[str], size: int,
               seed: int) -> list[int]:
    """The `size` items ranked highest among those whose hash is not in `done` (ties by a
    seeded draw)."""
    hashes = [i.hash for i in data.items]
    open_ = np.array([p for p, h in enumerate(hashes) if h not in done], dtype=np.int64)
    if not len(open_):
        return []
    keys = _draw_keys([hashes[p] for p in open_], seed)
    return [int(p) for p in open_[np.lexsort((keys, -rank[open_]))][:size]]


def topic_estimates(data: CascadeItems, scores: np.ndarray, estimated: np.ndarray,
                    settings: CascadeSettings) -> pd.DataFrame:
    """Per topic: estimated mean (judged scores where judged, estimates elsewhere),
    judge-confirmed count (judged at min_score or more), and whether the selection needs it."""
    frame = pd.DataFrame({"topic": data.topics, "score": estimated,
                          "confirmed": scores >= settings.min_score})
    topics = frame.groupby("topic").agg(mean=("score", "mean"), confirmed=("confirmed", "sum"))
    topics["needed"] = topics["mean"] >= settings.min_topic_mean
    if not settings.include_outliers:
        topics.loc[topics.index == OUTLIER, "needed"] = False
    return topics


def topic_cap(topics: pd.DataFrame, settings: CascadeSettings) -> int:
    """Prompts per needed topic the selection will take: `per_topic`, or as many as `top`
    needs from this many topics (what `select.relax: auto` raises per_topic to)."""
    needed = int(topics["needed"].sum())
    per = settings.per_topic or settings.top
    return max(per, -(-settings.top // max(needed, 1)))


def capacity(topics: pd.DataFrame, cap: int) -> int:
    """Judge-confirmed prompts the selection could take at `cap` per needed topic."""
    need = topics[topics["needed"]]
    return int(np.minimum(need["confirmed"], cap).sum())


def spent_edge(rounds: list[dict[str, Any]], stop_yield: float) -> bool:
    """Whether the last round's ranked prompts passed at under `stop_yield` times the best
    rate of any round so far."""
    rates = [r["ranked_passed"] / r["ranked"] for r in rounds if r["ranked"]]
    return bool(rates) and rates[-1] < stop_yield * max(rates)


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
    """Ranked rounds from the first call until the yield, the selection or a budget says
    stop; then the predictor's scores for what was never judged."""
    state = CascadeState()
    if not data.items:
        state.stopped = "no prompts"
        return state
    calls_left = settings.max_calls if settings.max_calls is not None else len(data.items)

    def judge_round(ranked: list[int], explore: list[int]) -> bool:
        """Judge a round (exploration first); False when a budget cut it short."""
        nonlocal calls_left
        positions = (explore + ranked)[:calls_left]
        left_usd = None if settings.max_cost is None else settings.max_cost - state.spent_usd
        items = _affordable([data.items[p] for p in positions], cost, left_usd)
        if not items:
            return False
        state.verdicts.update(judge(items))
        state.spent_usd += cost(items)
        calls_left -= len(items)
        sent = positions[:len(items)]
        passed = judged_scores(data, state.verdicts, rubric) >= settings.min_score
        ranked_sent = sent[len(explore):]
        state.rounds.append({
            "round": len(state.rounds) + 1, "judged": len(items),
            "explored": min(len(explore), len(items)), "ranked": len(ranked_sent),
            "ranked_passed": int(passed[ranked_sent].sum()),
            "confirmed": int(passed[sent].sum()),
        })
        return len(items) == len(explore) + len(ranked)

    explore = seed_sample(data, settings.sample_per_topic, settings.seed)
    ranked = next_round(data, data.prior.astype(float), {data.items[p].hash for p in explore},
                        round_size(settings, len(data.items), 0), settings.seed)
    complete = judge_round(ranked, explore)
    while True:
        scores = judged_scores(data, state.verdicts, rubric)
        if len(state.verdicts) >= len(data.items):
            state.stopped = "judged all"
            break
        if not complete or calls_left <= 0:
            state.stopped = "budget"
            break
        rank, estimated = ranking(data, scores, settings)
        topics = topic_estimates(data, scores, estimated, settings)
        if capacity(topics, topic_cap(topics, settings)) >= settings.top:
            state.stopped = "filled"
            break
        if not np.any(scores >= settings.min_score):
            state.stopped = "no prompt passed in the first round"
            break
        if spent_edge(state.rounds, settings.stop_yield):
            state.stopped = "yield"
            break
        ranked = next_round(data, rank, state.verdicts,
                            round_size(settings, len(data.items), len(state.rounds)),
                            settings.seed)
        if not ranked:
            state.stopped = "judged all"
            break
        complete = judge_round(ranked, [])
    fitted = fit_and_predict(data, state.verdicts, rubric, settings)
    if fitted is not None:
        state.predicted, state.metrics = fitted
    return state


def topics_filled(data: CascadeItems, state: CascadeState, rubric: Rubric,
                  settings: CascadeSettings) -> dict[str, Any]:
    """Needed topics, how many hold `per_topic` judge-confirmed prompts, and how many
    confirmed prompts the selection could take, at the end."""
    if state.predicted is None:
        return {"needed": 0, "filled": 0}
    scores = judged_scores(data, state.verdicts, rubric)
    estimated = np.where(np.isnan(scores), state.predicted["expected_score"].to_numpy(), scores)
    topics = topic_estimates(data, scores, estimated, settings)
    need = topics[topics["needed"]]
    return {"needed": len(need),
            "filled": int((need["confirmed"] >= (settings.per_topic or 1)).sum()),
            "confirmed_for_selection": capacity(topics, topic_cap(topics, settings))}
