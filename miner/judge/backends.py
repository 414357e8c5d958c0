"""The built-in judges: the offline ranker and heuristic, any OpenAI-compatible chat endpoint,
and the answers of a Batch API file (cache only). Each registers itself in
`miner.judge.registry`."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from miner.hygiene import rules_digest, screen
from miner.judge import heuristic, ranker
from miner.judge.base import MISSING, Item, Judge, PassStats, Verdict
from miner.judge.parse import OK, parse_answer, split_flag, with_flag
from miner.judge.registry import register_judge
from miner.judge.rubric import Rubric
from miner.llm import CallStats, ChatRequest, LLMCache, LLMSpec, complete_many, resolve_endpoint

HEURISTIC_CHUNK = 10_000


class OfflineJudge(Judge):
    """A judge computed in-process from the text (heuristic, ranker): answers in batches on
    the run's executor, cached like any judge's; a rubric's flag (`answer.flag_field`) comes
    from the hygiene rules (`miner.hygiene.screen`)."""

    def request_params(self, rubric: Rubric) -> dict[str, Any]:
        """The hygiene rules' digest when the rubric asks for the flag (a changed word list
        is a new answer)."""
        return {"hygiene_rules": rules_digest()} if rubric.flag_field else {}

    def answers(self) -> Callable[[list[str], Rubric], list[Any]]:
        """A pure function: texts -> one parsed value each (runs on any engine)."""
        raise NotImplementedError

    def judge(self, rubric: Rubric, items: list[Item], cache: LLMCache, *, max_chars: int,
              stats: PassStats) -> dict[str, Verdict]:
        heuristic.check_supported(rubric, self.kind)   # both list the heuristic's criteria
        verdicts, keys = self.cached_verdicts(rubric, items, cache, max_chars)
        stats.cached = len(verdicts)
        fresh = [item for item in items if item.hash not in verdicts]
        values_of, flag = self.answers(), rubric.flag_field is not None

        def answer(chunk: list[Item], bar: Any) -> list[Any]:   # pure: runs on any engine
            values = values_of([item.text for item in chunk], rubric)
            return [with_flag(value, screen(item.text) is not None if flag else None)
                    for item, value in zip(chunk, values, strict=True)]

        for done, parsed_values in self.executor.map_batches(answer, fresh, HEURISTIC_CHUNK,
                                                             desc=f"score {self.kind}"):
            records = []
            for item, parsed in zip(fresh[done], parsed_values, strict=True):
                value, flagged = split_flag(parsed)
                verdicts[item.hash] = Verdict(OK, value, flagged=flagged)
                key, params = keys[item.hash]
                records.append(self.answer_record(rubric, item, key, params, parsed, OK,
                                                  self.kind))
            cache.put_many(records)  # one chunk at a time: a killed run keeps finished chunks
        return {item.hash: verdicts[item.hash] for item in items}


def _heuristic_answers(texts: list[str], rubric: Rubric) -> list[Any]:
    return [heuristic.judge_text(text, rubric) for text in texts]


@register_judge("heuristic")
class HeuristicJudge(OfflineJudge):
    """The offline heuristic judge: rubric criteria from transparent text features."""

    kind = "heuristic"

    @classmethod
    def from_config(cls, name: str, config: Mapping[str, Any], note: str = "") -> HeuristicJudge:
        """The heuristic judge (it has no settings)."""
        return cls(heuristic.NAME, heuristic.MODEL, note or "offline heuristic judge (requested)")

    def answers(self) -> Callable[[list[str], Rubric], list[Any]]:
        return _heuristic_answers


@register_judge("ranker")
class RankerJudge(OfflineJudge):
    """The offline ranker judge: a fitted logistic model over cheap text features
    (`miner.judge.ranker`), mapped onto the rubric."""

    kind = "ranker"

    def __init__(self, name: str, model_path: str | None, note: str = "") -> None:
        self.fitted = ranker.load_model(model_path)
        super().__init__(name, self.fitted.model_id, note)

    @classmethod
    def from_config(cls, name: str, config: Mapping[str, Any], note: str = "") -> RankerJudge:
        """The shipped ranker, or the model file a `judges:` entry names in `model`."""
        entry = (config.get("judges") or {}).get(name)
        path = entry.get("model") if isinstance(entry, Mapping) else None
        return cls(name, path, note or "offline ranker judge (requested)")

    def answers(self) -> Callable[[list[str], Rubric], list[Any]]:
        return functools.partial(ranker.answers, self.fitted)


@register_judge("openai")
class ChatJudge(Judge):
    """A model behind any OpenAI-compatible chat completions endpoint."""

    kind = "openai"
    offline = False

    def __init__(self, name: str, spec: LLMSpec, note: str = "") -> None:
        super().__init__(name, spec.model, note)
        self.chat = spec

    @classmethod
    def from_config(cls, name: str, config: Mapping[str, Any], note: str = "") -> ChatJudge:
        """The judge `judges.<name>` describes (or model `name` at $OPENAI_BASE_URL)."""
        return cls(name, resolve_endpoint(config, name), note)

    def describe(self) -> dict[str, Any]:
        assert self.chat is not None
        return {**self.chat.public(), **super().describe()}

    def request_params(self, rubric: Rubric) -> dict[str, Any]:
        assert self.chat is not None
        return {"temperature": self.chat.temperature, "max_tokens": self.chat.max_tokens,
                "response_format": rubric.response_format}

    def requests(self, rubric: Rubric, items: list[Item], max_chars: int) -> list[ChatRequest]:
        """One chat request per item, keyed for the cache."""
        requests = []
        for item in items:
            key, params = self.answer_key(rubric, item, max_chars)
            requests.append(ChatRequest(
                key=key, messages=rubric.messages(item.text), namespace=rubric.label,
                item=item.hash, params=params, response_format=rubric.response_format_body(),
                context=item.text,
            ))
        return requests

    def judge(self, rubric: Rubric, items: list[Item], cache: LLMCache, *, max_chars: int,
              stats: PassStats) -> dict[str, Verdict]:
        assert self.chat is not None
        calls = CallStats()
        results = complete_many(
            self.chat, self.requests(rubric, items, max_chars), cache,
            parse=lambda content, request: parse_answer(content, rubric, request.context),
            stats=calls, desc=f"score {self.name}",
        )
        stats.cached, stats.called = calls.cached, calls.called
        stats.http_requests, stats.retries = calls.http_requests, calls.retries
        stats.prompt_tokens, stats.completion_tokens = calls.prompt_tokens, calls.completion_tokens
        verdicts = {}
        for item, r in zip(items, results, strict=True):
            value, flagged = split_flag(r.parsed)
            verdicts[item.hash] = Verdict(r.status, value, cached=r.cached, error=r.error,
                                          flagged=flagged,
                                          tokens=(r.prompt_tokens, r.completion_tokens))
        return verdicts

    def estimate(self, rubric: Rubric, items: list[Item], max_chars: int) -> dict[str, int]:
        assert self.chat is not None
        requests = self.requests(rubric, items, max_chars)
        return {"input_tokens": sum(r.estimated_tokens(0) for r in requests),
                "output_tokens": len(requests) * rubric.expected_tokens,
                "output_tokens_max": len(requests) * self.chat.max_tokens}


@register_judge("batch")
class BatchJudge(ChatJudge):
    """A chat judge answered only by imported Batch API results (`score --import-batch`):
    prompts with no imported answer get status `missing` and nothing is sent."""

    kind = "batch"

    @classmethod
    def wrapping(cls, judge: Judge) -> BatchJudge:
        """The batch form of a chat judge (same model, params and cache keys)."""
        if judge.chat is None:
            raise TypeError(f"judge '{judge.name}' has no chat endpoint to batch")
        return cls(judge.name, judge.chat, judge.note)

    def judge(self, rubric: Rubric, items: list[Item], cache: LLMCache, *, max_chars: int,
              stats: PassStats) -> dict[str, Verdict]:
        found, _ = self.cached_verdicts(rubric, items, cache, max_chars)
        stats.cached = len(found)
        return {item.hash: found.get(item.hash, Verdict(MISSING)) for item in items}
