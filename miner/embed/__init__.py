"""Prompt embeddings: the `Embedder` interface, its backends, and the chunked embed stage.

The run's vectors and their record are read through `miner.artifacts` (`open_embeddings`,
`read_json(run, EMBEDDINGS_INFO)`).
"""

from miner.embed.base import Embedder
from miner.embed.stage import current_embeddings, make_embedder, read_texts, run_embed

__all__ = ["Embedder", "current_embeddings", "make_embedder", "read_texts", "run_embed"]
