"""Helpers shared by the embed, index and search tests (no tests here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from miner.config import load_config
from miner.embed import Embedder

# Prompts with clear neighbours: two paraphrase pairs and unrelated topics.
PROMPTS = [
    "How do I reverse a list in Python without using the built-in reverse method?",
    "What is the best recipe for a moist chocolate cake with dark cocoa?",
    "Explain the difference between TCP and UDP network protocols.",
    "Write a short poem about the ocean at night and the moon on the waves.",
    "In Python, how can I flip the order of the elements of a list myself?",
    "Can you give me a recipe for a rich, moist dark chocolate cake?",
    "What are the main causes of inflation in a modern economy?",
    "Translate 'good morning, how are you today' into French and Spanish.",
]


def write_prompts(run_dir: Path, texts: list[str], dup_of: list[str | None] | None = None,
                  ids: list[str] | None = None) -> list[str]:
    """Write a prompts.parquet shaped like ingest's (the columns embed and index read)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    run_dir.mkdir(parents=True, exist_ok=True)
    ids = ids or [f"p{i:04d}" for i in range(len(texts))]
    table = pa.table({
        "id": pa.array(ids, pa.string()),
        "text": pa.array(texts, pa.string()),
        "n_chars": pa.array([len(t) for t in texts], pa.int64()),
        "dup_of": pa.array(dup_of or [None] * len(texts), pa.string()),
        "near_dup_of": pa.array([None] * len(texts), pa.string()),
    })
    pq.write_table(table, run_dir / "prompts.parquet")
    return ids


def config_with(embed: dict | None = None, index: dict | None = None) -> dict:
    """The default config with some embed/index keys changed."""
    overrides = {f"embed.{k}": v for k, v in (embed or {}).items()}
    overrides.update({f"index.{k}": v for k, v in (index or {}).items()})
    return load_config(None, overrides)


class CountingEmbedder(Embedder):
    """A real embedder, wrapped: counts the texts it embeds and can fail after N calls."""

    def __init__(self, inner: Embedder, fail_after_calls: int | None = None) -> None:
        self.inner = inner
        self.backend = inner.backend
        self.model_id = inner.model_id
        self.precision = inner.precision
        self.device = inner.device
        self.max_chars = inner.max_chars
        self.fail_after_calls = fail_after_calls
        self.calls = 0
        self.texts: list[str] = []

    @property
    def dim(self) -> int:
        return self.inner.dim

    def cache_key(self) -> dict:
        return self.inner.cache_key()

    def _encode(self, texts: list[str], progress) -> np.ndarray:
        if self.fail_after_calls is not None and self.calls >= self.fail_after_calls:
            raise KeyboardInterrupt("injected failure")
        self.calls += 1
        self.texts.extend(texts)
        return self.inner.encode(texts, progress=progress)


def unit_rows(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    """`n` random unit vectors."""
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
