"""Contamination: find prompts that are near an existing benchmark's questions.

Two sources of questions, both on by default or by flag:

- the public benchmarks shipped with miner (`select.exclude_public`, default on;
  `--no-exclude-public` keeps their prompts): MT-bench, Arena-Hard v0.1, IFEval,
  AlpacaEval, WizardLM, Koala and self-instruct test sets, 2,323 prompts in
  `miner/data/public_benchmarks.jsonl.gz` (rebuilt by bench/build_public_benchmarks.py);
  a match is named `public:<benchmark>`;
- `--exclude-near FILE...` (`select.exclude_near`): every question of each file, read with
  ingest's readers (any format `miner ingest` reads), named by the file.

The questions are embedded with the run's embedding model through the run's vector cache
(`embed_cache/`), so only the first select of a run folder pays for them, and each prompt
whose cosine to one of them reaches the threshold is marked. A prompt whose normalised text
is a public benchmark prompt's is marked whatever the vectors say (similarity 1): this also
holds for a run folder that does not record its embedding model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from miner.artifacts import EMBED_CACHE, EMBEDDINGS_INFO, read_json
from miner.console import info
from miner.errors import ConfigError, InputError
from miner.run import Run

# `select` has no --on-error: a bad row of an --exclude-near file is skipped through config.
SKIP_HINT = "set ingest.on_error: skip in a --config file to skip such rows"

PUBLIC_FILE = Path(__file__).resolve().parents[1] / "data" / "public_benchmarks.jsonl.gz"
PUBLIC_PREFIX = "public:"


def public_questions() -> tuple[list[str], list[str]]:
    """The shipped public benchmarks' prompts and, for each, `public:<benchmark>`."""
    import gzip
    import json

    texts, names = [], []
    with gzip.open(PUBLIC_FILE, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            texts.append(record["prompt"])
            names.append(PUBLIC_PREFIX + record["benchmark"])
    return texts, names


@dataclass
class ExclusionSet:
    """Questions of existing benchmarks: their text, the file each came from, and vectors."""

    texts: list[str]
    files: list[str]
    vectors: np.ndarray  # float32, L2-normalised, one row per text


def load_exclusion_set(
    files: Sequence[str | Path], config: Mapping[str, Any], run: Run | None = None,
    *, public: bool = False,
) -> ExclusionSet:
    """Read and embed the questions of `files` (and, with `public`, of the shipped public
    benchmarks) with the embedder of `config["embed"]`, through `run`'s vector cache.

    When `run` has `embeddings.json`, its model must be the one configured: vectors of two
    models are not comparable.
    """
    from miner.embed import make_embedder
    from miner.ingest import read_prompt_texts

    texts: list[str] = []
    names: list[str] = []
    if public:
        texts, names = public_questions()
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
    vectors = _encode_cached(embedder, texts, run)
    return ExclusionSet(texts, names, vectors)


def _encode_cached(embedder: Any, texts: list[str], run: Run | None) -> np.ndarray:
    """`embedder`'s vectors of `texts`, from the run's vector cache where it has them; the
    rest are embedded and added to it (no run: all embedded)."""
    from miner.embed.cache import VectorCache, text_hashes

    if run is None:
        info(f"select: embedding {len(texts):,} benchmark questions to exclude near")
        return np.ascontiguousarray(embedder.encode(texts), dtype=np.float32)
    hashes = text_hashes(texts)
    with VectorCache(run.file(EMBED_CACHE), embedder.cache_key()) as cache:
        where = cache.locate()
        first: dict[bytes, int] = {}
        for row, digest in enumerate(hashes.tolist()):
            first.setdefault(digest, row)
        missing = [row for digest, row in first.items() if digest not in where]
        info(f"select: {len(texts):,} benchmark questions to exclude near, "
             f"{len(first) - len(missing):,} cached, {len(missing):,} to embed")
        if missing:
            cache.add(hashes[missing], embedder.encode([texts[row] for row in missing]))
            where = cache.locate()
        dim = int(cache.chunks[-1][2].shape[1])
        vectors = np.empty((len(texts), dim), dtype=np.float32)
        for row, digest in enumerate(hashes.tolist()):
            position, at = where[digest]
            vectors[row] = cache.chunks[position][2][at]
    return vectors


def exact_public_matches(hashes: pd.Series, found: pd.DataFrame) -> pd.DataFrame:
    """`found` (indexed like `hashes`, prompts.parquet's normalised-text hashes) with every
    prompt whose text is a public benchmark prompt's set to similarity 1 and that prompt."""
    from miner.ingest.text import text_hash

    texts, names = public_questions()
    by_hash: dict[str, int] = {}
    for number, text in enumerate(texts):
        by_hash.setdefault(text_hash(text), number)
    found = found.copy()
    for index, digest in hashes.items():
        number = by_hash.get(digest)
        if number is not None:
            found.loc[index, ["similarity", "near_text", "near_file"]] = [
                1.0, texts[number], names[number]]
    return found


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
