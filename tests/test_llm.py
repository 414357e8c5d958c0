"""miner.llm over a real socket with the real `openai` client: retries, limits, cache, keys."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from miner.errors import ConfigError, InputError, MinerError
from miner.llm import (
    CallStats,
    ChatRequest,
    LLMCache,
    cache_key,
    complete_many,
    resolve_endpoint,
)
from miner.llm.cache import MIGRATIONS, SCHEMA_VERSION
from miner.llm.client import retry_after_seconds, scrub
from miner.llm.ratelimit import RateLimiter
from tests.openai_server import OpenAIServer, Reply, chat_body


def make_spec(base_url, **settings):
    entry = {"model": "judge-m", "base_url": base_url, **settings}
    return resolve_endpoint({"judges": {"j": entry}}, "j")


def make_requests(n, namespace="ns"):
    return [
        ChatRequest(
            key=cache_key("judge-m", namespace, f"item{i}", {}),
            messages=[{"role": "user", "content": f"question {i}"}],
            namespace=namespace, item=f"item{i}",
        )
        for i in range(n)
    ]


def echo(request):
    return chat_body("echo: " + request["messages"][-1]["content"], prompt_tokens=7,
                     completion_tokens=3)


@pytest.fixture
def record_sleeps(monkeypatch):
    """Record the delays the client asks for, without waiting them out."""
    delays = []
    real_sleep = asyncio.sleep

    async def fake_sleep(delay, *args, **kwargs):
        delays.append(delay)
        await real_sleep(0)

    monkeypatch.setattr("miner.llm.client.asyncio.sleep", fake_sleep)
    return delays


def test_answers_come_back_in_order_and_are_cached(tmp_path):
    with OpenAIServer(chat=echo) as server:
        spec = make_spec(server.base_url, concurrency=4)
        with LLMCache(tmp_path / "c.sqlite") as cache:
            stats = CallStats()
            results = complete_many(spec, make_requests(12), cache, stats=stats)
            assert [r.content for r in results] == [f"echo: question {i}" for i in range(12)]
            assert stats.called == 12 and stats.cached == 0
            assert stats.prompt_tokens == 12 * 7 and stats.completion_tokens == 12 * 3
            sent = len(server.requests)
            again = CallStats()
            rerun = complete_many(spec, make_requests(12), cache, stats=again)
            assert len(server.requests) == sent == 12
            assert again.cached == 12 and again.called == 0
            assert all(r.cached for r in rerun)
            assert [r.content for r in rerun] == [r.content for r in results]
    body = server.requests[0][1]
    assert body["model"] == "judge-m" and body["temperature"] == 0.0


def test_429_retry_after_is_honoured(record_sleeps):
    calls = []

    def handler(request):
        calls.append(request)
        if len(calls) == 1:
            return Reply(429, {"error": {"message": "rate limited"}}, {"Retry-After": "1.5"})
        return echo(request)

    with OpenAIServer(chat=handler) as server:
        stats = CallStats()
        results = complete_many(make_spec(server.base_url, concurrency=1), make_requests(1),
                                stats=stats)
    assert results[0].status == "ok"
    assert len(calls) == 2 and stats.retries == 1
    assert 1.5 in record_sleeps


def test_500s_are_retried_with_backoff_then_give_up(record_sleeps, tmp_path):
    failures = {"left": 2}

    def flaky(request):
        if failures["left"]:
            failures["left"] -= 1
            return Reply(500, {"error": {"message": "boom"}})
        return echo(request)

    with OpenAIServer(chat=flaky) as server:
        results = complete_many(make_spec(server.base_url, concurrency=1), make_requests(1))
        assert results[0].status == "ok" and len(server.requests) == 3
    assert len(record_sleeps) == 2 and all(0 < d <= 60 for d in record_sleeps)

    down = OpenAIServer(chat=lambda r: Reply(503, {"error": {"message": "down"}}))
    with down as server, LLMCache(tmp_path / "c.sqlite") as cache:
        stats = CallStats()
        results = complete_many(make_spec(server.base_url, max_retries=3), make_requests(1),
                                cache, stats=stats)
        assert results[0].status == "error" and "503" in results[0].error
        assert len(server.requests) == 4 and stats.retries == 3
        assert cache.count() == 0  # failures are not cached: the next run asks again


def test_client_errors_are_not_retried():
    with OpenAIServer(chat=lambda r: Reply(400, {"error": {"message": "bad model"}})) as server:
        results = complete_many(make_spec(server.base_url), make_requests(1))
        assert results[0].status == "error" and "400" in results[0].error
        assert len(server.requests) == 1


def test_malformed_response_body_is_an_error_not_a_crash():
    with OpenAIServer(chat=lambda r: Reply(200, "this is not json")) as server:
        results = complete_many(make_spec(server.base_url, max_retries=0), make_requests(2))
    assert [r.status for r in results] == ["error", "error"]


def test_timeouts_are_retried_and_a_slow_server_still_answers(record_sleeps):
    def slow(request):
        return Reply(200, echo(request), delay=1.0)

    with OpenAIServer(chat=slow) as server:
        spec = make_spec(server.base_url, timeout_s=0.2, max_retries=1)
        results = complete_many(spec, make_requests(1))
        assert results[0].status == "error" and "Timeout" in results[0].error
        assert len(server.requests) == 2
        patient = make_spec(server.base_url, timeout_s=10.0, concurrency=4)
        results = complete_many(patient, make_requests(4))
        assert [r.status for r in results] == ["ok"] * 4


def test_an_answer_dripping_a_byte_at_a_time_meets_the_total_deadline(record_sleeps):
    """Each byte comes well within timeout_s, the whole answer (~13 s) never does: the
    deadline is per request, not per wait for the next byte."""
    def drip(request):
        return Reply(200, echo(request), drip=0.05)

    with OpenAIServer(chat=drip) as server:
        spec = make_spec(server.base_url, timeout_s=1.0, max_retries=1)
        results = complete_many(spec, make_requests(1))
        assert results[0].status == "error", results[0]
        assert results[0].error == ("Timeout: no whole answer within timeout_s (1 s, a "
                                    "deadline for the whole request)")
        assert len(server.requests) == 2   # a timeout is retried, as before


def test_endpoints_are_shared_round_robin():
    with OpenAIServer(chat=echo) as one, OpenAIServer(chat=echo) as two:
        spec = make_spec([one.base_url, two.base_url], concurrency=1)
        results = complete_many(spec, make_requests(10))
    assert all(r.status == "ok" for r in results)
    assert len(one.requests) == 5 and len(two.requests) == 5


def test_api_key_is_sent_but_never_stored_or_reported(tmp_path, monkeypatch):
    secret = "sk-test-0123456789abcdefSECRET"
    monkeypatch.setenv("JUDGE_KEY", secret)

    def leaky(request):
        if request["messages"][-1]["content"].endswith("0"):
            return Reply(401, {"error": {"message": f"Incorrect API key provided: {secret}"}})
        return echo(request)

    with OpenAIServer(chat=leaky) as server:
        spec = make_spec(server.base_url, api_key_env="JUDGE_KEY")
        assert secret not in repr(spec) and secret not in str(spec.public())
        with LLMCache(tmp_path / "c.sqlite") as cache:
            results = complete_many(spec, make_requests(3), cache)
    sent = [v for h in server.headers_seen for k, v in h.items() if k.lower() == "authorization"]
    assert sent and all(secret in v for v in sent)
    assert results[0].status == "error" and secret not in results[0].error
    assert "401" in results[0].error
    for path in tmp_path.iterdir():
        assert secret.encode() not in path.read_bytes()
    assert scrub(f"key {secret} leaked") == "key *** leaked"   # $JUDGE_KEY's value, whole
    monkeypatch.delenv("JUDGE_KEY")
    assert scrub(f"key {secret} leaked") == "key sk-test*** leaked"   # key-shaped


def test_openai_itself_needs_a_key():
    spec = resolve_endpoint({}, "gpt-4o-mini")
    assert spec.base_urls == ("https://api.openai.com/v1",) and spec.model == "gpt-4o-mini"
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        complete_many(spec, make_requests(1))


def test_bare_model_name_uses_openai_base_url(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    spec = resolve_endpoint({"judges": {}}, "my-model")
    assert spec.model == "my-model" and spec.base_urls == ("http://127.0.0.1:9/v1",)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"modle": "x"}, "unknown config key 'judges.j.modle'"),
        ({"concurrency": 0}, "judges.j.concurrency"),
        ({"rpm": -1}, "judges.j.rpm"),
        ({"base_url": 3}, "judges.j.base_url"),
        ({"max_answer_bytes": 0}, "'judges.j.max_answer_bytes' must be an integer >= 1"),
        ({"max_retry_after_s": -1}, "'judges.j.max_retry_after_s' must be a number >= 0"),
        ({"max_retry_after_s": "long"}, "judges.j.max_retry_after_s"),
    ],
)
def test_bad_judge_entries_are_one_clear_error(entry, message):
    with pytest.raises(ConfigError, match=message):
        resolve_endpoint({"judges": {"j": entry}}, "j")


def test_retry_after_forms():
    assert retry_after_seconds({"retry-after": "2"}) == 2.0
    assert retry_after_seconds({"retry-after-ms": "250"}) == 0.25
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert retry_after_seconds({}) is None
    assert retry_after_seconds({"retry-after": "not a date"}) is None
    assert retry_after_seconds({"retry-after": "3600"}) == 300.0
    assert retry_after_seconds({"retry-after": "3600"}, cap=30.0) == 30.0


def test_a_long_retry_after_is_announced_and_capped_by_config(record_sleeps, capsys):
    calls = []

    def handler(request):
        calls.append(request)
        if len(calls) == 1:
            return Reply(429, {"error": {"message": "slow down"}}, {"Retry-After": "3600"})
        if len(calls) == 2:
            return Reply(429, {"error": {"message": "slow down"}}, {"Retry-After": "2"})
        return echo(request)

    with OpenAIServer(chat=handler) as server:
        spec = make_spec(server.base_url, concurrency=1, max_retry_after_s=120)
        results = complete_many(spec, make_requests(1))
    assert results[0].status == "ok" and record_sleeps[:2] == [120.0, 2.0]
    lines = capsys.readouterr().err.splitlines()   # the 2 s wait is not announced
    assert len(lines) == 1 and "slow down" in lines[0]
    assert lines[0].startswith("judge 'j': the server asked to wait 3,600 s (HTTP 429")
    assert lines[0].endswith("; waiting 120 s, capped by judges.j.max_retry_after_s")


def test_an_answer_over_the_byte_cap_is_not_read_nor_stored(tmp_path):
    huge = "x" * (64 << 20)

    def endless(request):
        content = request["messages"][-1]["content"]
        if content == "question 1":
            return Reply(200, chat_body(huge), chunked=True)   # no Content-Length: streamed
        if content == "question 2":
            return chat_body("y" * (4 << 20))                   # over the cap by Content-Length
        return echo(request)

    with OpenAIServer(chat=endless) as server, LLMCache(tmp_path / "c.sqlite") as cache:
        stats = CallStats()
        spec = make_spec(server.base_url, concurrency=1)
        assert spec.max_answer_bytes == 1 << 20
        results = complete_many(spec, make_requests(3), cache, stats=stats)
        assert [r.status for r in results] == ["ok", "too_large", "too_large"]
        assert results[1].content is None and results[1].error == "answer over 1,048,576 bytes"
        assert stats.status == {"ok": 1, "too_large": 2}
        stored = cache.get_many([r.key for r in results])
        assert [stored[r.key].status for r in results] == ["ok", "too_large", "too_large"]
        assert stored[results[1].key].content is None
        again = complete_many(spec, make_requests(3), cache)   # cached: not asked again
        assert [r.status for r in again] == ["ok", "too_large", "too_large"]
        assert len(server.requests) == 3
    assert server.sent[1] < 32 << 20   # the 64 MiB body was cut off, not drained
    assert (tmp_path / "c.sqlite").stat().st_size < 1 << 20


class FakeClock:
    """A clock that only moves when the limiter sleeps."""

    def __init__(self):
        self.now = 0.0
        self.slept = []

    def __call__(self):
        return self.now

    async def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_rate_limiter_keeps_requests_and_tokens_per_minute():
    async def go(limiter, clock, sizes):
        for size in sizes:
            await limiter.acquire(size)
        return clock.now

    clock = FakeClock()
    limiter = RateLimiter(rpm=2, clock=clock, sleep=clock.sleep)
    # a full minute's budget of 2 goes at once, then one request every 30 s
    assert asyncio.run(go(limiter, clock, [1] * 4)) == pytest.approx(60.0)
    clock = FakeClock()
    limiter = RateLimiter(tpm=1000, clock=clock, sleep=clock.sleep)
    # 600 tokens fit, the next 600 wait for 200 more tokens: 12 s at 1000 per minute
    assert asyncio.run(go(limiter, clock, [600, 600])) == pytest.approx(12.0)
    clock = FakeClock()
    limiter = RateLimiter(rpm=1000, tpm=10, clock=clock, sleep=clock.sleep)
    # a request bigger than the whole budget takes the full bucket: the next waits a minute
    assert asyncio.run(go(limiter, clock, [600, 600])) == pytest.approx(60.0)
    clock = FakeClock()
    assert asyncio.run(go(RateLimiter(clock=clock, sleep=clock.sleep), clock, [10**9])) == 0


def test_cache_migrates_an_old_schema_and_refuses_a_newer_one(tmp_path):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        db.execute(statement)
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO answers (key, model, namespace, item, params, content, status, parsed, "
        "prompt_tokens, completion_tokens, latency_s, created_at) "
        "VALUES ('k', 'm', 'ns', 'i', '{}', 'raw', 'ok', '[1]', 1, 2, 0.1, 0)"
    )
    db.commit()
    db.close()
    with LLMCache(path) as cache:
        assert cache.schema_version == SCHEMA_VERSION
        answer = cache.get("k")
        assert answer.content == "raw" and answer.parsed == [1] and answer.origin == "api"
        assert [a.key for a in cache.answers("m", "ns")] == ["k"]
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(InputError, match="newer"):
        LLMCache(path)
    (tmp_path / "junk.sqlite").write_bytes(b"not a database at all" * 100)
    with pytest.raises(InputError, match="junk.sqlite"):
        LLMCache(tmp_path / "junk.sqlite")


def test_requests_sharing_a_key_are_sent_once():
    requests = make_requests(3) + make_requests(3)
    with OpenAIServer(chat=echo) as server:
        results = complete_many(make_spec(server.base_url, concurrency=4), requests)
        assert len(server.requests) == 3
    assert [r.content for r in results] == [f"echo: question {i}" for i in (0, 1, 2)] * 2


def test_a_dead_endpoint_stops_the_batch_with_one_clear_error(tmp_path):
    def no_such_model(request):
        return Reply(404, {"error": {"message": "model 'judge-m' not found"}})

    with OpenAIServer(chat=no_such_model) as server, LLMCache(tmp_path / "c.sqlite") as cache:
        with pytest.raises(MinerError, match="in a row failed.*not found.*rerun to resume"):
            complete_many(make_spec(server.base_url, concurrency=2), make_requests(100), cache)
        assert len(server.requests) < 20
