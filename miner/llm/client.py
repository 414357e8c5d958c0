"""Run many chat requests against an OpenAI-compatible endpoint: async, limited, cached.

`complete_many(spec, requests, cache)` is the one entry point for chat calls. It answers
cached keys from the cache, sends the rest through the `openai` async client with
`spec.concurrency` workers, round-robin over `spec.base_urls`, within the spec's
requests/tokens-per-minute limits, each request within a total deadline of `spec.timeout_s`
(connect to last byte), retrying 429, 5xx, timeouts and connection errors with
exponential backoff (or the server's `Retry-After`, capped at `max_retry_after_s`; a long
wait is announced on stderr), and stores every completed answer in the cache the moment it
arrives. A response body over `spec.max_answer_bytes` is not read further: it gets status
`too_large` (counted and cached, its content dropped). Results come back in request order.
An endpoint that fails every request (down, wrong model) stops the batch early with one
clear error. `apost_many` is the same transport for other endpoints (embeddings).

Token counts for rate limits are estimated as characters / 4 (tiktoken would download its
BPE files); reported usage from the server is what gets stored.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from miner import boundedjson
from miner.console import info, progress
from miner.errors import ConfigError, MinerError
from miner.llm.cache import CachedAnswer, LLMCache
from miner.llm.ratelimit import RateLimiter
from miner.llm.spec import OPENAI_URL, LLMSpec
from miner.redact import scrub

CHARS_PER_TOKEN = 4
MAX_BACKOFF_S = 60.0
MAX_RETRY_AFTER_S = 300.0
MIN_FAILURES_IN_A_ROW = 10  # stop a batch whose endpoint is down (at least 2 x concurrency)
LONG_WAIT_S = 5.0  # a Retry-After wait at least this long is announced
ERROR = "error"
OK = "ok"
TOO_LARGE = "too_large"
# What the client's own `with_streaming_response` sets: the body is left unread, to stream.
_STREAM_RAW = {"X-Stainless-Raw-Response": "stream"}

# (content, request) -> (status, parsed value). Status "ok" or a parse failure name.
Parser = Callable[[str, "ChatRequest"], "tuple[str, Any]"]


def estimate_tokens(text: str) -> int:
    """A tokenizer-free token estimate: one token per four characters, at least one."""
    return max(1, len(text) // CHARS_PER_TOKEN)


@dataclass
class ChatRequest:
    """One chat completion to run.

    `key` is its cache key (see `miner.llm.cache_key`); `namespace`, `item` and `params` are
    stored with the answer so it can be found again (e.g. rubric id, prompt hash). `context`
    is handed to the parser untouched (e.g. the prompt text).
    """

    key: str
    messages: list[dict[str, str]]
    namespace: str = ""
    item: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    response_format: dict[str, Any] | None = None
    context: Any = None

    def estimated_tokens(self, max_tokens: int) -> int:
        """Prompt tokens (estimated) plus the completion budget."""
        return sum(estimate_tokens(m.get("content") or "") for m in self.messages) + max_tokens


@dataclass
class ChatResult:
    """The outcome of one request: a (possibly cached) answer or a transport error."""

    key: str
    status: str
    content: str | None = None
    parsed: Any = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    cached: bool = False
    error: str | None = None


@dataclass
class CallStats:
    """Counters over one `complete_many` call."""

    cached: int = 0
    called: int = 0
    http_requests: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    status: Counter = field(default_factory=Counter)


def requested_wait(headers: Any) -> float | None:
    """Seconds the server asks to wait in `retry-after-ms` / `Retry-After` (seconds or an
    HTTP date), uncapped; None when it names no (readable) wait."""
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return None if parsed is None else max(0.0, parsed.timestamp() - time.time())


def retry_after_seconds(headers: Any, cap: float = MAX_RETRY_AFTER_S) -> float | None:
    """Seconds to wait from `retry-after-ms` / `Retry-After`, at most `cap`."""
    wait = requested_wait(headers)
    return None if wait is None else min(cap, wait)


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with jitter: about 0.5 s, 1 s, 2 s, ... capped at a minute."""
    return min(MAX_BACKOFF_S, 0.5 * 2 ** attempt) * random.uniform(0.5, 1.0)


