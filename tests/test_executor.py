"""The executor seam: stages hand their batches to an executor and get them back in order,
whatever order the executor ran them in."""

from __future__ import annotations

import numpy as np

from miner.cluster.assign import assign_by_neighbours
from miner.executor import LOCAL
from miner.run import Run
from tests.test_embed_fixtures import CountingEmbedder, config_with, write_prompts


class ReversedExecutor:
    """Runs the batches last first (as a distributed engine may finish them), recording them."""

    name = "reversed"

    def __init__(self) -> None:
        self.batches: list[int] = []

    def map_batches(self, work, rows, batch_size, *, desc, unit="prompt"):
        starts = list(range(0, len(rows), batch_size))[::-1]
        for start in starts:
            batch = rows[start:start + batch_size]
            self.batches.append(len(batch))
            yield slice(start, start + len(batch)), work(batch, None)


def test_topic_assignment_is_the_same_on_any_executor():
    rng = np.random.default_rng(0)
    fitted = rng.normal(size=(300, 16)).astype(np.float32)
    fitted /= np.linalg.norm(fitted, axis=1, keepdims=True)
    topics = rng.integers(0, 5, size=300)
    xy = rng.normal(size=(300, 2)).astype(np.float32)
    others = rng.normal(size=(40_000, 16)).astype(np.float32)
    others /= np.linalg.norm(others, axis=1, keepdims=True)
    rows = np.arange(len(others))
    local = assign_by_neighbours(others, rows, fitted, topics, xy, 5, 0, LOCAL)
    executor = ReversedExecutor()
    remote = assign_by_neighbours(others, rows, fitted, topics, xy, 5, 0, executor)
    assert len(executor.batches) == 3 and sum(executor.batches) == len(rows)
    np.testing.assert_array_equal(local.topics, remote.topics)
    np.testing.assert_array_equal(local.xy, remote.xy)


def test_the_embed_stage_takes_its_chunks_from_the_executor(tmp_path):
    from miner.artifacts import open_embeddings
    from miner.embed import make_embedder, run_embed

    texts = [f"prompt number {i} for the executor seam" for i in range(10)]
    write_prompts(tmp_path, texts)
    config = config_with({"chunk_rows": 3, "precision": "fp32"})
    model = make_embedder(config["embed"])
    executor = ReversedExecutor()
    run_embed(Run(tmp_path), config, embedder=CountingEmbedder(model), executor=executor)
    assert executor.batches == [1, 3, 3, 3]
    np.testing.assert_allclose(open_embeddings(Run(tmp_path)), model.encode(texts), atol=1e-5)
