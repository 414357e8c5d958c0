"""Read the cluster stage's inputs and choose the prompts BERTopic is fitted on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from miner.errors import InputError, MissingArtifactError

# Longest text handed to the c-TF-IDF vectorizer per prompt: keywords come from the opening
# of a prompt, and a gigabyte-long line must not blow up the vocabulary.
MAX_TEXT_CHARS = 5000


@dataclass
class Prompts:
    """The per-row columns the cluster stage needs, row-aligned with embeddings.npy."""

    ids: np.ndarray          # object array of str
    root: np.ndarray         # int64: row this row copies its topic from (itself when distinct)
    path: Path

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def distinct(self) -> np.ndarray:
        """Rows that are neither exact nor near duplicates of another row."""
        return np.flatnonzero(self.root == np.arange(len(self.root)))


def read_prompts(path: Path) -> Prompts:
    """Read ids and duplicate links of prompts.parquet (texts are read later, for few rows)."""
    import pyarrow.parquet as pq

    names = set(pq.read_schema(path).names)
    if "id" not in names or "text" not in names:
        raise InputError(f"{path}: needs columns 'id' and 'text' (has {', '.join(sorted(names))})")
    links = [name for name in ("dup_of", "near_dup_of") if name in names]
    table = pq.read_table(path, columns=["id", *links])
    ids = np.asarray(table.column("id").to_pylist(), dtype=object)
    if any(value is None for value in ids):
        row = next(i for i, value in enumerate(ids) if value is None)
        raise InputError(f"{path}: row {row}: 'id' is empty")
    position = {value: i for i, value in enumerate(ids)}
    if len(position) != len(ids):
        seen: set[str] = set()
        row = next(i for i, value in enumerate(ids) if value in seen or seen.add(value))
        raise InputError(f"{path}: row {row}: id {ids[row]!r} appears twice")
    target = np.arange(len(ids), dtype=np.int64)
    for name in reversed(links):   # dup_of wins over near_dup_of
        for row, value in enumerate(table.column(name).to_pylist()):
            if value is not None and value in position and value != ids[row]:
                target[row] = position[value]
    return Prompts(ids=ids, root=_follow_links(target), path=path)


def _follow_links(target: np.ndarray) -> np.ndarray:
    """Resolve chains of duplicate links to their first distinct row (cycles end anywhere)."""
    root = target.copy()
    for _ in range(64):                      # pointer jumping: 2**64 hops
        jumped = root[root]
        if np.array_equal(jumped, root):
            break
        root = jumped
    cyclic = root[root] != root
    root[cyclic] = np.flatnonzero(cyclic)     # a cycle: its members stand for themselves
    return root


def read_texts(path: Path, rows: np.ndarray) -> list[str]:
    """Texts of `rows` (sorted ascending), each cut to MAX_TEXT_CHARS."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    column = pq.read_table(path, columns=["text"]).column("text")
    taken = column.take(pa.array(rows, type=pa.int64())).to_pylist()
    return [(text or "")[:MAX_TEXT_CHARS] for text in taken]


def open_embeddings(path: Path, n_rows: int) -> np.ndarray:
    """Memory-map embeddings.npy and check it is a float32 matrix with one row per prompt."""
    try:
        vectors = np.load(path, mmap_mode="r")
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable .npy file ({exc})") from None
    if vectors.ndim != 2 or vectors.dtype != np.float32:
        raise InputError(
            f"{path}: expected a float32 N x dim matrix, got {vectors.dtype} {vectors.shape}"
        )
    if vectors.shape[0] != n_rows:
        raise MissingArtifactError(
            f"{path}: has {vectors.shape[0]} rows but prompts.parquet has {n_rows}: "
            "run `miner embed` again"
        )
    return vectors


def sample_rows(candidates: np.ndarray, size: int, seed: int) -> np.ndarray:
    """A seeded sample of at most `size` of `candidates`, sorted ascending."""
    if len(candidates) <= size:
        return np.sort(candidates)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(candidates, size=size, replace=False))


def read_languages(path: Path, rows: np.ndarray) -> list[str | None]:
    """The `language` code of `rows` (None for every row when ingest wrote no such column)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if "language" not in pq.read_schema(path).names:
        return [None] * len(rows)
    column = pq.read_table(path, columns=["language"]).column("language")
    return column.take(pa.array(rows, type=pa.int64())).to_pylist()