def chat_body(spec: LLMSpec, request: ChatRequest) -> dict[str, Any]:
    """The chat completions request body for `request` (live calls and batch files alike)."""
    body: dict[str, Any] = {
        "model": spec.model,
        "messages": request.messages,
        "temperature": spec.temperature,
        "max_tokens": spec.max_tokens,
    }
    if request.response_format is not None:
        body["response_format"] = request.response_format
    return body


def _read_completion(text: str) -> tuple[str, tuple[int, int]]:
    """Content and (prompt, completion) token usage of a chat.completion response body
    (read with `miner.boundedjson`: a body nested too deep is a bad reply, not a crash)."""
    data = boundedjson.loads(text)
    message = data["choices"][0]["message"]
    content = message.get("content") or ""
    if not isinstance(content, str):
        raise ValueError("the answer's content is not text")
    usage = data.get("usage") or {}
    return content, (int(usage.get("prompt_tokens") or 0),
                     int(usage.get("completion_tokens") or 0))


class TransportError(Exception):
    """A request failed after every retry (the message is scrubbed of keys)."""


class AnswerTooLarge(Exception):
    """A response body went over `spec.max_answer_bytes`; the rest was not read."""


class DeadlineExceeded(Exception):
    """A request did not finish (connect to last byte) within `spec.timeout_s`."""


class _Caller:
    """The clients, limiter and counters shared by the workers of one call."""

    def __init__(self, spec: LLMSpec, stats: CallStats) -> None:
        import openai

        self.openai = openai
        self.spec = spec
        self.stats = stats
        self.key = spec.api_key()
        if self.key is None and any(u.startswith(OPENAI_URL) for u in spec.base_urls):
            raise ConfigError(
                f"judge '{spec.name}': set the environment variable {spec.api_key_env} "
                f"to call {OPENAI_URL} (or point base_url / OPENAI_BASE_URL at your server)"
            )
        self.clients = [
            openai.AsyncOpenAI(
                api_key=self.key or "not-needed",
                base_url=url,
                max_retries=0,
                timeout=spec.timeout_s,
            )
            for url in spec.base_urls
        ]
        self.limiter = RateLimiter(spec.rpm, spec.tpm)
        self._next = 0
        self._quiet_until = 0.0  # long waits overlapping an announced one are not announced

    def _retryable(self, exc: Exception) -> bool:
        """429, 408, 409, any 5xx, timeouts and connection errors are worth another try."""
        o = self.openai
        if isinstance(exc, (o.RateLimitError, o.InternalServerError, o.APITimeoutError,
                            o.APIConnectionError, DeadlineExceeded)):
            return True
        if isinstance(exc, o.APIStatusError):
            return exc.status_code in (408, 409) or exc.status_code >= 500
        return False

    def _describe(self, exc: Exception) -> str:
        if isinstance(exc, DeadlineExceeded):
            return str(exc)
        status = getattr(exc, "status_code", None)
        prefix = f"HTTP {status}" if status else type(exc).__name__
        return scrub(" ".join(f"{prefix}: {exc}".split()), [self.key])

    async def _post(self, client: Any, path: str, body: dict[str, Any]) -> str | None:
        """The response body as text, or None when it is over `spec.max_answer_bytes` (the
        rest is not read)."""
        cap = self.spec.max_answer_bytes
        response = await client.post(path, body=body, cast_to=str,
                                     options={"headers": _STREAM_RAW})
        try:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > cap:
                return None
            chunks, size = [], 0
            async for chunk in response.iter_bytes():
                size += len(chunk)
                if size > cap:
                    return None
                chunks.append(chunk)
        finally:
            await response.close()
        return b"".join(chunks).decode("utf-8")

    async def _within_deadline(self, posting: Awaitable[str | None]) -> str | None:
        """`posting`'s result, or `DeadlineExceeded` once `spec.timeout_s` has passed: the
        client's own timeout bounds each wait for bytes, so an answer dripping a byte at a
        time would never time out."""
        try:
            async with asyncio.timeout(self.spec.timeout_s):
                return await posting
        except TimeoutError:
            raise DeadlineExceeded(
                f"Timeout: no whole answer within timeout_s ({self.spec.timeout_s:g} s, a "
                "deadline for the whole request)") from None

    def _wait_after(self, exc: Exception, attempt: int) -> float:
        """How long to wait before retrying after `exc`; a long server-asked wait is said."""
        headers = getattr(getattr(exc, "response", None), "headers", None)
        asked = requested_wait(headers)
        if asked is None:
            return backoff_seconds(attempt)
        wait = min(self.spec.max_retry_after_s, asked)
        now = time.monotonic()
        if wait >= LONG_WAIT_S and now >= self._quiet_until:
            self._quiet_until = now + wait
            capped = (f", capped by judges.{self.spec.name}.max_retry_after_s"
                      if asked > wait else "")
            info(f"judge '{self.spec.name}': the server asked to wait {asked:,.0f} s "
                 f"({self._describe(exc)[:80]}); waiting {wait:,.0f} s{capped}")
        return wait

    async def post(self, path: str, body: dict[str, Any], tokens: int,
                   read: Callable[[str], Any]) -> tuple[Any, float]:
        """POST `body` to `path` at the next base URL, within the rate limits, retrying what
        is worth retrying; `read` turns the response text into a value (a ValueError or
        KeyError there is a bad reply, not retried). Raises `TransportError` at the end."""
        spec = self.spec
        error = "not sent"
        for attempt in range(spec.max_retries + 1):
            client = self.clients[self._next % len(self.clients)]
            self._next += 1
            await self.limiter.acquire(tokens)
            started = time.perf_counter()
            self.stats.http_requests += 1
            try:
                # The client's own transport, auth, status errors and timeouts, without its
                # typed request transform and response model (~0.5 ms of CPU per call); the
                # body is streamed and read only up to the byte cap.
                text = await self._within_deadline(self._post(client, path, body))
                if text is None:
                    raise AnswerTooLarge(f"answer over {spec.max_answer_bytes:,} bytes")
                return read(text), round(time.perf_counter() - started, 4)
            except AnswerTooLarge:
                raise
            except Exception as exc:  # noqa: BLE001 - every failure becomes a counted status
                error = self._describe(exc)
                if not self._retryable(exc) or attempt == spec.max_retries:
                    break
                self.stats.retries += 1
                await asyncio.sleep(self._wait_after(exc, attempt))
        raise TransportError(error)

    async def call(self, request: ChatRequest) -> ChatResult:
        """Send one chat request; never raises for HTTP trouble (status "error", or
        "too_large" for an answer over the byte cap)."""
        started = time.perf_counter()
        try:
            (content, usage), latency = await self.post(
                "/chat/completions", chat_body(self.spec, request),
                request.estimated_tokens(self.spec.max_tokens), _read_completion)
        except AnswerTooLarge as exc:
            return ChatResult(key=request.key, status=TOO_LARGE, error=str(exc),
                              latency_s=round(time.perf_counter() - started, 4))
        except TransportError as exc:
            return ChatResult(key=request.key, status=ERROR, error=str(exc))
        return ChatResult(key=request.key, status=OK, content=content, prompt_tokens=usage[0],
                          completion_tokens=usage[1], latency_s=latency)

    async def close(self) -> None:
        for client in self.clients:
            await client.close()


