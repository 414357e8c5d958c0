"""Every artifact of a run folder: its name, the stage that writes it, its schema, its reader.

This module is the only place that spells an artifact's file name (see docs/artifacts.md).
Stages write through `Run.run_stage`, which stages their outputs and publishes them together
with the stage's manifest entry; readers go through `Run.require`, which refuses an artifact
that does not match the manifest entry of the stage that wrote it (a stage killed while
publishing, or a file changed by hand) with one line naming the command to rerun.

"Distinct prompts" is defined here once: `prompt_roots` maps each row of prompts.parquet to
the row it stands for (itself when distinct), following `dup_of` (exact duplicates) and,
when asked, `near_dup_of` (near-duplicates).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from miner.errors import InputError, MissingArtifactError

if TYPE_CHECKING:
    import pyarrow as pa

    from miner.run import Run


@dataclass(frozen=True)
class Artifact:
    """One artifact: its path in the run folder, the stage writing it, what it must hold."""

    name: str
    stage: str
    kind: str                       # parquet json jsonl npy faiss dir sqlite html png
    columns: tuple[str, ...] = ()   # parquet: the columns every writer of it produces
    keys: tuple[str, ...] = ()      # json: required keys of the top-level object

    def __str__(self) -> str:
        return self.name


PROMPTS = Artifact("prompts.parquet", "ingest", "parquet", ("id", "text", "hash"))
FUNNEL = Artifact("funnel.json", "ingest", "json")
SCREENED = Artifact("screened.parquet", "ingest", "parquet", ("id", "rule"))
EMBEDDINGS = Artifact("embeddings.npy", "embed", "npy")
EMBEDDINGS_INFO = Artifact("embeddings.json", "embed", "json", keys=("model",))
EMBED_CACHE = Artifact("embed_cache", "embed", "dir")
INDEX = Artifact("index.faiss", "index", "faiss")
TOPICS = Artifact("topics.parquet", "cluster", "parquet", ("id", "topic"))
TOPIC_INFO = Artifact("topic_info.json", "cluster", "json", keys=("topics", "categories"))
BERTOPIC = Artifact("bertopic", "cluster", "dir")
SCORES = Artifact("scores.parquet", "score", "parquet", ("id", "hash", "score", "status"))
SCORE_SUMMARY = Artifact("score_summary.json", "score", "json", keys=("judge",))
JUDGE_CACHE = Artifact("judge.sqlite", "score", "sqlite")
QUESTIONS = Artifact("benchmark/question.jsonl", "select", "jsonl")
SELECTION = Artifact("benchmark/selection.parquet", "select", "parquet", ("id", "reason"))
SELECTION_SUMMARY = Artifact("benchmark/selection.json", "select", "json",
                             keys=("questions", "top"))
VALIDATION = Artifact("validation.json", "validate", "json", keys=("baseline", "benchmark"))
REPORT_PAGE = Artifact("report/index.html", "report", "html")
REPORT_SUMMARY = Artifact("report/summary.json", "report", "json")
REPORT_SCREENSHOT = Artifact("report/overview.png", "report", "png")

ARTIFACTS: dict[str, Artifact] = {a.name: a for a in (
    PROMPTS, FUNNEL, SCREENED, EMBEDDINGS, EMBEDDINGS_INFO, EMBED_CACHE, INDEX, TOPICS, TOPIC_INFO,
    BERTOPIC, SCORES, SCORE_SUMMARY, JUDGE_CACHE, QUESTIONS, SELECTION, SELECTION_SUMMARY,
    VALIDATION, REPORT_PAGE, REPORT_SUMMARY, REPORT_SCREENSHOT,
)}
# Artifacts several stages add to, never published as one stage's set.
SHARED = frozenset({EMBED_CACHE.name, JUDGE_CACHE.name})


def artifact(name: str) -> Artifact:
    """The declared artifact called `name`."""
    return ARTIFACTS[name]


def _rerun(run: Run, item: Artifact, force: bool = True) -> str:
    return f"run {run.rerun_hint(item.stage, force=force)}"


# -- readers -------------------------------------------------------------------------------
def read_json(run: Run, item: Artifact) -> Any:
    """The parsed JSON artifact, checked for its required keys."""
    path = run.require(item)
    try:
        value = json.loads(path.read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise MissingArtifactError(
            f"{path}: line {exc.lineno}: invalid JSON ({exc.msg}): {_rerun(run, item)}"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MissingArtifactError(
            f"{path}: unreadable ({_first_line(exc)}): {_rerun(run, item)}"
        ) from None
    if item.keys:
        if not isinstance(value, dict):
            raise MissingArtifactError(f"{path}: expected a JSON object: {_rerun(run, item)}")
        missing = [key for key in item.keys if key not in value]
        if missing:
            raise MissingArtifactError(
                f"{path}: key '{missing[0]}' is missing: {_rerun(run, item)}"
            )
    return value


def read_json_if_present(run: Run, item: Artifact) -> Any:
    """`read_json` when the artifact exists, else None."""
    return read_json(run, item) if run.has(item) else None


def read_schema(run: Run, item: Artifact) -> pa.Schema:
    """The Arrow schema of a Parquet artifact."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = run.require(item)
    try:
        return pq.read_schema(path)
    except (OSError, pa.ArrowException) as exc:
        raise MissingArtifactError(
            f"{path}: cannot read Parquet ({_first_line(exc)}): {_rerun(run, item)}"
        ) from None


