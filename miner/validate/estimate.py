"""What `miner validate` would send and cost, calling nothing.

Answers: per model, the questions (benchmark and control) neither its answer file nor the
cache answers; input tokens are the prompts (characters / 4), output at most the model's
max_tokens (`validate.answer_max_tokens`) each. Judgments: two games per model other than the
baseline and question; a game whose two answers are known (file or cache) is looked up in the
cache, the rest are to judge, their answers counted at their known length or at the longest
max_tokens (an upper bound); output at most `validate.judge_max_tokens` each. Priced from
`prices:`.
"""

from __future__ import annotations

from typing import Any

from miner.artifacts import JUDGE_CACHE
from miner.config import Config
from miner.judge.score import cost_usd
from miner.llm import LLMCache, estimate_tokens
from miner.run import Run
from miner.validate.answers import answer_request
from miner.validate.games import game_requests, make_games
from miner.validate.judging import SYSTEM_PROMPT, USER_TEMPLATE
from miner.validate.stage import Inputs, judge_spec, plan

TOKEN_ESTIMATE = "characters / 4"


def _answers(p: dict[str, Any], cache: LLMCache | None, config: Config,
             known: dict[str, dict[str, str]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for model, spec in p["specs"].items():
        given = p["files"].get(model, {})
        known[model] = {q.hash: given[q.uid] for q in p["questions"] if q.uid in given}
        todo = [q for q in p["questions"] if q.uid not in given]
        requests = [answer_request(spec, q) for q in todo] if spec is not None else []
        hits = cache.get_many(r.key for r in requests) if cache is not None and requests else {}
        for request in requests:
            hit = hits.get(request.key)
            if hit is not None and hit.status == "ok" and hit.content is not None:
                known[model][request.item] = hit.content
        left = [r for r in requests if r.key not in hits]
        tokens_in = sum(estimate_tokens(r.messages[0]["content"]) for r in left)
        tokens_out = len(left) * (spec.max_tokens if spec is not None else 0)
        name = spec.model if spec is not None else model
        result[model] = {"from_file": sum(q.uid in given for q in p["questions"]),
                         "cached": len(hits), "to_answer": len(left),
                         "input_tokens": tokens_in, "output_tokens_max": tokens_out,
                         "cost_usd_max": cost_usd(config, name, tokens_in, tokens_out)}
    return result


def estimate_validation(run: Run, config: Config, inputs: Inputs) -> dict[str, Any]:
    """Calls, tokens and cost (upper bounds) of a validation, before any call."""
    p = plan(run, config, inputs)
    section, baseline = p["section"], p["baseline"]
    known: dict[str, dict[str, str]] = {}
    cache = LLMCache(run.file(JUDGE_CACHE)) if run.has(JUDGE_CACHE) else None
    try:
        answers = _answers(p, cache, config, known)
        longest = max((s.max_tokens for s in p["specs"].values() if s is not None), default=0)
        placeholder = "x" * (4 * longest)
        filled = {m: {q.hash: known[m].get(q.hash, placeholder) for q in p["questions"]}
                  for m in p["models"]}
        games = make_games(p["questions"], filled, baseline, section["max_answer_chars"])
        covered = {(j.model, q.hash) for j in p["file_judgments"] for q in p["questions"]
                   if q.uid == j.question_id}
        games = [g for g in games if (g.model, g.question) not in covered]
        judge = judge_spec(config, section) if games else None
        exact = [g for g in games if g.question in known[baseline]
                 and g.question in known[g.model]]
        requests = game_requests(judge, exact) if judge is not None else []
        hits = cache.get_many(r.key for r in requests) if cache is not None and requests else {}
    finally:
        if cache is not None:
            cache.close()
    fixed = estimate_tokens(SYSTEM_PROMPT + USER_TEMPLATE)
    todo = [g for g in games if g not in exact] + [
        g for g, r in zip(exact, requests, strict=True) if r.key not in hits]
    tokens_in = sum(fixed + estimate_tokens(g.prompt + g.answer_a + g.answer_b) for g in todo)
    tokens_out = len(todo) * section["judge_max_tokens"]
    judgments = {
        "judge": None if judge is None else judge.name,
        "model": None if judge is None else judge.model,
        "games": len(games) + 2 * len(covered), "from_file": 2 * len(covered),
        "cached": len(hits), "to_judge": len(todo),
        "input_tokens": tokens_in, "output_tokens_max": tokens_out,
        "cost_usd_max": 0.0 if judge is None else cost_usd(config, judge.model, tokens_in,
                                                           tokens_out),
    }
    costs = [a["cost_usd_max"] for a in answers.values()] + [judgments["cost_usd_max"]]
    return {
        "baseline": baseline, "models": p["models"],
        "questions": {"benchmark": len(p["benchmark"]), "control": len(p["control"]),
                      "distinct": len(p["questions"])},
        "answers": answers, "judgments": judgments,
        "cost_usd_max": None if None in costs else round(sum(costs), 6),
        "token_estimate": TOKEN_ESTIMATE,
    }