def _from_cache(answer: CachedAnswer) -> ChatResult:
    return ChatResult(
        key=answer.key, status=answer.status, content=answer.content, parsed=answer.parsed,
        prompt_tokens=answer.prompt_tokens or 0, completion_tokens=answer.completion_tokens or 0,
        latency_s=answer.latency_s or 0.0, cached=True,
    )


async def _complete_many(spec: LLMSpec, requests: Sequence[ChatRequest], cache: LLMCache | None,
                         parse: Parser | None, stats: CallStats, desc: str) -> list[ChatResult]:
    """The body of `complete_many`, inside its event loop."""
    results: list[ChatResult | None] = [None] * len(requests)
    cached = cache.get_many(r.key for r in requests) if cache is not None else {}
    todo: list[int] = []
    copies: dict[str, list[int]] = {}  # a key asked twice is sent once
    for index, request in enumerate(requests):
        hit = cached.get(request.key)
        if hit is not None:
            results[index] = _from_cache(hit)
            stats.cached += 1
            stats.status[hit.status] += 1
        elif request.key in copies:
            copies[request.key].append(index)
        else:
            copies[request.key] = []
            todo.append(index)
    if todo:
        caller = _Caller(spec, stats)
        queue = iter(todo)
        bar = progress(total=len(todo), desc=desc, unit="req")
        failures = {"in_a_row": 0, "last": ""}
        give_up_after = max(MIN_FAILURES_IN_A_ROW, 2 * spec.concurrency)

        async def worker() -> None:
            for index in queue:
                if failures["in_a_row"] >= give_up_after:
                    return
                request = requests[index]
                result = await caller.call(request)
                if result.status == ERROR:
                    failures["in_a_row"] += 1
                    failures["last"] = result.error or ""
                else:
                    failures["in_a_row"] = 0
                if result.status == OK and parse is not None:
                    result.status, result.parsed = parse(result.content or "", request)
                if result.status != ERROR and cache is not None:
                    cache.put(CachedAnswer(
                        key=request.key, model=spec.model, namespace=request.namespace,
                        item=request.item, params=request.params, content=result.content,
                        status=result.status, parsed=result.parsed,
                        prompt_tokens=result.prompt_tokens,
                        completion_tokens=result.completion_tokens, latency_s=result.latency_s,
                    ))
                stats.called += 1
                stats.status[result.status] += 1
                stats.prompt_tokens += result.prompt_tokens
                stats.completion_tokens += result.completion_tokens
                results[index] = result
                for copy in copies[request.key]:
                    results[copy] = result
                bar.update(1)

        try:
            await asyncio.gather(*(worker() for _ in range(min(spec.concurrency, len(todo)))))
        finally:
            bar.close()
            await caller.close()
        if failures["in_a_row"] >= give_up_after:
            raise MinerError(
                f"judge '{spec.name}' ({', '.join(spec.base_urls)}): {failures['in_a_row']} "
                f"requests in a row failed, stopped (last: {failures['last']}); answers so far "
                "are cached, rerun to resume"
            )
    return [r for r in results if r is not None]


