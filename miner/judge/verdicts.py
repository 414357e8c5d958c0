"""Judge a set of distinct prompts with one judge and one rubric, through the answer cache.

Every (judge model, rubric label, prompt hash, request params) is one cache row, so a prompt
text is judged once however often it occurs, a rerun calls nothing already answered, and
the offline heuristic judge's answers sit beside the LLM judges' (for `judges compare`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from miner.console import progress
from miner.judge import heuristic
from miner.judge.parse import OK, parse_answer
from miner.judge.resolve import Judge
from miner.judge.rubric import Rubric
from miner.llm import CachedAnswer, CallStats, ChatRequest, LLMCache, cache_key, complete_many

MISSING = "missing"   # --import-batch: no answer in the cache and no call made
HEURISTIC_CHUNK = 10_000


@dataclass(frozen=True)
class Item:
    """One distinct prompt to judge: its hash (the cache's item) and text (bounded)."""

    hash: str
    text: str
    truncated: bool = False


@dataclass
class Verdict:
    """A judge's parsed answer for one item."""

    status: str
    value: Any = None
    cached: bool = False
    error: str | None = None
    tokens: tuple[int, int] = (0, 0)  # (prompt, completion) the answer cost when it was made


@dataclass
class PassStats:
    """What one judge pass did."""

    judge: str
    model: str
    items: int = 0
    cached: int = 0
    called: int = 0
    http_requests: int = 0
    retries: int = 0
    prompt_tokens: int = 0       # sent by this run
    completion_tokens: int = 0
    answers_prompt_tokens: int = 0       # behind every answer used, cached ones included
    answers_completion_tokens: int = 0
    status: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)  # transport error message -> count


def request_params(judge: Judge, rubric: Rubric, item: Item, max_chars: int) -> dict[str, Any]:
    """The request parameters that are part of an answer's cache key."""
    if judge.spec is None:
        params: dict[str, Any] = {}
    else:
        params = {
            "temperature": judge.spec.temperature,
            "max_tokens": judge.spec.max_tokens,
            "response_format": rubric.response_format,
        }
    if item.truncated:
        params["truncated_at"] = max_chars
    return params


def build_requests(
    judge: Judge, rubric: Rubric, items: list[Item], max_chars: int
) -> list[ChatRequest]:
    """One chat request per item, keyed for the cache."""
    requests = []
    for item in items:
        params = request_params(judge, rubric, item, max_chars)
        requests.append(ChatRequest(
            key=cache_key(judge.model, rubric.label, item.hash, params),
            messages=rubric.messages(item.text),
            namespace=rubric.label,
            item=item.hash,
            params=params,
            response_format=rubric.response_format_body(),
            context=item.text,
        ))
    return requests


def _heuristic_pass(
    judge: Judge, rubric: Rubric, items: list[Item], cache: LLMCache, max_chars: int,
    stats: PassStats,
) -> dict[str, Verdict]:
    heuristic.check_supported(rubric)
    verdicts: dict[str, Verdict] = {}
    with progress(total=len(items), desc="score heuristic", unit="prompt") as bar:
        for start in range(0, len(items), HEURISTIC_CHUNK):
            chunk = items[start:start + HEURISTIC_CHUNK]
            params = {item.hash: request_params(judge, rubric, item, max_chars) for item in chunk}
            keys = {h: cache_key(judge.model, rubric.label, h, p) for h, p in params.items()}
            found = cache.get_many(keys.values())
            fresh: list[CachedAnswer] = []
            for item in chunk:
                hit = found.get(keys[item.hash])
                if hit is not None:
                    verdicts[item.hash] = Verdict(hit.status, hit.parsed, cached=True)
                    stats.cached += 1
                    continue
                value = heuristic.judge_text(item.text, rubric)
                verdicts[item.hash] = Verdict(OK, value)
                fresh.append(CachedAnswer(
                    key=keys[item.hash], model=judge.model, namespace=rubric.label,
                    item=item.hash, params=params[item.hash], content=None, status=OK,
                    parsed=value, prompt_tokens=0, completion_tokens=0, latency_s=0.0,
                    origin="heuristic",
                ))
            cache.put_many(fresh)  # one chunk at a time: a killed run keeps finished chunks
            bar.update(len(chunk))
    return verdicts


def judge_items(
    judge: Judge,
    rubric: Rubric,
    items: list[Item],
    cache: LLMCache,
    *,
    max_chars: int,
    cache_only: bool = False,
) -> tuple[dict[str, Verdict], PassStats]:
    """Verdicts by item hash for every item, and the pass's counters.

    `cache_only` answers from the cache alone (after `--import-batch`): items with no cached
    answer get status `missing` and nothing is sent.
    """
    stats = PassStats(judge=judge.name, model=judge.model, items=len(items))
    if judge.spec is None:
        verdicts = _heuristic_pass(judge, rubric, items, cache, max_chars, stats)
    else:
        requests = build_requests(judge, rubric, items, max_chars)
        if cache_only:
            found = cache.get_many(r.key for r in requests)
            verdicts = {}
            for item, request in zip(items, requests, strict=True):
                hit = found.get(request.key)
                verdicts[item.hash] = (
                    Verdict(hit.status, hit.parsed, cached=True,
                            tokens=(hit.prompt_tokens or 0, hit.completion_tokens or 0))
                    if hit else Verdict(MISSING)
                )
            stats.cached = len(found)
        else:
            calls = CallStats()
            results = complete_many(
                judge.spec, requests, cache,
                parse=lambda content, request: parse_answer(content, rubric, request.context),
                stats=calls, desc=f"score {judge.name}",
            )
            verdicts = {
                item.hash: Verdict(r.status, r.parsed, cached=r.cached, error=r.error,
                                   tokens=(r.prompt_tokens, r.completion_tokens))
                for item, r in zip(items, results, strict=True)
            }
            stats.cached, stats.called = calls.cached, calls.called
            stats.http_requests, stats.retries = calls.http_requests, calls.retries
            stats.prompt_tokens = calls.prompt_tokens
            stats.completion_tokens = calls.completion_tokens
    stats.status = Counter(v.status for v in verdicts.values())
    stats.errors = Counter(v.error for v in verdicts.values() if v.error)
    stats.answers_prompt_tokens = sum(v.tokens[0] for v in verdicts.values())
    stats.answers_completion_tokens = sum(v.tokens[1] for v in verdicts.values())
    return verdicts, stats
