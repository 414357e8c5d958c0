"""The Ray engine on a local Ray instance (2 CPUs): the same results as the local engine,
errors that name the shard and the row, and one rate limit and one answer cache for an LLM
judge; under faults: a worker killed mid-shard (retried a bounded number of times, then one
line naming the shard), a driver killed mid-run (the rerun keeps every finished shard) and
an address nobody answers (one line, at once). Few tests, as Ray's start-up costs seconds;
skipped where the `ray` extra is missing.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

ray = pytest.importorskip("ray")

from miner.cluster import assign  # noqa: E402
from miner.config import load_config  # noqa: E402
from miner.demo.corpus import write_demo_corpus  # noqa: E402
from miner.engines import executor_for  # noqa: E402
from miner.engines.ray_data import EngineError, RayExecutor  # noqa: E402
from miner.judge import backends  # noqa: E402
from miner.run import Run  # noqa: E402
from tests.cli_errors import assert_cli_error  # noqa: E402
from tests.openai_server import OpenAIServer, chat_body  # noqa: E402
from tests.test_score import make_run, prompt_of  # noqa: E402


@pytest.fixture(scope="module")
def ray_instance():
    """One local Ray instance for the module (2 CPUs, no dashboard)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


SMALL = {
    "embed.chunk_rows": 64,                 # several shards per job
    "cluster.fit_sample": 120,              # the rest are assigned (cluster.assign: transform)
    "cluster.hdbscan.min_cluster_size": 8,
    "cluster.hdbscan.min_samples": 4,
    "score.judge": "heuristic",
}


def _stages(run_dir: Path, corpus: Path, engine: str) -> Run:
    from miner.cluster import run_cluster
    from miner.embed import run_embed
    from miner.index import run_index
    from miner.ingest import run_ingest
    from miner.judge import run_score

    run = Run(run_dir)
    run.path.mkdir(parents=True)
    config = load_config(None, {**SMALL, "engine.kind": engine})
    run_ingest(run, config, [corpus])
    for stage in (run_embed, run_index, run_cluster, run_score):
        stage(run, config)
    return run


