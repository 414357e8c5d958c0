"""The `Judge` interface every difficulty judge implements, and what a judging pass returns.

A judge turns a rubric and distinct prompts into verdicts, answering from the run's answer
cache first: every (judge model, rubric label, prompt hash, request params) is one cache row,
so a prompt text is judged once however often it occurs and a rerun calls nothing already
answered. Backends live in `miner.judge.backends` and are found through
`miner.judge.registry` (third-party packages add theirs through the `miner.judges` entry
point group).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from miner.executor import LOCAL, Executor
from miner.judge.parse import split_flag
from miner.llm import CachedAnswer, LLMCache, cache_key

if TYPE_CHECKING:
    from miner.judge.rubric import Rubric
    from miner.llm import LLMSpec

MISSING = "missing"   # answered from the cache alone and no answer there


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
    flagged: bool | None = None     # the rubric's flag_field answer (None: not asked or not given)
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


class Judge(ABC):
    """A difficulty judge. Subclasses set `kind` and implement `judge`.

    `name` is what the user called it, `model` what answers (part of every cache key),
    `note` why this judge was chosen. `chat` is the chat endpoint behind it, if any: what
    other LLM calls (topic names) and batch files use.
    """

    kind: ClassVar[str]
    offline: ClassVar[bool] = True       # False: it calls an endpoint that may charge
    chat: LLMSpec | None = None
    executor: Executor = LOCAL           # where row-wise work runs (run_score sets the engine's)

    def __init__(self, name: str, model: str, note: str = "") -> None:
        self.name, self.model, self.note = name, model, note

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, model={self.model!r})"

    def describe(self) -> dict[str, Any]:
        """A description safe to save and print (names a key's variable, never the key)."""
        data: dict[str, Any] = {"name": self.name, "kind": self.kind, "model": self.model,
                                "offline": self.offline}
        if self.note:
            data["note"] = self.note
        return data

    def request_params(self, rubric: Rubric) -> dict[str, Any]:
        """The request parameters that are part of an answer's cache key."""
        return {}

    def answer_key(self, rubric: Rubric, item: Item, max_chars: int) -> tuple[str, dict]:
        """The cache key of this judge's answer for `item`, and the params in it."""
        params = dict(self.request_params(rubric))
        if rubric.flag_field:   # an answer made before the rubric asked for the flag is not reused
            params["flag"] = rubric.flag_field
        if item.truncated:
            params["truncated_at"] = max_chars
        return cache_key(self.model, rubric.label, item.hash, params), params

    @abstractmethod
    def judge(self, rubric: Rubric, items: list[Item], cache: LLMCache, *, max_chars: int,
              stats: PassStats) -> dict[str, Verdict]:
        """Verdicts by item hash for every item, cache first; counters go to `stats`."""

    def estimate(self, rubric: Rubric, items: list[Item], max_chars: int) -> dict[str, int]:
        """Tokens that judging `items` would send: input, output and output worst case."""
        return {"input_tokens": 0, "output_tokens": 0, "output_tokens_max": 0}

    # -- helpers for backends ----------------------------------------------------------------
    def cached_verdicts(self, rubric: Rubric, items: list[Item], cache: LLMCache,
                        max_chars: int) -> tuple[dict[str, Verdict], dict[str, tuple[str, dict]]]:
        """The verdicts already in the cache, and the (key, params) of every item."""
        keys = {item.hash: self.answer_key(rubric, item, max_chars) for item in items}
        found = cache.get_many(key for key, _ in keys.values())
        verdicts = {}
        for item in items:
            hit = found.get(keys[item.hash][0])
            if hit is not None:
                value, flagged = split_flag(hit.parsed)
                verdicts[item.hash] = Verdict(
                    hit.status, value, cached=True, flagged=flagged,
                    tokens=(hit.prompt_tokens or 0, hit.completion_tokens or 0))
        return verdicts, keys

    def answer_record(self, rubric: Rubric, item: Item, key: str, params: dict, value: Any,
                      status: str, origin: str) -> CachedAnswer:
        """A cache row for an answer this judge made without an endpoint."""
        return CachedAnswer(
            key=key, model=self.model, namespace=rubric.label, item=item.hash, params=params,
            content=None, status=status, parsed=value, prompt_tokens=0, completion_tokens=0,
            latency_s=0.0, origin=origin,
        )


def judge_items(judge: Judge, rubric: Rubric, items: list[Item], cache: LLMCache, *,
                max_chars: int) -> tuple[dict[str, Verdict], PassStats]:
    """One pass of `judge` over `items`: verdicts by item hash and the pass's counters.
    What the judge returns is checked first (`miner.judge.guard`). An item the judge
    returned no verdict for (a plugin's half answer) fails with status `error`, so it is
    counted, reported and retried by the next run."""
    from miner.judge.guard import judged  # it builds on this module

    stats = PassStats(judge=judge.name, model=judge.model, items=len(items))
    returned = judged(judge, rubric, items, cache, max_chars=max_chars, stats=stats)
    verdicts = {item.hash: returned.get(item.hash) or Verdict(
        "error", error=f"judge '{judge.name}' returned no verdict for this prompt")
        for item in items}
    stats.status = Counter(v.status for v in verdicts.values())
    stats.errors = Counter(v.error for v in verdicts.values() if v.error)
    stats.answers_prompt_tokens = sum(v.tokens[0] for v in verdicts.values())
    stats.answers_completion_tokens = sum(v.tokens[1] for v in verdicts.values())
    return verdicts, stats
