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
from miner.config import Config
from miner.errors import ConfigError, InputError
from miner.jsonl import read_objects
from miner.judge.backends import BatchJudge, ChatJudge
from miner.judge.base import Judge, judge_items
from miner.judge.parse import parse_answer
from miner.judge.rubric import load_rubric
from miner.judge.score import cascade_survivors, load_items, resolve_judges
from miner.llm import CachedAnswer, ChatRequest, LLMCache, chat_body
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


def _answer(record: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """(content or None, usage) from one batch output record."""
    response = record.get("response") or {}
    if record.get("error") or response.get("status_code") != 200:
        return None, {}
    body = response.get("body") or {}
    choices = body.get("choices") or []
    if not choices or not isinstance(choices[0], dict):
        return None, {}
    content = (choices[0].get("message") or {}).get("content")
    return (content if isinstance(content, str) else None), body.get("usage") or {}


def _records(path: Path) -> Iterator[dict[str, Any]]:
    """The records of a batch output file; a bad line is an error naming its number."""
    for number, record in read_objects(path, "batch results"):
        if not isinstance(record.get("custom_id"), str):
            raise InputError(f"{path}: line {number}: no custom_id")
        yield record


def import_batch(run: Run, config: Config, path: Path) -> dict[str, int]:
    """Load Batch API results into the cache; count imported, failed and unknown lines.

    A line whose `custom_id` is no request of this run (another run, another rubric) is
    counted as unknown and skipped; a line that is not JSON is an error naming its number.
    """
    rubric = load_rubric(config["score"]["rubric"])
    by_key = {r.key: (j, r) for j, r in _requests(run, config, resolve_judges(config))}
    counts = {"imported": 0, "failed": 0, "unknown": 0}
    answers: list[CachedAnswer] = []
    for record in _records(Path(path)):
        found = by_key.get(record["custom_id"])
        if found is None:
            counts["unknown"] += 1
            continue
        judge, request = found
        content, usage = _answer(record)
        if content is None:
            counts["failed"] += 1
            continue
        status, parsed = parse_answer(content, rubric, request.context)
        answers.append(CachedAnswer(
            key=request.key, model=judge.model, namespace=request.namespace,
            item=request.item, params=request.params, content=content, status=status,
            parsed=parsed, prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0), latency_s=None,
            origin="batch",
        ))
        counts["imported"] += 1
    with run.writing(), LLMCache(run.file(JUDGE_CACHE)) as cache:
        cache.put_many(answers)
    return counts
