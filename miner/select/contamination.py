"""Contamination: find prompts that are near an existing benchmark's questions.

`--exclude-near FILE...` reads every question of each file with ingest's readers (any format
`miner ingest` reads: MT-bench, Arena-Hard, plain JSONL, ...), embeds them with the run's
embedding model, and marks each prompt whose cosine to one of them reaches the threshold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from miner.artifacts import EMBEDDINGS_INFO, read_json
from miner.console import info
from miner.errors import ConfigError, InputError
from miner.run import Run

# `select` has no --on-error: a bad row of an --exclude-near file is skipped through config.
SKIP_HINT = "set ingest.on_error: skip in a --config file to skip such rows"


@dataclass
class ExclusionSet:
    """Questions of existing benchmarks: their text, the file each came from, and vectors."""

    texts: list[str]
    files: list[str]
    vectors: np.ndarray  # float32, L2-normalised, one row per text


def load_exclusion_set(
    files: Sequence[str | Path], config: Mapping[str, Any], run: Run | None = None
) -> ExclusionSet:
    """Read and embed the questions of `files` with the embedder of `config["embed"]`.

    When `run` has `embeddings.json`, its model must be the one configured: vectors of two
    models are not comparable.
    """
    from miner.embed import make_embedder
    from miner.ingest import read_prompt_texts

    texts: list[str] = []
    names: list[str] = []
    for file in files:
        if not Path(file).exists():
            raise InputError(f"{file}: --exclude-near file does not exist")
        found = read_prompt_texts([file], config, skip_hint=SKIP_HINT)
        if not found:
            raise InputError(f"{file}: no questions found to exclude near")
        texts.extend(found)
        names.extend([Path(file).name] * len(found))
    embedder = make_embedder(config["embed"])
    if run is not None and run.has(EMBEDDINGS_INFO):
        recorded = read_json(run, EMBEDDINGS_INFO)["model"]
        if recorded and recorded != embedder.model_id:
            raise ConfigError(
                f"{run.file(EMBEDDINGS_INFO)}: prompts were embedded with '{recorded}' but "
                f"embed.model is '{embedder.model_id}'; --exclude-near needs the same model"
            )
    info(f"select: embedding {len(texts)} questions from {len(files)} --exclude-near file(s)")
    vectors = np.ascontiguousarray(embedder.encode(texts), dtype=np.float32)
    return ExclusionSet(texts, names, vectors)


def nearest_excluded(
    vectors: np.ndarray, rows: np.ndarray, exclusion: ExclusionSet
) -> pd.DataFrame:
    """For each of `rows` of `vectors`: the closest excluded question and its cosine.

    Returns a frame indexed like `rows` with `similarity`, `near_text` and `near_file`.
    """
    import faiss

    index = faiss.IndexFlatIP(exclusion.vectors.shape[1])
    index.add(exclusion.vectors)
    sims = np.full(len(rows), -1.0, dtype=np.float32)
    nearest = np.zeros(len(rows), dtype=np.int64)
    for start in range(0, len(rows), 65536):
        chunk = np.ascontiguousarray(vectors[rows[start:start + 65536]], dtype=np.float32)
        found_sims, found_ids = index.search(chunk, 1)
        sims[start:start + len(chunk)] = found_sims[:, 0]
        nearest[start:start + len(chunk)] = found_ids[:, 0]
    return pd.DataFrame({
        "similarity": sims,
        "near_text": [exclusion.texts[i] for i in nearest],
        "near_file": [exclusion.files[i] for i in nearest],
    })
