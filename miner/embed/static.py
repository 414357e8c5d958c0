"""The `static` backend: a model2vec-style static embedder distilled from the local MiniLM.

Distillation (once, offline, from the sentence-transformers model on disk), as model2vec
does it: every token of the model's vocabulary goes through the model alone (between the
separator tokens) and its output states are averaged; the table is reduced by PCA and each
row weighted by SIF, a / (a + p), with the token's probability p estimated by Zipf's law
from its rank in the vocabulary (WordPiece vocabularies list frequent words first). A
text's vector is the mean of its tokens' rows (the first `MAX_TOKENS`): no transformer runs
at embedding time, at some loss of quality (measured against MiniLM in
docs/performance.md, "Static embeddings").

The table is written to `embed.static_dir` (default: ~/.cache/miner/static) keyed by the
source model and the PCA width, and built there on first use when missing (a minute on 2
cores, `python -m miner.embed.static` builds it ahead); nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from miner.console import info
from miner.embed.base import Embedder
from miner.embed.local import BUNDLED_ID, BUNDLED_NAMES, resolve_model_path
from miner.errors import MinerError
from miner.run import atomic_path

DEFAULT_DIR = Path("~/.cache/miner/static")
PCA_DIMS = 256
SIF_COEFFICIENT = 1e-5    # model2vec uses 1e-4; 1e-5 kept more of MiniLM's neighbours on wild_dev
MAX_TOKENS = 256          # what MiniLM reads; texts are cut at 8 characters a token first
BUILD_BATCH = 512


def table_dir(section: dict[str, Any]) -> Path:
    """Where static tables live: `embed.static_dir`, else $MINER_STATIC_DIR, else ~/.cache."""
    chosen = section.get("static_dir") or os.environ.get("MINER_STATIC_DIR") or DEFAULT_DIR
    return Path(chosen).expanduser()


class StaticEmbedder(Embedder):
    """Mean of per-token vectors distilled from a sentence-transformers model."""

    backend = "static"
    precision = "static"
    device = "cpu"

    def __init__(self, section: dict[str, Any]) -> None:
        name = str(section["model"])
        self.source = BUNDLED_ID if name in BUNDLED_NAMES else name
        self.model_id = f"static:{self.source}"
        self.path = resolve_model_path(name)
        self.max_chars = int(section["max_chars"])
        self.folder = table_dir(section)
        self._table: np.ndarray | None = None
        self._tokenizer: Any = None

    @property
    def file(self) -> Path:
        """The table's file: one per source model and PCA width."""
        recipe = f"{self.source}|{PCA_DIMS}|sif-{SIF_COEFFICIENT}"
        digest = hashlib.sha256(recipe.encode()).hexdigest()[:12]
        return self.folder / f"static-{digest}.npy"

    @property
    def table(self) -> np.ndarray:
        """The (vocabulary, dim) float32 token table, built from the model when missing."""
        if self._table is None:
            if not self.file.exists():
                build_table(self.path, self.file)
            self._table = np.load(self.file).astype(np.float32)
        return self._table

    @property
    def tokenizer(self) -> Any:
        """The model's fast tokenizer (tokenizer.json), without special tokens or truncation."""
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            source = Path(self.path) / "tokenizer.json"
            if not source.is_file():
                raise MinerError(f"embed.model {self.path!r}: the static backend needs a local "
                                 "model folder with tokenizer.json")
            tokenizer = Tokenizer.from_file(str(source))
            tokenizer.enable_truncation(MAX_TOKENS)
            tokenizer.no_padding()
            self._tokenizer = tokenizer
        return self._tokenizer

    @property
    def dim(self) -> int:
        return int(self.table.shape[1])

    def _encode(self, texts: list[str], progress: Any | None) -> np.ndarray:
        tokenizer = self.tokenizer            # before the table: a folder without one fails fast
        table = self.table
        out = np.zeros((len(texts), table.shape[1]), dtype=np.float32)
        for start in range(0, len(texts), 4096):
            block = [text[:MAX_TOKENS * 8] for text in texts[start:start + 4096]]
            encodings = tokenizer.encode_batch(block, add_special_tokens=False)
            ids = [np.asarray(e.ids, dtype=np.int64) for e in encodings]
            lengths = np.array([len(row) for row in ids])
            present = np.flatnonzero(lengths)
            if present.size:
                flat = np.concatenate([ids[i] for i in present])
                offsets = np.concatenate([[0], np.cumsum(lengths[present])[:-1]])
                sums = np.add.reduceat(table[flat], offsets, axis=0)
                out[start + present] = sums / lengths[present, None]
            if progress is not None:
                progress.update(len(block))
        return out

    def cache_key(self) -> dict[str, Any]:
        return {**super().cache_key(), "table": self.file.name, "max_tokens": MAX_TOKENS}


def build_table(model_path: str, destination: Path) -> Path:
    """Distil the static token table of the sentence-transformers model at `model_path`."""
    import torch
    from sklearn.decomposition import PCA

    from miner.embed.local import _load

    info(f"embed: distilling a static token table from {model_path} into {destination} (once)")
    model = _load(model_path, "cpu", "fp32")
    tokenizer = model.tokenizer
    vocabulary = len(tokenizer)
    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
    encoder = model[0]        # the transformer module: its per-position output states
    rows = []
    with torch.inference_mode():
        for start in range(0, vocabulary, BUILD_BATCH):
            ids = torch.arange(start, min(start + BUILD_BATCH, vocabulary))[:, None]
            input_ids = torch.cat([torch.full_like(ids, cls_id), ids,
                                   torch.full_like(ids, sep_id)], dim=1)
            features = {"input_ids": input_ids, "attention_mask": torch.ones_like(input_ids)}
            if "token_type_ids" in tokenizer.model_input_names:
                features["token_type_ids"] = torch.zeros_like(input_ids)
            states = encoder(features)["token_embeddings"]
            rows.append(states.float().mean(dim=1).numpy())
    table = np.concatenate(rows)
    table = PCA(n_components=min(PCA_DIMS, table.shape[1]), svd_solver="full").fit_transform(table)
    zipf = 1.0 / np.arange(2, vocabulary + 2, dtype=np.float64)
    table *= (SIF_COEFFICIENT / (SIF_COEFFICIENT + zipf / zipf.sum()))[:, None]
    destination.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(destination) as partial, open(partial, "wb") as handle:
        np.save(handle, table.astype(np.float16))
    destination.with_suffix(".json").write_text(json.dumps(
        {"source": model_path, "pca_dims": PCA_DIMS, "sif_coefficient": SIF_COEFFICIENT,
         "vocabulary": vocabulary}) + "\n")
    return destination


if __name__ == "__main__":  # `python -m miner.embed.static`: build the default table ahead
    from miner.config import load_config

    embedder = StaticEmbedder({**load_config(None)["embed"], "backend": "static"})
    print(embedder.table.shape, embedder.file)
