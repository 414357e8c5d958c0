"""`miner estimate`: what scoring would send and cost, before any call is made.

Tokens are estimated without a tokenizer (characters / 4, `miner.llm.estimate_tokens`) over
the exact messages that would be sent; output tokens are the rubric's `expected_tokens` per
prompt (and `max_tokens` per prompt as the worst case). With `score.then` the strong judge's
pass is priced too: over the prompts the first judge's cached answers pass, plus every prompt
it has not answered yet (an upper bound: the first pass decides). With `score.strategy:
cascade` the cascade's budget is priced: its first sample exactly, and the most it may judge
(`score.max_calls`, else every prompt) at the average cost per prompt.
"""

from __future__ import annotations

from typing import Any

from miner.artifacts import JUDGE_CACHE, TOPICS
from miner.config import Config
from miner.judge.base import Item, Judge, Verdict
from miner.judge.parse import OK, score_of
from miner.judge.registry import resolve_judge
from miner.judge.rubric import Rubric, load_rubric
from miner.judge.score import cost_usd, load_items, price_of
from miner.llm import LLMCache
from miner.run import Run


def _cached(run: Run, judge: Judge, rubric: Rubric, items: list[Item],
            max_chars: int) -> dict[str, Verdict]:
    if not run.has(JUDGE_CACHE):
        return {}
    with LLMCache(run.file(JUDGE_CACHE)) as cache:
        return judge.cached_verdicts(rubric, items, cache, max_chars)[0]


def _priced(config: Config, judge: Judge, rubric: Rubric, items: list[Item],
            cached: dict[str, Verdict], max_chars: int) -> dict[str, Any]:
    """Tokens and cost of judging the `items` not in `cached` with `judge`."""
    todo = [item for item in items if item.hash not in cached]
    tokens = judge.estimate(rubric, todo, max_chars)
    return {
        "judge": judge.name,
        "model": judge.model,
        "offline": judge.offline,
        "cached": len(cached),
        "to_score": len(todo),
        **tokens,
        "price": None if judge.offline else price_of(config, judge.model),
        "cost_usd": cost_usd(config, judge.model, tokens["input_tokens"],
                             tokens["output_tokens"]),
        "cost_usd_max": cost_usd(config, judge.model, tokens["input_tokens"],
                                 tokens["output_tokens_max"]),
    }


def _then_pass(run: Run, config: Config, first: dict[str, Verdict], rubric: Rubric,
               items: list[Item], max_chars: int) -> dict[str, Any]:
    """The strong judge's pass: what the first judge's cached answers pass, plus every
    prompt the first judge has not answered (at most)."""
    score = config["score"]
    strong = resolve_judge(config, score["then"])
    threshold = float(score["min_score"])
    survivors = [i for i in items if i.hash not in first or (
        first[i.hash].status == OK and score_of(first[i.hash].value, rubric) >= threshold)]
    priced = _priced(config, strong, rubric, survivors,
                     _cached(run, strong, rubric, survivors, max_chars), max_chars)
    priced["min_score"] = threshold
    priced["upper_bound"] = len(first) < len(items)
    return priced


def _cascade_budget(run: Run, config: Config, judge: Judge, rubric: Rubric,
                    items: list[Item], frame: Any, max_chars: int) -> dict[str, Any]:
    """The cascade's first sample (priced exactly) and its most (max_calls or all)."""
    from miner.judge.cascade import seed_sample, settings_from_config
    from miner.judge.cascade_run import cascade_items

    settings = settings_from_config(config)
    if not run.has(TOPICS):
        return {"sample": None, "note": "topics.parquet is missing: run `miner cluster` to "
                                        "price the cascade's sample"}
    data = cascade_items(run, frame, items, rubric)
    sample = [items[p] for p in seed_sample(data, settings.sample_per_topic, settings.seed)]
    most = len(items) if settings.max_calls is None else min(settings.max_calls, len(items))
    whole = _priced(config, judge, rubric, items, {}, max_chars)
    each = None if whole["cost_usd"] is None else whole["cost_usd"] / max(len(items), 1)
    sample_cost = _priced(config, judge, rubric, sample, {}, max_chars)["cost_usd"]
    return {
        "sample": len(sample),
        "sample_cost_usd": sample_cost,
        "max_calls": most,
        "max_calls_cost_usd": None if each is None else round(each * most, 6),
        "max_cost": settings.max_cost,
        "full_calls": len(items),
        "full_cost_usd": whole["cost_usd"],
    }


def estimate(run: Run, config: Config, judge: str | None = None) -> dict[str, Any]:
    """Prompts left to score after cache hits, their tokens and cost, for one judge; with
    no judge named, also the `--then` pass and the cascade's budget when configured."""
    score = config["score"]
    max_chars = score["max_prompt_chars"]
    rubric = load_rubric(score["rubric"])
    resolved = resolve_judge(config, judge or score.get("judge"))
    frame, items = load_items(run, max_chars)
    cached = _cached(run, resolved, rubric, items, max_chars)
    result = {"rubric": rubric.label, "distinct_prompts": len(items),
              **_priced(config, resolved, rubric, items, cached, max_chars),
              "token_estimate": "characters / 4"}
    if judge is None and score.get("then") is not None:
        result["then"] = _then_pass(run, config, cached, rubric, items, max_chars)
    if judge is None and score.get("strategy") == "cascade":
        result["cascade"] = _cascade_budget(run, config, resolved, rubric, items, frame,
                                            max_chars)
    return result
