"""Read the cluster stage's inputs and choose the prompts BERTopic is fitted on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from miner.artifacts import PROMPTS, distinct_rows, prompt_roots, read_table
from miner.errors import InputError
from miner.run import Run

# Longest text handed to the c-TF-IDF vectorizer per prompt: keywords come from the opening
# of a prompt, and a gigabyte-long line must not blow up the vocabulary.
MAX_TEXT_CHARS = 5000


@dataclass
class Prompts:
    """The per-row columns the cluster stage needs, row-aligned with embeddings.npy."""

    ids: np.ndarray          # object array of str
    root: np.ndarray         # int64: row this row copies its topic from (itself when distinct)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def distinct(self) -> np.ndarray:
        """Rows that are neither exact nor near duplicates of another row."""
        return distinct_rows(self.root)


def read_prompts(run: Run) -> Prompts:
    """Read ids and duplicate links of prompts.parquet (texts are read later, for few rows)."""
    table = read_table(run, PROMPTS, ["id"], optional=["dup_of", "near_dup_of"])
    path = run.file(PROMPTS)
    ids = np.asarray(table.column("id").to_pylist(), dtype=object)
    if any(value is None for value in ids):
        row = next(i for i, value in enumerate(ids) if value is None)
        raise InputError(f"{path}: row {row}: 'id' is empty")
    if len(set(ids.tolist())) != len(ids):
        seen: set[str] = set()
        row = next(i for i, value in enumerate(ids) if value in seen or seen.add(value))
        raise InputError(f"{path}: row {row}: id {ids[row]!r} appears twice")
    links = [table.column(name).to_pylist() for name in ("dup_of", "near_dup_of")
             if name in table.column_names]
    return Prompts(ids=ids, root=prompt_roots(ids.tolist(), *links))


def read_texts(run: Run, rows: np.ndarray) -> list[str]:
    """Texts of `rows` (sorted ascending), each cut to MAX_TEXT_CHARS."""
    import pyarrow as pa

    column = read_table(run, PROMPTS, ["text"]).column("text")
    taken = column.take(pa.array(rows, type=pa.int64())).to_pylist()
    return [(text or "")[:MAX_TEXT_CHARS] for text in taken]


def sample_rows(candidates: np.ndarray, size: int, seed: int) -> np.ndarray:
    """A seeded sample of at most `size` of `candidates`, sorted ascending."""
    if len(candidates) <= size:
        return np.sort(candidates)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(candidates, size=size, replace=False))


def read_languages(run: Run, rows: np.ndarray) -> list[str | None]:
    """The `language` code of `rows` (None for every row when ingest wrote no such column)."""
    import pyarrow as pa

    table = read_table(run, PROMPTS, [], optional=["language"])
    if "language" not in table.column_names:
        return [None] * len(rows)
    return table.column("language").take(pa.array(rows, type=pa.int64())).to_pylist()
