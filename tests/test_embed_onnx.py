"""The onnx backend: the bundled MiniLM really exported and run by ONNX Runtime."""

from __future__ import annotations

import numpy as np
import pytest

from miner.artifacts import EMBEDDINGS_INFO, open_embeddings, read_json
from miner.embed import make_embedder, run_embed
from miner.errors import ConfigError
from miner.run import Run
from tests.test_embed_fixtures import PROMPTS, config_with, write_prompts

# A few dozen texts: the fixture prompts, mixes of them, an empty one and one far past the
# 256 tokens MiniLM reads (and past max_chars).
TEXTS = [*PROMPTS, "", "ok", "  spaced   out\n\ttext  ",
         *[f"{a} {b}" for a in PROMPTS[:4] for b in PROMPTS[4:]],
         " ".join(PROMPTS) * 300,
         "def f(x):\n    return [i ** 2 for i in range(x)]  # squares",
         "Überprüfe bitte diesen Satz auf Grammatikfehler: Ich habe gestern ins Kino gegangen."]


@pytest.fixture(scope="module")
def onnx_dir(tmp_path_factory: pytest.TempPathFactory):
    return tmp_path_factory.mktemp("onnx")


def section(onnx_dir, **changes) -> dict:
    return config_with({"backend": "onnx", "onnx_dir": str(onnx_dir), **changes})["embed"]


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)


def test_fp32_matches_the_torch_path_and_exports_once(onnx_dir):
    onnx = make_embedder(section(onnx_dir))
    vectors = onnx.encode(TEXTS)
    torch_fp32 = make_embedder(config_with({"precision": "fp32"})["embed"]).encode(TEXTS)
    assert vectors.shape == (len(TEXTS), 384)
    assert cosines(vectors, torch_fp32).min() >= 0.9999
    today = make_embedder(config_with()["embed"]).encode(TEXTS)   # auto: bf16 or fp32
    assert cosines(vectors, today).min() >= 0.999
    (exported,) = onnx_dir.glob("onnx-*-fp32.onnx")
    stamp = exported.stat().st_mtime_ns
    again = make_embedder(section(onnx_dir)).encode(TEXTS[:3])
    np.testing.assert_allclose(again, vectors[:3], atol=1e-6)
    assert exported.stat().st_mtime_ns == stamp


def test_int8_is_close_and_every_variant_has_its_own_cache_key(onnx_dir):
    fp32 = make_embedder(section(onnx_dir))
    int8 = make_embedder(section(onnx_dir, precision="int8"))
    torch_fp32 = make_embedder(config_with({"precision": "fp32"})["embed"])
    close = cosines(int8.encode(TEXTS), torch_fp32.encode(TEXTS))
    assert close.min() >= 0.95 and close.mean() >= 0.98
    assert len(list(onnx_dir.glob("onnx-*-int8.onnx"))) == 1
    keys = [fp32.cache_key(), int8.cache_key(), torch_fp32.cache_key(),
            make_embedder(config_with()["embed"]).cache_key()]
    assert len({repr(sorted(key.items())) for key in keys}) == len(keys)
    assert int8.label() == "int8 on cpu"


def test_the_embed_stage_runs_it_and_keeps_its_vectors_apart(tmp_path, onnx_dir):
    write_prompts(tmp_path, [PROMPTS[0], PROMPTS[1], PROMPTS[0]])
    run = Run(tmp_path)
    config = config_with({"backend": "onnx", "onnx_dir": str(onnx_dir)})
    outcome = run_embed(run, config)
    assert outcome.counts["embedded"] == 2
    record = read_json(run, EMBEDDINGS_INFO)
    assert (record["backend"], record["precision"], record["n"]) == ("onnx", "fp32", 3)
    vectors = open_embeddings(run)
    expected = make_embedder(config["embed"]).encode([PROMPTS[0], PROMPTS[1]])
    np.testing.assert_allclose(vectors[[0, 1]], expected, atol=1e-5)
    # The sentence-transformers backend finds none of these vectors in the run's cache.
    torch_run = run_embed(run, config_with({"precision": "fp32"}))
    assert torch_run.counts["cached"] == 0 and torch_run.counts["embedded"] == 2


def test_settings_it_cannot_run_are_config_errors(onnx_dir):
    with pytest.raises(ConfigError, match="onnx backend runs auto, fp32 or int8"):
        make_embedder(section(onnx_dir, precision="bf16"))
    with pytest.raises(ConfigError, match="int8 runs on ONNX Runtime"):
        make_embedder(config_with({"precision": "int8"})["embed"])


def test_a_token_budget_batches_short_texts_together_and_keeps_the_vectors():
    plain = make_embedder(config_with()["embed"])
    budget = make_embedder(config_with({"batch_tokens": 64})["embed"])
    lengths = [len(ids) for ids in budget.tokenize(TEXTS)]
    order = np.argsort([-n for n in lengths], kind="stable")
    batches = list(budget._batches(order, lengths))
    assert sorted(np.concatenate(batches).tolist()) == list(range(len(TEXTS)))
    assert len(batches[0]) == 1                      # the 256-token text alone
    assert max(len(rows) for rows in batches) >= 3      # short texts share a batch
    for rows in batches:                             # no batch pads past the budget
        assert len(rows) == 1 or len(rows) * lengths[rows[0]] <= 64
    assert cosines(budget.encode(TEXTS), plain.encode(TEXTS)).min() >= 0.9999
