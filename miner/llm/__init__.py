"""A small OpenAI-compatible chat client with a resumable SQLite answer cache.

Typical use (the judge and the cluster stage's topic names both go through it)::

    from miner.llm import ChatRequest, LLMCache, cache_key, complete_many, resolve_endpoint

    spec = resolve_endpoint(config, "gpt-4o-mini")      # judges.<name> in config, or env
    with LLMCache(run.file(JUDGE_CACHE)) as cache:
        params = {"temperature": spec.temperature, "max_tokens": spec.max_tokens}
        requests = [
            ChatRequest(
                key=cache_key(spec.model, "topic-names-v1", item_hash, params),
                messages=[{"role": "user", "content": text}],
                namespace="topic-names-v1", item=item_hash, params=params,
            )
            for item_hash, text in items
        ]
        results = complete_many(spec, requests, cache)   # in request order
        for result in results:
            result.status, result.content, result.cached, result.error

Answers are cached as they arrive (a killed run resumes); transport failures come back with
status "error" and are retried on the next run. API keys stay in the environment: specs hold
the variable's name, and errors are scrubbed of anything key-shaped.
"""

from miner.llm.cache import CachedAnswer, LLMCache, cache_key
from miner.llm.client import (
    CallStats,
    ChatRequest,
    ChatResult,
    acomplete_many,
    apost_many,
    chat_body,
    complete_many,
    estimate_tokens,
)
from miner.llm.spec import LLMSpec, endpoint_in_environment, resolve_endpoint

__all__ = [
    "CachedAnswer",
    "CallStats",
    "ChatRequest",
    "ChatResult",
    "LLMCache",
    "LLMSpec",
    "acomplete_many",
    "apost_many",
    "cache_key",
    "chat_body",
    "complete_many",
    "endpoint_in_environment",
    "estimate_tokens",
    "resolve_endpoint",
]
