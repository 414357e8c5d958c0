"""The OpenAI-compatible embeddings backend, through the real `openai` client over a socket."""

from __future__ import annotations

import hashlib
import threading
import time

import numpy as np
import pytest

from miner.artifacts import EMBEDDINGS_INFO, open_embeddings, read_json
from miner.embed import make_embedder, run_embed
from miner.errors import ConfigError, MinerError
from miner.run import Run
from tests.openai_server import OpenAIServer, Reply, embeddings_body
from tests.test_embed_fixtures import PROMPTS, config_with, write_prompts

KEY = "sk-test-SECRET-4f1c"


def vector_of(text: str, dim: int = 8) -> list[float]:
    """A deterministic, unnormalised vector per text (what the fake model 'knows')."""
    digest = hashlib.sha256(text.encode()).digest()
    return [(byte - 128) / 16 for byte in digest[:dim]]


def expected(texts: list[str]) -> np.ndarray:
    vectors = np.array([vector_of(t) for t in texts], dtype=np.float64)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def shuffled_reply(request: dict) -> dict:
    """Correct vectors, listed in reverse order (clients must sort by `index`)."""
    body = embeddings_body([vector_of(t) for t in request["input"]], model=request["model"])
    body["data"].reverse()
    return body


@pytest.fixture
def api_env(monkeypatch):
    def use(server: OpenAIServer) -> None:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
    return use


def api_config(**embed) -> dict:
    return config_with({"backend": "openai", "model": "text-embedding-3-small",
                        "api_batch_size": 3, **embed})


def test_api_embed_stage_batches_orders_and_keeps_key_secret(tmp_path, api_env):
    texts = PROMPTS[:6] + [PROMPTS[0]]  # one duplicate: 6 distinct texts
    write_prompts(tmp_path, texts)
    with OpenAIServer(embeddings=shuffled_reply) as server:
        api_env(server)
        outcome = run_embed(Run(tmp_path), api_config())
    bodies = [body for path, body in server.requests]
    assert [path for path, _ in server.requests] == ["/v1/embeddings"] * 2
    assert [len(body["input"]) for body in bodies] == [3, 3]
    assert all(b["model"] == "text-embedding-3-small" and b["encoding_format"] == "float"
               for b in bodies)
    auth = [{k.lower(): v for k, v in h.items()}["authorization"] for h in server.headers_seen]
    assert auth == [f"Bearer {KEY}"] * 2
    np.testing.assert_allclose(open_embeddings(Run(tmp_path)), expected(texts), atol=1e-6)
    assert read_json(Run(tmp_path), EMBEDDINGS_INFO)["model"] == "text-embedding-3-small"
    assert outcome.counts["backend"] == "openai" and outcome.counts["dim"] == 8
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), f"API key leaked into {path}"


def test_api_requests_run_concurrently_and_keep_their_order(api_env):
    lock = threading.Lock()
    in_flight = [0, 0]  # now, most at once

    def slow(request: dict):
        with lock:
            in_flight[0] += 1
            in_flight[1] = max(in_flight[1], in_flight[0])
        time.sleep(0.3)  # long enough for the client's other threads to send theirs
        with lock:
            in_flight[0] -= 1
        return embeddings_body([vector_of(t) for t in request["input"]])

    texts = [f"{prompt} #{i}" for i in range(3) for prompt in PROMPTS]  # 24 texts, 8 batches
    with OpenAIServer(embeddings=slow) as server:
        api_env(server)
        vectors = make_embedder(api_config(api_concurrency=3)["embed"]).encode(texts)
    assert len(server.requests) == 8
    assert 2 <= in_flight[1] <= 3
    np.testing.assert_allclose(vectors, expected(texts), atol=1e-6)


def test_api_retries_after_429_with_retry_after(tmp_path, api_env):
    seen = []

    def busy_once(request: dict):
        seen.append(request)
        if len(seen) == 1:
            return Reply(429, {"error": {"message": "slow down"}}, {"Retry-After": "0"})
        return embeddings_body([vector_of(t) for t in request["input"]])

    with OpenAIServer(embeddings=busy_once) as server:
        api_env(server)
        vectors = make_embedder(api_config()["embed"]).encode(PROMPTS[:2])
    assert len(seen) == 2
    np.testing.assert_allclose(vectors, expected(PROMPTS[:2]), atol=1e-6)


@pytest.mark.parametrize("reply, problem", [
    (lambda r: embeddings_body([vector_of(t) for t in r["input"]][:-1]), "got 1 vectors"),
    (lambda r: embeddings_body([[0.0] * 8 for _ in r["input"]]), "zero or not finite"),
    (lambda r: embeddings_body([vector_of(t, dim=4 + i) for i, t in enumerate(r["input"])]),
     "widths"),
    (lambda r: Reply(401, {"error": {"message": "bad key"}}), "HTTP 401"),
    (lambda r: Reply(200, "<html>not json</html>"), "embeddings API"),
])
def test_bad_api_replies_are_one_line_errors(api_env, reply, problem):
    with OpenAIServer(embeddings=reply) as server:
        api_env(server)
        embedder = make_embedder(api_config(api_max_retries=0)["embed"])
        with pytest.raises(MinerError, match=problem) as raised:
            embedder.encode(PROMPTS[:2])
    assert "\n" not in str(raised.value) and KEY not in str(raised.value)


def test_api_backend_needs_a_key_or_an_endpoint(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ConfigError, match=r"\$OPENAI_API_KEY"):
        make_embedder(api_config()["embed"])
