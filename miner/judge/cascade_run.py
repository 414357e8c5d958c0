"""The cascade on a run folder: its items, topics and vectors in; verdicts, predictions and
the cascade's summary out (`miner.judge.cascade` holds the algorithm)."""

from __future__ import annotations

from collections import Counter
from dataclasses import fields
from typing import Any

import numpy as np
import pandas as pd

from miner.artifacts import TOPICS, open_embeddings, prompt_roots, read_frame
from miner.config import Config
from miner.errors import ConfigError, MissingArtifactError
from miner.judge.base import Item, Judge, PassStats, judge_items
from miner.judge.cascade import (
    CascadeItems,
    CascadeSettings,
    CascadeState,
    run_cascade,
    settings_from_config,
    topics_filled,
)
from miner.judge.parse import score_of
from miner.judge.rubric import Rubric
from miner.judge.usable import UsableGuard
from miner.llm import LLMCache


def offline_prior(items: list[Item], rubric: Rubric, cache: LLMCache | None,
                  max_chars: int) -> np.ndarray:
    """The offline `heuristic` judge's score of every item (its answers cached beside the
    judge's under their own model); zeros when it cannot grade this rubric or there is no
    cache to keep its answers in."""
    from miner.judge import heuristic
    from miner.judge.backends import HeuristicJudge

    try:
        heuristic.check_supported(rubric)
    except ConfigError:
        return np.zeros(len(items))
    if cache is None:
        return np.zeros(len(items))
    judge = HeuristicJudge.from_config(heuristic.NAME, {})
    verdicts, _ = judge_items(judge, rubric, items, cache, max_chars=max_chars)
    return np.array([score_of(verdicts[i.hash].value, rubric) for i in items], dtype=float)


def cascade_items(run: Any, frame: pd.DataFrame, items: list[Item], rubric: Rubric,
                  cache: LLMCache | None = None, max_chars: int = 0) -> CascadeItems:
    """Each distinct item's topic (topics.parquet), vector (embeddings.npy), features and
    offline prior (none without a cache: what `estimate` reads)."""
    from miner.difficulty import text_features

    if not run.has(TOPICS):
        raise MissingArtifactError(
            f"score.strategy cascade needs {run.file(TOPICS)}: run `miner cluster --run "
            f"{run.path}` first (`miner run` clusters before scoring)")
    roots = prompt_roots(frame["id"].tolist(), frame["dup_of"].tolist())
    first = frame.reset_index(drop=True).drop_duplicates("judge_hash").index.to_numpy()
    rows = roots[first]
    topics = read_frame(run, TOPICS, ["id", "topic"]).drop_duplicates("id", keep="last")
    topic_of = dict(zip(topics["id"].astype(str), topics["topic"].astype(int), strict=True))
    ids = frame["id"].astype(str).to_numpy()
    vectors = open_embeddings(run, len(frame))
    return CascadeItems(
        items=items,
        topics=np.array([topic_of.get(ids[r], -1) for r in rows], dtype=np.int64),
        vectors=np.asarray(vectors[rows], dtype=np.float32),
        features=text_features([i.text for i in items]),
        prior=offline_prior(items, rubric, cache, max_chars),
    )


def merge_stats(total: PassStats, part: PassStats) -> None:
    """Add one pass's counters to `total`."""
    for f in fields(PassStats):
        value = getattr(part, f.name)
        if isinstance(value, int):
            setattr(total, f.name, getattr(total, f.name) + value)
        elif isinstance(value, Counter):
            getattr(total, f.name).update(value)


def _cost_fn(config: Config, judge: Judge, rubric: Rubric, max_chars: int,
             settings: CascadeSettings) -> Any:
    from miner.judge.score import cost_usd

    priced = cost_usd(config, judge.model, 1, 1) is not None
    if settings.max_cost is not None and not judge.offline and not priced:
        raise ConfigError(f"score.max_cost needs a price for model '{judge.model}': add "
                          f"prices.{judge.model}: {{input: .., output: ..}} to your config")

    def cost(items: list[Item]) -> float:
        if judge.offline or not priced or not items:   # no price: nothing to estimate
            return 0.0
        tokens = judge.estimate(rubric, items, max_chars)
        return cost_usd(config, judge.model, tokens["input_tokens"],
                        tokens["output_tokens"]) or 0.0
    return cost


Guesses = dict[str, tuple[float, float]]


def score_by_cascade(run: Any, config: Config, judge: Judge, rubric: Rubric,
                     frame: pd.DataFrame, items: list[Item], cache: LLMCache,
                     ) -> tuple[CascadeState, PassStats, dict[str, Any], Guesses]:
    """Run the cascade: its state (verdicts), the judge's counters, a summary, and
    (pass probability, predicted score) by item hash."""
    settings = settings_from_config(config)
    max_chars = config["score"]["max_prompt_chars"]
    data = cascade_items(run, frame, items, rubric, cache, max_chars)
    total = PassStats(judge=judge.name, model=judge.model)

    guard = UsableGuard(judge, rubric, cache, max_chars)

    def judge_fn(chosen: list[Item]) -> dict[str, Any]:
        verdicts, stats = judge_items(judge, rubric, chosen, cache, max_chars=max_chars)
        merge_stats(total, stats)
        guard.add(chosen, verdicts)
        return verdicts

    cost = _cost_fn(config, judge, rubric, max_chars, settings)
    state = run_cascade(data, rubric, settings, judge_fn, cost)
    guard.add([], {}, final=True)
    summary = cascade_summary(data, state, rubric, settings, cost)
    return state, total, summary, predictions_by_hash(data, state)


def cascade_summary(data: CascadeItems, state: CascadeState, rubric: Rubric,
                    settings: CascadeSettings, cost: Any) -> dict[str, Any]:
    """Calls made against full scoring, cost saved, and passing prompts never judged."""
    judged = len(state.verdicts)
    unjudged = [p for p, i in enumerate(data.items) if i.hash not in state.verdicts]
    predicted_passing = None
    if state.predicted is not None:
        predicted_passing = round(float(state.predicted["p_pass"].to_numpy()[unjudged].sum()), 1)
    full_cost = cost(data.items)
    spent = cost([i for i in data.items if i.hash in state.verdicts])
    return {
        "strategy": "cascade",
        "calls": judged,
        "full_calls": len(data.items),
        "call_share": round(judged / max(len(data.items), 1), 4),
        "cost_usd_estimated": round(spent, 6),
        "full_cost_usd_estimated": round(full_cost, 6),
        "cost_usd_saved": round(full_cost - spent, 6),
        "predicted_passing_unjudged": predicted_passing,
        "topics": topics_filled(data, state, rubric, settings),
        "rounds": state.rounds,
        "stopped": state.stopped,
        "predictor": {k: state.metrics.get(k) for k in
                      ("labels", "auc_pass", "spearman_score", "precision_at_k")},
        "settings": {"sample_per_topic": settings.sample_per_topic,
                     "first_round": settings.first_round, "growth": settings.growth,
                     "max_round": settings.max_round, "stop_yield": settings.stop_yield,
                     "max_calls": settings.max_calls, "max_cost": settings.max_cost},
    }


def predictions_by_hash(data: CascadeItems, state: CascadeState) -> Guesses:
    """(pass probability, predicted score) per item hash, from the last fit (empty: none)."""
    if state.predicted is None:
        return {}
    p_pass = state.predicted["p_pass"].to_numpy(dtype=float)
    score = state.predicted["expected_score"].to_numpy(dtype=float)
    return {item.hash: (float(p_pass[n]), float(score[n])) for n, item in enumerate(data.items)}
