"""The embed stage: prompts.parquet -> embeddings.npy + embeddings.json, chunked and resumable.

Rows with the same text are embedded once; texts already in the run's vector cache (an
earlier run, a killed run's finished chunks, a re-ingest's old rows) are not embedded again.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from miner import schema
from miner.artifacts import (
    EMBED_CACHE,
    EMBEDDINGS,
    EMBEDDINGS_INFO,
    PROMPTS,
    open_embeddings,
    read_table,
)
from miner.console import info
from miner.embed.base import Embedder
from miner.embed.cache import VectorCache, text_hashes
from miner.engines import executor_for
from miner.errors import InputError, MinerError, MissingArtifactError
from miner.executor import LOCAL, Executor
from miner.run import Run, StageOutcome, write_json


def make_embedder(embed_config: dict[str, Any]) -> Embedder:
    """The embedder the `embed` config section describes (models load on first use)."""
    backend = embed_config.get("backend")
    if backend == "sentence-transformers":
        from miner.embed.local import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(embed_config)
    if backend == "openai":
        from miner.embed.api import APIEmbedder

        return APIEmbedder(embed_config)
    if backend == "static":
        from miner.embed.static import StaticEmbedder

        return StaticEmbedder(embed_config)
    raise schema.invalid(("embed", "backend"), backend)


def run_embed(
    run: Run, config: dict[str, Any], *, force: bool = False, embedder: Embedder | None = None,
    executor: Executor | None = None,
) -> StageOutcome:
    """Embed every prompt of the run into embeddings.npy (row-aligned, float32, unit rows).

    Skipped when the prompt texts and the `embed` config are unchanged (unless `force`).
    `embedder` replaces the one the config describes (a notebook's own, or a test's);
    `executor` runs the chunks (`miner.executor`; None: the one `engine` names).
    """
    section = config["embed"]
    chunk_rows = int(section["chunk_rows"])
    texts = read_texts(run)
    hashes = text_hashes(texts)
    inputs = {"prompt_texts": texts_digest(hashes)}

    def body() -> dict[str, Any]:
        model = embedder if embedder is not None else make_embedder(section)
        chunks = executor if executor is not None else executor_for(config, "embed")
        return _embed(run, model, texts, hashes, chunk_rows, chunks)

    return run.run_stage(
        "embed", inputs=inputs, config=section, outputs=[EMBEDDINGS, EMBEDDINGS_INFO],
        body=body, force=force,
    )


def texts_digest(hashes: np.ndarray) -> str:
    """Fingerprint of the prompt texts in row order (the embed stage's input)."""
    return hashlib.sha256(hashes.tobytes()).hexdigest()[:16]


def current_embeddings(run: Run) -> np.ndarray:
    """The run's embeddings, after checking they were made from its current prompt texts."""
    vectors = open_embeddings(run)
    texts = read_texts(run)
    entry = run.stage_entry("embed") or {}
    made_from = entry.get("inputs", {}).get("prompt_texts")
    stale = len(vectors) != len(texts) or (
        made_from is not None and made_from != texts_digest(text_hashes(texts))
    )
    if stale:
        raise MissingArtifactError(
            f"{run.file(EMBEDDINGS)} was made from other prompts than {run.file(PROMPTS)} "
            f"({len(vectors):,} vectors, {len(texts):,} prompts): run `miner embed --run "
            f"{run.path}` again"
        )
    return vectors


def read_texts(run: Run) -> list[str]:
    """The `text` column of the run's prompts.parquet, in row order."""
    table = read_table(run, PROMPTS, ["text"])
    return [text or "" for text in table.column("text").to_pylist()]


def _embed(
    run: Run, embedder: Embedder, texts: list[str], hashes: np.ndarray, chunk_rows: int,
    executor: Executor = LOCAL,
) -> dict[str, Any]:
    with VectorCache(run.file(EMBED_CACHE), embedder.cache_key()) as cache:
        where = cache.locate()
        first_row: dict[bytes, int] = {}
        for row, digest in enumerate(hashes.tolist()):
            first_row.setdefault(digest, row)
        pending = [row for digest, row in first_row.items() if digest not in where]
        cached = len(first_row) - len(pending)
        info(
            f"embed: {len(texts):,} prompts, {len(first_row):,} distinct texts, {cached:,} "
            f"cached, {len(pending):,} to embed with {embedder.model_id} ({embedder.label()})"
        )
        batches = executor.map_batches(
            lambda rows, bar: embedder.encode([texts[row] for row in rows], progress=bar),
            pending, chunk_rows, desc="embed")
        for done, vectors in batches:      # each chunk is cached as soon as it is finished
            cache.add(hashes[pending[done]], vectors)
        cache.compact()
        dim = _assemble(run, cache, cache.locate(), hashes)
    record = {
        "backend": embedder.backend,
        "model": embedder.model_id,
        "dim": dim,
        "dtype": "float32",
        "precision": embedder.precision,
        "device": embedder.device,
        "n": len(texts),
    }
    write_json(run.output(EMBEDDINGS_INFO), record)
    return {**record, "distinct": len(first_row), "embedded": len(pending), "cached": cached}


def _assemble(
    run: Run, cache: VectorCache, where: dict[bytes, tuple[int, int]], hashes: np.ndarray
) -> int:
    """Write embeddings.npy row by row from the cache; returns the vector width."""
    if not cache.chunks:
        raise InputError(f"{run.file(PROMPTS)}: holds no prompts to embed")
    widths = sorted({int(vectors.shape[1]) for _, _, vectors in cache.chunks})
    if len(widths) > 1:
        raise MinerError(
            f"{cache.folder}: cached vectors have widths {widths} (the model changed under the "
            "same name?); delete that folder and rerun"
        )
    dim = widths[0]
    located = np.array([where[digest] for digest in hashes.tolist()], dtype=np.int64)
    located = located.reshape(-1, 2)
    out = np.lib.format.open_memmap(run.output(EMBEDDINGS), mode="w+", dtype=np.float32,
                                    shape=(len(hashes), dim))
    for position, (_, _, vectors) in enumerate(cache.chunks):
        rows = np.flatnonzero(located[:, 0] == position)
        if rows.size:
            out[rows] = vectors[located[rows, 1]]
    out.flush()
    del out
    return dim
