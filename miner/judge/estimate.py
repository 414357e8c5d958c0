"""`miner estimate`: what scoring would send and cost, before any call is made.

Tokens are estimated without a tokenizer (characters / 4, `miner.llm.estimate_tokens`) over
the exact messages that would be sent; output tokens are the rubric's `expected_tokens` per
prompt (and `max_tokens` per prompt as the worst case).
"""

from __future__ import annotations

from typing import Any

from miner.artifacts import JUDGE_CACHE
from miner.config import Config
from miner.judge.resolve import resolve_judge
from miner.judge.rubric import load_rubric
from miner.judge.score import cost_usd, load_items, price_of
from miner.judge.verdicts import build_requests
from miner.llm import LLMCache
from miner.run import Run


def estimate(run: Run, config: Config, judge: str | None = None) -> dict[str, Any]:
    """Prompts left to score after cache hits, their tokens and cost, for one judge."""
    score = config["score"]
    rubric = load_rubric(score["rubric"])
    resolved = resolve_judge(config, judge or score.get("judge"))
    _, items = load_items(run, score["max_prompt_chars"])
    requests = build_requests(resolved, rubric, items, score["max_prompt_chars"])
    cached: set[str] = set()
    if run.has(JUDGE_CACHE):
        with LLMCache(run.file(JUDGE_CACHE)) as cache:
            cached = set(cache.get_many(r.key for r in requests))
    todo = [r for r in requests if r.key not in cached]
    offline = resolved.spec is None
    input_tokens = 0 if offline else sum(r.estimated_tokens(0) for r in todo)
    output_tokens = 0 if offline else len(todo) * rubric.expected_tokens
    output_max = 0 if offline else len(todo) * resolved.spec.max_tokens  # type: ignore[union-attr]
    return {
        "judge": resolved.name,
        "model": resolved.model,
        "offline": offline,
        "rubric": rubric.label,
        "distinct_prompts": len(items),
        "cached": len(cached),
        "to_score": len(todo),
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "output_tokens_max": output_max,
        "price": None if offline else price_of(config, resolved.model),
        "cost_usd": cost_usd(config, resolved.model, input_tokens, output_tokens),
        "cost_usd_max": cost_usd(config, resolved.model, input_tokens, output_max),
        "token_estimate": "characters / 4",
    }
