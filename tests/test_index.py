"""FAISS index, near-duplicate groups and stage bookkeeping, on synthetic unit vectors."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from miner.errors import ConfigError, MinerError
from miner.index import build_index, describe_index, load_index, nearest, run_index
from miner.run import Run
from tests.test_embed_fixtures import config_with, unit_rows, write_prompts


def brute_force(vectors: np.ndarray, queries: np.ndarray, k: int):
    sims = queries @ vectors.T
    order = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(sims, order, axis=1), order


def clustered(rng: np.random.Generator, n: int, dim: int, centres: int) -> np.ndarray:
    """Unit vectors around `centres` topics, like prompt embeddings."""
    middle = unit_rows(rng, centres, dim)
    points = middle[rng.integers(0, centres, n)] + 0.35 * unit_rows(rng, n, dim)
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def write_embeddings(run: Run, vectors: np.ndarray) -> None:
    np.save(run.file("embeddings.npy"), vectors.astype(np.float32))
    run.file("embeddings.json").write_text(json.dumps({
        "backend": "sentence-transformers", "model": "synthetic", "dim": vectors.shape[1],
        "dtype": "float32", "precision": "fp32", "device": "cpu", "n": len(vectors),
    }))


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    hits = [len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)]
    return float(np.mean(hits))


def test_exact_search_matches_brute_force():
    rng = np.random.default_rng(0)
    vectors, queries = unit_rows(rng, 400, 32), unit_rows(rng, 25, 32)
    ids = np.arange(1000, 1400)  # FAISS ids are row numbers, not positions
    index = build_index(vectors, ids, config_with()["index"])
    assert describe_index(index) == {"kind": "flat"}
    sims, found = nearest(index, queries, 10)
    true_sims, true_rows = brute_force(vectors, queries, 10)
    np.testing.assert_array_equal(found, ids[true_rows])
    np.testing.assert_allclose(sims, true_sims, atol=1e-5)
    # More neighbours asked for than exist: padded with -1 / -inf.
    sims, found = nearest(index, queries[:2], 405)
    assert (found[:, 400:] == -1).all() and np.isneginf(sims[:, 400:]).all()
    assert sorted(found[0, :400]) == list(ids)


def test_ivf_is_chosen_above_exact_max_and_keeps_recall(tmp_path):
    rng = np.random.default_rng(1)
    vectors = clustered(rng, 3000, 32, 40)
    write_prompts(tmp_path, [f"prompt {i}" for i in range(3000)])
    run = Run(tmp_path)
    write_embeddings(run, vectors)
    config = config_with(index={"exact_max": 1000})
    outcome = run_index(run, config)
    assert outcome.counts["kind"] == "ivf"
    assert outcome.counts["nlist"] == 3000 // 39  # 4 * sqrt(3000) capped at N / 39
    index = load_index(run, config["index"])
    assert describe_index(index)["nprobe"] == config["index"]["ivf_nprobe"]
    queries = clustered(rng, 200, 32, 40)
    _, found = nearest(index, queries, 10)
    assert recall(found, brute_force(vectors, queries, 10)[1]) >= 0.95


def test_hnsw_keeps_recall():
    rng = np.random.default_rng(2)
    vectors = clustered(rng, 3000, 32, 40)
    index = build_index(vectors, np.arange(3000), config_with(index={"kind": "hnsw"})["index"])
    assert describe_index(index)["kind"] == "hnsw"
    queries = clustered(rng, 200, 32, 40)
    _, found = nearest(index, queries, 10)
    assert recall(found, brute_force(vectors, queries, 10)[1]) >= 0.95


def rotate(a: np.ndarray, b: np.ndarray, cosine: float) -> np.ndarray:
    """The unit vector at `cosine` to `a`, in the plane of `a` and `b`."""
    side = b - (b @ a) * a
    side /= np.linalg.norm(side)
    return (cosine * a + np.sqrt(1 - cosine**2) * side).astype(np.float32)


def near_dup_run(tmp_path) -> tuple[Run, list[str], dict]:
    """60 random prompts with planted near-duplicates, written as if by ingest."""
    rng = np.random.default_rng(3)
    vectors = unit_rows(rng, 60, 32)
    vectors[10] = rotate(vectors[3], vectors[11], 0.98)     # 10 ~ 3
    vectors[25] = rotate(vectors[20], vectors[21], 0.965)   # chain 20 ~ 25 ~ 40 ...
    vectors[40] = rotate(vectors[25], vectors[25] - vectors[20], 0.965)
    assert vectors[20] @ vectors[40] < 0.95                  # ... though 20 and 40 are not close
    vectors[45] = rotate(vectors[7], vectors[8], 0.96)      # 45 ~ 7 (representative is row 7)
    vectors[30] = vectors[3]                                # exact duplicate of row 3
    vectors[50] = rotate(vectors[51], vectors[52], 0.94)    # below the threshold: not marked
    texts = [f"prompt number {i}" for i in range(60)]
    ids = [f"id{i:02d}" for i in range(60)]
    dup_of = [None] * 60
    dup_of[30] = ids[3]
    run = Run(tmp_path)
    stage = {"inputs": {"source": "abc"}, "config": {"dedup": True},
             "outputs": ["prompts.parquet"],
             "body": lambda: write_prompts(tmp_path, texts, dup_of, ids) and {"kept": 60}}
    run.run_stage("ingest", **stage)
    write_embeddings(run, vectors)
    return run, ids, stage


def test_near_duplicates_marked_in_groups_keeping_the_earliest(tmp_path):
    run, ids, ingest_stage = near_dup_run(tmp_path)
    before = pq.read_table(run.file("prompts.parquet"))
    outcome = run_index(run, config_with())
    after = pq.read_table(run.file("prompts.parquet"))
    marks = after.column("near_dup_of").to_pylist()
    expected = {10: "id03", 25: "id20", 40: "id20", 45: "id07"}
    assert {row: mark for row, mark in enumerate(marks) if mark} == expected
    assert after.drop(["near_dup_of"]).equals(before.drop(["near_dup_of"]))
    assert after.column_names == before.column_names
    assert outcome.counts["vectors"] == 59  # the exact duplicate is not indexed
    assert (outcome.counts["near_dup_marked"], outcome.counts["near_dup_groups"]) == (4, 3)
    # The rewrite does not make ingest look damaged; index itself is now up to date.
    assert run.run_stage("ingest", **ingest_stage).skipped
    assert run_index(run, config_with()).skipped
    # A re-ingest that rewrites prompts.parquet (near_dup_of empty again) redoes the marks.
    run.run_stage("ingest", **ingest_stage, force=True)
    assert not any(pq.read_table(run.file("prompts.parquet")).column("near_dup_of").to_pylist())
    assert not run_index(run, config_with()).skipped
    assert pq.read_table(run.file("prompts.parquet")).column("near_dup_of").to_pylist() == marks
    # A lower threshold joins the 0.94 pair too.
    lower = run_index(run, config_with(index={"near_dup_threshold": 0.93}))
    assert lower.counts["near_dup_marked"] == 5


def test_index_refuses_embeddings_out_of_step_with_prompts(tmp_path):
    write_prompts(tmp_path, ["one prompt here", "another prompt"])
    run = Run(tmp_path)
    write_embeddings(run, unit_rows(np.random.default_rng(4), 3, 8))
    stale = r"made from other prompts.*\(3 vectors, 2 prompts\).*miner embed"
    with pytest.raises(MinerError, match=stale):
        run_index(run, config_with())
    assert not run.has("index.faiss")


def test_hnsw_stage_and_search_parameters_survive_reloading(tmp_path):
    rng = np.random.default_rng(5)
    vectors = clustered(rng, 500, 16, 10)
    write_prompts(tmp_path, [f"prompt {i}" for i in range(500)])
    run = Run(tmp_path)
    write_embeddings(run, vectors)
    config = config_with(index={"kind": "hnsw", "hnsw_ef_search": 48})
    assert run_index(run, config).counts["kind"] == "hnsw"
    assert describe_index(load_index(run))["ef_search"] == 48  # as built, from the manifest
    reloaded = load_index(run, {**config["index"], "hnsw_ef_search": 96})
    assert describe_index(reloaded)["ef_search"] == 96
    _, found = nearest(reloaded, vectors[:50], 5)
    assert recall(found, brute_force(vectors, vectors[:50], 5)[1]) >= 0.95


def test_exact_near_duplicate_search_marks_the_same_groups_as_faiss(tmp_path):
    run, _, _ = near_dup_run(tmp_path)
    by_faiss = run_index(run, config_with(index={"near_dup_search": "faiss"}))
    faiss_marks = pq.read_table(run.file("prompts.parquet")).column("near_dup_of").to_pylist()
    exact = run_index(run, config_with(index={"near_dup_search": "exact"}))
    assert exact.counts["near_dup_search"] in ("cpu", "cuda") and not exact.skipped
    assert by_faiss.counts["near_dup_search"] == "faiss"
    assert pq.read_table(run.file("prompts.parquet")).column("near_dup_of").to_pylist() == (
        faiss_marks
    )
    assert exact.counts["near_dup_marked"] == by_faiss.counts["near_dup_marked"] == 4


def test_unknown_near_duplicate_search_is_one_clear_error(tmp_path):
    run, _, _ = near_dup_run(tmp_path)
    with pytest.raises(ConfigError, match="'index.near_dup_search' must be one of auto, faiss"):
        run_index(run, config_with(index={"near_dup_search": "gpu"}))