def read_table(run: Run, item: Artifact, columns: Sequence[str] | None = None,
               optional: Sequence[str] = ()) -> pa.Table:
    """The Parquet artifact as an Arrow table: `columns` (default all) must exist,
    `optional` columns are read when present."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = read_schema(run, item).names
    path = run.file(item)
    wanted = list(columns) if columns is not None else list(names)
    for column in wanted:
        if column not in names:
            raise InputError(f"{path}: column '{column}' is missing: {_rerun(run, item)}")
    wanted += [c for c in optional if c in names and c not in wanted]
    try:
        return pq.read_table(path, columns=wanted)
    except (OSError, pa.ArrowException) as exc:
        raise MissingArtifactError(
            f"{path}: cannot read Parquet ({_first_line(exc)}): {_rerun(run, item)}"
        ) from None


def read_frame(run: Run, item: Artifact, columns: Sequence[str] | None = None,
               optional: Sequence[str] = ()) -> Any:
    """`read_table` as a pandas DataFrame; optional columns absent from the file are None."""
    frame = read_table(run, item, columns, optional).to_pandas()
    for column in optional:
        if column not in frame:
            frame[column] = None
    return frame


def open_embeddings(run: Run, n_rows: int | None = None) -> np.ndarray:
    """embeddings.npy memory-mapped: a float32 matrix with one row per prompt."""
    path = run.require(EMBEDDINGS)
    try:
        vectors = np.load(path, mmap_mode="r")
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable .npy file ({_first_line(exc)})") from None
    if vectors.ndim != 2 or vectors.dtype != np.float32:
        raise InputError(
            f"{path}: expected a float32 N x dim matrix, got {vectors.dtype} {vectors.shape}"
        )
    if n_rows is not None and vectors.shape[0] != n_rows:
        raise MissingArtifactError(
            f"{path}: has {vectors.shape[0]:,} rows but {PROMPTS.name} has {n_rows:,}: "
            f"{_rerun(run, EMBEDDINGS, force=False)}"
        )
    return vectors


def read_topic_info(run: Run | str | os.PathLike[str]) -> dict[str, Any]:
    """topic_info.json: topics and categories, each entry checked for its ids.

    `run` is a Run, or the path of a run folder (or of its topic_info.json)."""
    if isinstance(run, (str, os.PathLike)):
        from miner.run import Run

        path = Path(run)
        run = Run(path.parent if path.name == TOPIC_INFO.name and path.is_file() else path)
    info = read_json(run, TOPIC_INFO)
    topics, categories = info["topics"], info["categories"]
    if not isinstance(topics, list) or not isinstance(categories, list):
        raise MissingArtifactError(f"{run.file(TOPIC_INFO)}: 'topics' and 'categories' must be "
                                   f"lists: {_rerun(run, TOPIC_INFO)}")
    for number, entry in enumerate(topics, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("topic"), int):
            raise MissingArtifactError(f"{run.file(TOPIC_INFO)}: topics entry {number} has no "
                                       f"integer 'topic': {_rerun(run, TOPIC_INFO)}")
    return info


def topic_labels(info: dict[str, Any]) -> tuple[dict[int, str], dict[int, str]]:
    """Topic label and category label by topic number, from topic_info.json."""
    labels = {int(t["topic"]): str(t.get("label") or f"topic {t['topic']}")
              for t in info["topics"]}
    categories: dict[int, str] = {}
    for entry in info["categories"]:
        label = str(entry.get("label") or f"category {entry.get('category')}")
        for topic in entry.get("topics") or []:
            categories[int(topic)] = label
    return labels, categories


# -- distinct prompts ------------------------------------------------------------------------
def prompt_roots(ids: Sequence[Any], *links: Sequence[Any]) -> np.ndarray:
    """The row each row stands for: itself when distinct, else the first row of its chain.

    `links` are columns of ids (`dup_of`, then optionally `near_dup_of`); an earlier column
    wins over a later one, links to unknown ids are ignored, and a cycle's members stand for
    themselves.
    """
    position = {value: i for i, value in enumerate(ids)}
    target = np.arange(len(ids), dtype=np.int64)
    for column in reversed(links):
        for row, value in enumerate(column):
            if isinstance(value, str) and value and value != ids[row] and value in position:
                target[row] = position[value]
    root = target.copy()
    for _ in range(64):                      # pointer jumping: 2**64 hops
        jumped = root[root]
        if np.array_equal(jumped, root):
            break
        root = jumped
    cyclic = root[root] != root
    root[cyclic] = np.flatnonzero(cyclic)
    return root


def distinct_rows(roots: np.ndarray) -> np.ndarray:
    """Rows that stand for themselves under `prompt_roots`."""
    return np.flatnonzero(roots == np.arange(len(roots)))


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
