"""`miner estimate`: what scoring would send and cost, before any call is made.

Tokens are estimated without a tokenizer (characters / 4, `miner.llm.estimate_tokens`) over
the exact messages that would be sent; output tokens are the rubric's `expected_tokens` per
prompt (and `max_tokens` per prompt as the worst case).
"""

from __future__ import annotations

from typing import Any

from miner.artifacts import JUDGE_CACHE
from miner.config import Config
from miner.judge.registry import resolve_judge
from miner.judge.rubric import load_rubric
from miner.judge.score import cost_usd, load_items, price_of
from miner.llm import LLMCache
from miner.run import Run


def estimate(run: Run, config: Config, judge: str | None = None) -> dict[str, Any]:
    """Prompts left to score after cache hits, their tokens and cost, for one judge."""
    score = config["score"]
    max_chars = score["max_prompt_chars"]
    rubric = load_rubric(score["rubric"])
    resolved = resolve_judge(config, judge or score.get("judge"))
    _, items = load_items(run, max_chars)
    cached: dict[str, Any] = {}
    if run.has(JUDGE_CACHE):
        with LLMCache(run.file(JUDGE_CACHE)) as cache:
            cached, _ = resolved.cached_verdicts(rubric, items, cache, max_chars)
    todo = [item for item in items if item.hash not in cached]
    tokens = resolved.estimate(rubric, todo, max_chars)
    return {
        "judge": resolved.name,
        "model": resolved.model,
        "offline": resolved.offline,
        "rubric": rubric.label,
        "distinct_prompts": len(items),
        "cached": len(cached),
        "to_score": len(todo),
        **tokens,
        "price": None if resolved.offline else price_of(config, resolved.model),
        "cost_usd": cost_usd(config, resolved.model, tokens["input_tokens"],
                             tokens["output_tokens"]),
        "cost_usd_max": cost_usd(config, resolved.model, tokens["input_tokens"],
                                 tokens["output_tokens_max"]),
        "token_estimate": "characters / 4",
    }
