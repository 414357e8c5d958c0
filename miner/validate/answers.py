"""Each model's answer to every question: from arena-hard-auto answer files where given, else
from the model's OpenAI-compatible endpoint through `miner.llm` (cached in the run's
judge.sqlite as they arrive, resumable, every model at once, each within its own limits).

A model is a name under `models:` in config (the keys of a `judges:` entry) or a model name
served at `$OPENAI_BASE_URL`. Cache rows: namespace `validate-answer-v1`, item the question's
prompt hash, params temperature and max_tokens.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from miner import schema
from miner.llm import (
    CallStats,
    ChatRequest,
    LLMCache,
    LLMSpec,
    acomplete_many,
    cache_key,
    resolve_endpoint,
)
from miner.validate.questions import Question

NAMESPACE = "validate-answer-v1"


def resolve_model(config: Mapping[str, Any], name: str, max_tokens: int | None) -> LLMSpec:
    """The endpoint of model `name` (`models.<name>` in config, checked against the schema,
    else that model at $OPENAI_BASE_URL), answering with at most `max_tokens` (None: the
    entry's own max_tokens)."""
    entry = schema.check_tree(("models",), {name: (config.get("models") or {}).get(name)})[name]
    spec = resolve_endpoint({**config, "judges": {name: entry}}, name)
    return spec if max_tokens is None else dataclasses.replace(spec, max_tokens=max_tokens)


def answer_params(spec: LLMSpec) -> dict[str, Any]:
    """The request parameters an answer's cache key covers."""
    return {"temperature": spec.temperature, "max_tokens": spec.max_tokens}


def answer_request(spec: LLMSpec, question: Question) -> ChatRequest:
    """The chat request asking `spec`'s model to answer `question`."""
    params = answer_params(spec)
    return ChatRequest(
        key=cache_key(spec.model, NAMESPACE, question.hash, params),
        messages=[{"role": "user", "content": question.text}],
        namespace=NAMESPACE, item=question.hash, params=params,
    )


@dataclass
class ModelAnswers:
    """One model's answers by question hash, and how they were had."""

    model: str
    answers: dict[str, str] = field(default_factory=dict)
    from_file: int = 0
    stats: CallStats = field(default_factory=CallStats)
    failed: dict[str, int] = field(default_factory=dict)   # status -> count (not ok)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Counts for validation.json."""
        return {"answers": len(self.answers), "from_file": self.from_file,
                "cached": self.stats.cached, "called": self.stats.called,
                "failed": dict(self.failed), "prompt_tokens": self.stats.prompt_tokens,
                "completion_tokens": self.stats.completion_tokens}


def pending(questions: list[Question], files: Mapping[str, str]) -> list[Question]:
    """The questions a model's answer file does not answer."""
    return [q for q in questions if q.uid not in files]


async def _answer_all(jobs: list[tuple[LLMSpec, list[ChatRequest], ModelAnswers]],
                      cache: LLMCache) -> None:
    async def one(spec: LLMSpec, requests: list[ChatRequest], into: ModelAnswers) -> None:
        results = await acomplete_many(spec, requests, cache, stats=into.stats,
                                       desc=f"answers {into.model}")
        for request, result in zip(requests, results, strict=True):
            if result.status == "ok" and result.content is not None:
                into.answers[request.item] = result.content
            else:
                into.failed[result.status] = into.failed.get(result.status, 0) + 1
                if result.error:
                    into.errors.append(result.error)

    await asyncio.gather(*(one(*job) for job in jobs))


def collect_answers(specs: Mapping[str, LLMSpec | None], questions: list[Question],
                    files: Mapping[str, Mapping[str, str]],
                    cache: LLMCache) -> dict[str, ModelAnswers]:
    """Every model's answers: file answers first, the rest from its endpoint (`specs[m]`;
    None for a model whose file answers everything)."""
    found: dict[str, ModelAnswers] = {}
    jobs = []
    for model, spec in specs.items():
        given = files.get(model, {})
        into = ModelAnswers(model)
        for question in questions:
            if question.uid in given:
                into.answers[question.hash] = given[question.uid]
                into.from_file += 1
        todo = pending(questions, given)
        if todo and spec is not None:
            jobs.append((spec, [answer_request(spec, q) for q in todo], into))
        found[model] = into
    if jobs:
        asyncio.run(_answer_all(jobs, cache))
    return found
