"""OpenAI Batch API files: export the requests still to be answered, import the answers.

The exported JSONL (one `{"custom_id", "method", "url", "body"}` per line, `custom_id` =
the cache key) is what the OpenAI Batch API and `vllm run-batch` read. Their output lines
(`{"custom_id", "response": {"status_code", "body"}, "error"}`) are parsed with the rubric
and stored in the cache, so the next `miner score` answers from it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from miner.artifacts import JUDGE_CACHE
from miner.brief import brief
from miner.config import Config
from miner.console import printable
from miner.errors import ConfigError, InputError
from miner.jsonl import read_objects
from miner.judge.backends import BatchJudge, ChatJudge
from miner.judge.base import Judge, judge_items
from miner.judge.parse import parse_answer
from miner.judge.rubric import load_rubric
from miner.judge.score import cascade_survivors, load_items, resolve_judges
from miner.llm import CachedAnswer, ChatRequest, LLMCache, chat_body
from miner.llm.client import TOO_LARGE
from miner.run import Run, atomic_path

CHAT_URL = "/v1/chat/completions"


def _chat_judge(judge: Judge) -> ChatJudge:
    if not isinstance(judge, ChatJudge):
        raise ConfigError(f"--export-batch needs LLM judges; '{judge.name}' is a {judge.kind} "
                          "judge, which needs no batch")
    return judge


def _requests(run: Run, config: Config, judges: list[Judge]) -> list[tuple[Judge, ChatRequest]]:
    score = config["score"]
    rubric = load_rubric(score["rubric"])
    _, items = load_items(run, score["max_prompt_chars"])
    return [(judge, request) for judge in judges if isinstance(judge, ChatJudge)
            for request in judge.requests(rubric, items, score["max_prompt_chars"])]


def export_batch(run: Run, config: Config, path: Path) -> tuple[str, int]:
    """Write the requests still unanswered as Batch API JSONL; return (judge name, count).

    They are the first judge's; once all of those are answered and a cascade is set, they
    are the strong judge's requests for the prompts that passed `min_score`.
    """
    score = config["score"]
    rubric = load_rubric(score["rubric"])
    judges = resolve_judges(config)
    max_chars = score["max_prompt_chars"]
    _, items = load_items(run, max_chars)
    with run.writing(), LLMCache(run.file(JUDGE_CACHE)) as cache:
        judge = _chat_judge(judges[0])
        todo = _unanswered(cache, judge.requests(rubric, items, max_chars))
        if not todo and len(judges) == 2:
            first, _ = judge_items(BatchJudge.wrapping(judge), rubric, items, cache,
                                   max_chars=max_chars)
            survivors = cascade_survivors(first, items, rubric, float(score["min_score"]))
            judge = _chat_judge(judges[1])
            todo = _unanswered(cache, judge.requests(rubric, survivors, max_chars))
    assert judge.chat is not None
    with atomic_path(Path(path)) as tmp, open(tmp, "w", encoding="utf-8") as out:
        for request in todo:
            line = {"custom_id": request.key, "method": "POST", "url": CHAT_URL,
                    "body": chat_body(judge.chat, request)}
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    return judge.name, len(todo)


def _unanswered(cache: LLMCache, requests: list[ChatRequest]) -> list[ChatRequest]:
    cached = cache.get_many(r.key for r in requests)
    return [r for r in requests if r.key not in cached]


def _object(value: Any, where: str, what: str) -> dict[str, Any]:
    """`value` when it is a JSON object (or absent: {}), else one line naming `what`."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"{where}: '{what}' must be an object, got {printable(brief(value))}")
    return value


def _tokens(usage: dict[str, Any], name: str, where: str) -> int:
    """A token count of `usage`: absent or null is 0; anything but a whole number >= 0 is
    one line (a negative count would show as a negative cost)."""
    value = usage.get(name)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"{where}: 'usage.{name}' must be a whole number >= 0, got "
                         f"{printable(brief(value))}")
    return value


def _answer(record: dict[str, Any], where: str) -> tuple[str | None, tuple[int, int]]:
    """(content or None when the request failed, (prompt, completion) tokens) from one batch
    output record; a record of the wrong shape is one `InputError` naming its line."""
    response = _object(record.get("response"), where, "response")
    if record.get("error") or response.get("status_code") != 200:
        return None, (0, 0)
    body = _object(response.get("body"), where, "response.body")
    usage = _object(body.get("usage"), where, "response.body.usage")
    tokens = (_tokens(usage, "prompt_tokens", where), _tokens(usage, "completion_tokens", where))
    choices = body.get("choices")
    if not isinstance(choices, list):
        raise InputError(f"{where}: 'response.body.choices' must be a list, got "
                         f"{printable(brief(choices))}")
    if not choices:
        return None, tokens
    message = _object(_object(choices[0], where, "response.body.choices[0]").get("message"),
                      where, "response.body.choices[0].message")
    content = message.get("content")
    return (content if isinstance(content, str) else None), tokens


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) of a batch output file; a bad line is an error naming it."""
    for number, record in read_objects(path, "batch results"):
        if not isinstance(record.get("custom_id"), str):
            raise InputError(f"{path}: line {number}: no custom_id")
        yield number, record


def import_batch(run: Run, config: Config, path: Path) -> dict[str, int]:
    """Load Batch API results into the cache; count imported, failed and unknown lines.

    A line whose `custom_id` is no request of this run (another run, another rubric) is
    counted as unknown and skipped; a line that is not JSON, or a record of the wrong shape
    (a `response` that is not an object, a token count that is not a whole number >= 0), is
    an error naming its number, and nothing is imported. An answer over the judge's
    `max_answer_bytes` is stored as `too_large`, its content dropped, as a live call does.
    """
    rubric = load_rubric(config["score"]["rubric"])
    by_key = {r.key: (j, r) for j, r in _requests(run, config, resolve_judges(config))}
    counts = {"imported": 0, "failed": 0, "unknown": 0}
    answers: list[CachedAnswer] = []
    for number, record in _records(Path(path)):
        found = by_key.get(record["custom_id"])
        if found is None:
            counts["unknown"] += 1
            continue
        judge, request = found
        content, tokens = _answer(record, f"{path}: line {number}")
        if content is None:
            counts["failed"] += 1
            continue
        assert judge.chat is not None
        if len(content.encode("utf-8", "replace")) > judge.chat.max_answer_bytes:
            content, (status, parsed) = None, (TOO_LARGE, None)
        else:
            status, parsed = parse_answer(content, rubric, request.context)
        answers.append(CachedAnswer(
            key=request.key, model=judge.model, namespace=request.namespace,
            item=request.item, params=request.params, content=content, status=status,
            parsed=parsed, prompt_tokens=tokens[0], completion_tokens=tokens[1],
            latency_s=None, origin="batch",
        ))
        counts["imported"] += 1
    with run.writing(), LLMCache(run.file(JUDGE_CACHE)) as cache:
        cache.put_many(answers)
    return counts