async def apost_many(
    spec: LLMSpec,
    posts: Sequence[tuple[str, dict[str, Any], int]],
    read: Callable[[str], Any],
    *,
    on_done: Callable[[int], None] | None = None,
    stats: CallStats | None = None,
) -> list[Any]:
    """POST every `(path, body, estimated tokens)` with `spec`'s concurrency, rate limits,
    retries and round-robin; `read`'s values in order. The first request that fails after
    its retries stops the rest with a `MinerError`; `on_done(i)` follows each success."""
    caller = _Caller(spec, stats if stats is not None else CallStats())
    results: list[Any] = [None] * len(posts)
    queue = iter(range(len(posts)))

    async def worker() -> None:
        for index in queue:
            path, body, tokens = posts[index]
            results[index], _ = await caller.post(path, body, tokens, read)
            if on_done is not None:
                on_done(index)

    try:
        await asyncio.gather(*(worker() for _ in range(min(spec.concurrency, len(posts)))))
    except (TransportError, AnswerTooLarge) as exc:
        raise MinerError(f"{spec.name} ({', '.join(spec.base_urls)}): {exc}") from None
    finally:
        await caller.close()
    return results


async def acomplete_many(
    spec: LLMSpec,
    requests: Sequence[ChatRequest],
    cache: LLMCache | None = None,
    *,
    parse: Parser | None = None,
    stats: CallStats | None = None,
    desc: str = "llm",
) -> list[ChatResult]:
    """`complete_many` inside a running event loop: several specs (models) can then be
    answered at once with `asyncio.gather`, each within its own limits."""
    return await _complete_many(spec, requests, cache, parse,
                                stats if stats is not None else CallStats(), desc)


def complete_many(
    spec: LLMSpec,
    requests: Sequence[ChatRequest],
    cache: LLMCache | None = None,
    *,
    parse: Parser | None = None,
    stats: CallStats | None = None,
    desc: str = "llm",
) -> list[ChatResult]:
    """Answer every request, from `cache` where possible, else from the endpoint.

    `parse(content, request) -> (status, parsed)` turns a raw answer into a status ("ok" or
    a failure name such as "no_match") and a JSON-serialisable value; both are cached with
    the raw answer. Transport failures after all retries come back with status "error" and
    are not cached; after max(10, 2 x concurrency) failures in a row (endpoint down, wrong
    model name) it stops with a `MinerError`. Requests sharing a key are sent once and share
    the result. Pass `stats` to collect counters (cache hits, calls, retries, tokens).
    Results are in request order. Not for use inside a running event loop.
    """
    return asyncio.run(_complete_many(spec, requests, cache, parse,
                                      stats if stats is not None else CallStats(), desc))
