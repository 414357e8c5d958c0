"""Prompt embeddings: the `Embedder` interface, its backends, and the chunked embed stage."""

from miner.embed.base import Embedder
from miner.embed.stage import (
    current_embeddings,
    load_embeddings,
    load_embeddings_info,
    make_embedder,
    read_prompt_columns,
    read_texts,
    run_embed,
)

__all__ = [
    "current_embeddings",
    "Embedder",
    "load_embeddings",
    "load_embeddings_info",
    "make_embedder",
    "read_prompt_columns",
    "read_texts",
    "run_embed",
]