def test_ray_gives_the_local_engines_vectors_topics_and_scores(
        ray_instance, tmp_path, monkeypatch):
    monkeypatch.setattr(assign, "CHUNK_ROWS", 64)         # several assignment shards
    monkeypatch.setattr(backends, "HEURISTIC_CHUNK", 100)  # several judging shards
    jobs: list[tuple[str, int]] = []
    run_job = RayExecutor.map_batches

    def spy(self, work, rows, batch_size, *, desc, unit="prompt"):
        jobs.append((desc, -(-len(rows) // batch_size)))
        return run_job(self, work, rows, batch_size, desc=desc, unit=unit)

    monkeypatch.setattr(RayExecutor, "map_batches", spy)
    corpus = write_demo_corpus(tmp_path / "log.jsonl", n=400, seed=3)
    local = _stages(tmp_path / "local", corpus, "local")
    assert jobs == []
    remote = _stages(tmp_path / "ray", corpus, "ray")
    assert [desc for desc, _ in jobs] == ["embed", "assigning topics", "score heuristic"]
    assert all(shards > 1 for _, shards in jobs)

    a, b = np.load(local.file("embeddings.npy")), np.load(remote.file("embeddings.npy"))
    assert a.shape == b.shape and len(a) > 250
    assert float((a * b).sum(axis=1).min()) >= 0.9999
    topics = [pq.read_table(r.file("topics.parquet")).to_pandas() for r in (local, remote)]
    assert topics[0]["topic"].nunique() > 2
    assert (topics[0]["topic"] == topics[1]["topic"]).all()
    np.testing.assert_allclose(topics[0]["probability"], topics[1]["probability"], atol=1e-5)
    scores = [pq.read_table(r.file("scores.parquet")).to_pandas() for r in (local, remote)]
    assert scores[0]["score"].notna().all()
    assert scores[0]["score"].tolist() == scores[1]["score"].tolist()


def test_a_failing_row_is_named_with_its_shard(ray_instance):
    def work(rows, bar):
        if 13 in rows:
            raise ValueError("bad text")
        return [row * 2 for row in rows]

    executor = RayExecutor(workers=2)
    assert [r for _, out in executor.map_batches(work, list(range(10)), 4, desc="t")
            for r in out] == [row * 2 for row in range(10)]
    with pytest.raises(EngineError, match=r"^t: shard 3 \(rows 12-15\) failed at row 13 "
                                          r"\(prompt row 13\): ValueError: bad text$"):
        list(executor.map_batches(work, list(range(20)), 4, desc="t"))


class CountingChat:
    """Answers every judge request, recording when each came and for which prompt."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: list[float] = []
        self.prompts: list[str] = []

    def __call__(self, request: dict) -> dict:
        with self.lock:
            self.times.append(time.monotonic())
            self.prompts.append(prompt_of(request))
        return chat_body('{"criteria": [1, 2]}', model=request["model"])


def test_an_llm_judge_on_ray_keeps_one_rate_limit_and_one_cache(
        ray_instance, tmp_path, monkeypatch):
    from miner.judge import run_score

    rpm = 30                                   # a full bucket of 30, then one every 2 s
    texts = [f"Prove that the sum of the first {n} odd numbers is {n} squared, step by step."
             for n in range(34)]
    run = make_run(tmp_path, texts, duplicate_of={34 + i: i for i in range(10)})
    chat = CountingChat()
    with OpenAIServer(chat=chat) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "test")
        config = load_config(None, {"engine.kind": "ray", "score.judge": "m",
                                    "score.judge_defaults.rpm": rpm,
                                    "score.judge_defaults.concurrency": 8})
        assert executor_for(config, "score").name == "ray"
        first = run_score(run, config)
        again = run_score(run, config, force=True)   # everything from the one answer cache
    assert first.counts["scored"] == 34 and again.counts["scored"] == 34
    assert len(chat.prompts) == len(set(chat.prompts)) == 34   # no prompt judged twice
    elapsed = np.array(chat.times) - chat.times[0]
    for t in elapsed:      # the bucket's bound: rpm at once, then rpm / 60 per second
        assert (elapsed <= t).sum() <= rpm + t * rpm / 60 + 1
    assert elapsed[-1] >= 6.0                       # the 4 beyond the bucket waited ~2 s each


def _dies_on(row: int, marker: Path | None = None):
    """Work that kills its own worker process (as a segfault or the OOM killer would) on
    `row`: every time, or only the first time when `marker` names a file to leave behind."""
    def work(rows, bar):
        if row in rows and (marker is None or not marker.exists()):
            if marker is not None:
                marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return [r * 2 for r in rows]
    return work


def test_a_worker_killed_once_is_replaced_and_its_shard_redone(ray_instance, tmp_path):
    executor = RayExecutor(workers=2, max_retries=2)
    out = [r for _, batch in executor.map_batches(
        _dies_on(13, tmp_path / "died-once"), list(range(20)), 4, desc="t") for r in batch]
    assert (tmp_path / "died-once").exists()          # the worker did die
    assert out == [row * 2 for row in range(20)]


def test_a_worker_that_keeps_dying_stops_the_job_with_its_shard_named(ray_instance):
    executor = RayExecutor(workers=2, max_retries=1)
    started = time.monotonic()
    with pytest.raises(EngineError) as caught:
        list(executor.map_batches(_dies_on(13), list(range(20)), 4, desc="score heuristic"))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("score heuristic: shard 3 (rows 12-15) failed 2 time(s): "
                              "a worker died"), message
    assert "engine.max_retries=1" in message
    assert time.monotonic() - started < 240          # bounded, where it used to retry forever


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_address_nobody_answers_is_one_line(tmp_path):
    run = make_run(tmp_path / "run", ["Explain the borrow checker of Rust with an example."])
    address = f"127.0.0.1:{_closed_port()}"
    result = subprocess.run(
        [sys.executable, "-c", "from miner.cli import main; main()", "score", "--run",
         str(run.path), "--judge", "heuristic", "--engine", "ray"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "RAY_ADDRESS": address})
    assert_cli_error(result, "cannot connect to Ray", address)


def test_a_successful_ray_run_prints_no_error_lines(tmp_path):
    """Ray's core prints an `E ... core_worker.cc` notice for every actor pool of a job that
    succeeds; miner keeps it off the terminal (it would read like a failure)."""
    run = make_run(tmp_path / "run", ["Explain the borrow checker of Rust with an example.",
                                      "Write a haiku about autumn leaves falling slowly."])
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "RAY_BACKEND_LOG_LEVEL")}
    result = subprocess.run(
        [sys.executable, "-c", "from miner.cli import main; main()", "score", "--run",
         str(run.path), "--judge", "heuristic", "--engine", "ray"],
        capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    assert "engine: ray at a local instance" in result.stderr
    assert "core_worker" not in result.stderr and " E " not in result.stderr, result.stderr


def test_a_killed_driver_resumes_without_redoing_finished_shards(
        ray_instance, tmp_path):
    from miner.embed import run_embed
    from miner.ingest import run_ingest

    corpus = write_demo_corpus(tmp_path / "log.jsonl", n=600, seed=3)
    settings = tmp_path / "engine.yaml"
    settings.write_text("embed:\n  chunk_rows: 16\nengine:\n  kind: ray\n  local_cpus: 2\n")
    run = Run(tmp_path / "run")
    run.path.mkdir()
    config = load_config(settings, {})
    run_ingest(run, config, [corpus])
    driver = subprocess.Popen(
        [sys.executable, "-c", "from miner.cli import main; main()", "embed", "--run",
         str(run.path), "--config", str(settings)],
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cache = run.file("embed_cache")
    deadline = time.monotonic() + 300
    try:
        while not list(cache.glob("*/chunk-*.hashes.npy")) and time.monotonic() < deadline:
            assert driver.poll() is None, "the driver finished before it could be killed"
            time.sleep(0.02)
    finally:
        os.killpg(driver.pid, signal.SIGKILL)      # the driver and the Ray it started
        driver.wait()
    finished = sum(len(np.load(path)) for path in cache.glob("*/chunk-*.hashes.npy"))
    assert finished >= 16
    assert not run.file("embeddings.npy").exists()

    summary = run_embed(run, config).counts        # on this test's Ray instance
    assert summary["cached"] == finished
    assert summary["embedded"] == summary["distinct"] - finished > 0
    assert len(np.load(run.file("embeddings.npy"))) == summary["n"]
