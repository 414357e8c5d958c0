"""Read the run folder's artifacts for the report: each one optional but prompts.parquet.

Artifacts are read through `miner.artifacts` (so one a stage left half-published is
refused); the report's own checks are on the columns and entries it draws from, each a
one-line `InputError` naming the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from miner.artifacts import (
    FUNNEL,
    PROMPTS,
    QUESTIONS,
    SCORE_SUMMARY,
    SCORES,
    SELECTION,
    SELECTION_SUMMARY,
    TOPIC_INFO,
    TOPICS,
    Artifact,
    read_json,
    read_schema,
    read_table,
    read_topic_info,
)
from miner.errors import InputError
from miner.jsonl import read_objects
from miner.run import Run

SELECTED_REASON = "selected"

# Artifacts the report reads besides prompts.parquet, in pipeline order.
OPTIONAL_ARTIFACTS: tuple[Artifact, ...] = (
    FUNNEL, TOPICS, TOPIC_INFO, SCORES, SCORE_SUMMARY, SELECTION, QUESTIONS, SELECTION_SUMMARY,
)
REPORT_INPUTS = (PROMPTS, *OPTIONAL_ARTIFACTS)

# scores.parquet columns that are not rubric criteria even when boolean.
_SCORE_META = {"id", "hash", "judge", "rubric", "score", "status"}


@dataclass
class ReportInputs:
    """Everything the report draws from, joined onto prompts.parquet's rows."""

    rows: pd.DataFrame
    """One row per prompt, in prompts.parquet order: id, exact_dup, near_dup, source (when
    prompts.parquet has it), and, when the artifacts exist, topic, probability, x, y, score,
    status, one column per criterion, selected."""
    texts: pa.ChunkedArray | None
    """prompts.parquet's text column, row-aligned with `rows` (None with include_text off)."""
    funnel: list[dict[str, Any]] | None = None
    topic_info: dict[str, Any] | None = None
    criteria: list[str] = field(default_factory=list)
    score_summary: dict[str, Any] | None = None
    judges: list[str] = field(default_factory=list)
    rubrics: list[str] = field(default_factory=list)
    selection_reasons: dict[str, int] | None = None
    selection_summary: dict[str, Any] | None = None
    n_questions: int | None = None
    present: dict[str, bool] = field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        """Optional artifacts not (yet) in the run folder."""
        return [name for name, there in self.present.items() if not there]

    def text_at(self, positions: list[int]) -> list[str]:
        """Prompt texts at row positions (empty strings when text is left out)."""
        if self.texts is None:
            return [""] * len(positions)
        taken = self.texts.take(pa.array(positions, type=pa.int64()))
        return [value if value is not None else "" for value in taken.to_pylist()]


def _unique_ids(run: Run, item: Artifact, ids: pd.Series) -> None:
    duplicated = ids[ids.duplicated()]
    if len(duplicated):
        raise InputError(f"{run.file(item)}: id {duplicated.iloc[0]!r} appears more than once")


def _join(run: Run, item: Artifact, rows: pd.DataFrame, other: pd.DataFrame) -> pd.DataFrame:
    """Left-join `other` (which has an `id` column) onto `rows` by id, keeping row order."""
    other = other.assign(id=other["id"].astype(str))
    _unique_ids(run, item, other["id"])
    return rows.merge(other, on="id", how="left", sort=False)


def _read_funnel(run: Run) -> list[dict[str, Any]]:
    steps = read_json(run, FUNNEL)
    if not isinstance(steps, list):
        raise InputError(f"{run.file(FUNNEL)}: expected a list of {{step, count}} objects")
    funnel = []
    for number, item in enumerate(steps, start=1):
        if not isinstance(item, dict) or "step" not in item or "count" not in item:
            raise InputError(f"{run.file(FUNNEL)}: entry {number}: expected {{step, count}}, "
                             f"got {item!r:.80}")
        funnel.append({"step": str(item["step"]), "count": int(item["count"])})
    return funnel


def _selected_ids(run: Run, inputs: ReportInputs) -> set[str] | None:
    """Ids the benchmark took (selection.parquet's `reason == "selected"`), and the counts of
    every reason and of the questions written."""
    if inputs.present[QUESTIONS.name]:
        inputs.n_questions = sum(1 for _ in read_objects(run.require(QUESTIONS),
                                                         "question file"))
    if not inputs.present[SELECTION.name]:
        return None
    table = read_table(run, SELECTION, ["id", "reason"])
    counts = pd.Series(table.column("reason").to_pylist(), dtype=object).value_counts()
    inputs.selection_reasons = {str(k): int(v) for k, v in counts.items()}
    kept = pc.fill_null(pc.equal(table.column("reason"), SELECTED_REASON), False)
    ids = {str(value) for value in table.filter(kept).column("id").to_pylist()}
    if inputs.n_questions is None:
        inputs.n_questions = len(ids)
    return ids


def _read_prompts(run: Run) -> pd.DataFrame:
    """id plus exact_dup / near_dup flags (and `source`, when the log has one) of every
    prompt, in file order."""
    table = read_table(run, PROMPTS, ["id"], optional=["dup_of", "near_dup_of", "source"])
    rows = pd.DataFrame({"id": pd.Series(table.column("id").to_pylist(), dtype=object).astype(str)})
    if "source" in table.column_names:
        rows["source"] = pd.Series(table.column("source").to_pylist(), dtype=object)
    _unique_ids(run, PROMPTS, rows["id"])
    for name, column in (("exact_dup", "dup_of"), ("near_dup", "near_dup_of")):
        present = column in table.column_names
        rows[name] = (
            table.column(column).is_valid().to_numpy(zero_copy_only=False) if present else False
        )
    return rows


def _read_topics(run: Run) -> pd.DataFrame:
    topics = read_table(run, TOPICS, ["id", "topic"],
                        optional=["probability", "x", "y"]).to_pandas()
    try:
        topics["topic"] = topics["topic"].astype("Int64")
        for column in topics.columns[2:]:
            topics[column] = topics[column].astype(float)
    except (TypeError, ValueError):
        raise InputError(f"{run.file(TOPICS)}: 'topic' must hold integers and probability, x, "
                         "y numbers") from None
    return topics


def _read_scores(run: Run, inputs: ReportInputs) -> pd.DataFrame:
    """id, score, status and one column per criterion; judges and rubrics go to `inputs`."""
    schema = read_schema(run, SCORES)
    inputs.criteria = [
        f.name for f in schema if pa.types.is_boolean(f.type) and f.name not in _SCORE_META
    ]
    scores = read_table(run, SCORES, ["id", "score", *inputs.criteria],
                        optional=["status", "judge", "rubric"]).to_pandas()
    scores["score"] = pd.to_numeric(scores["score"], errors="coerce").astype(float)
    for name, attr in (("judge", "judges"), ("rubric", "rubrics")):
        if name in scores:
            setattr(inputs, attr, sorted(str(v) for v in scores[name].dropna().unique()))
            scores = scores.drop(columns=name)
    return scores


def _read_object(run: Run, item: Artifact) -> dict[str, Any]:
    value = read_json(run, item)
    if not isinstance(value, dict):
        raise InputError(f"{run.file(item)}: expected a JSON object")
    return value


def load_inputs(run: Run, *, include_text: bool = True) -> ReportInputs:
    """Read prompts.parquet (required) and every optional artifact that exists, joined by id."""
    texts = read_table(run, PROMPTS, ["text"]).column("text") if include_text else None
    inputs = ReportInputs(rows=_read_prompts(run), texts=texts)
    inputs.present = {item.name: run.has(item) for item in OPTIONAL_ARTIFACTS}
    if inputs.present[FUNNEL.name]:
        inputs.funnel = _read_funnel(run)
    if inputs.present[TOPICS.name]:
        inputs.rows = _join(run, TOPICS, inputs.rows, _read_topics(run))
    if inputs.present[TOPIC_INFO.name]:
        inputs.topic_info = read_topic_info(run)
    if inputs.present[SCORES.name]:
        inputs.rows = _join(run, SCORES, inputs.rows, _read_scores(run, inputs))
    if inputs.present[SCORE_SUMMARY.name]:
        inputs.score_summary = _read_object(run, SCORE_SUMMARY)
    if inputs.present[SELECTION_SUMMARY.name]:
        inputs.selection_summary = _read_object(run, SELECTION_SUMMARY)
    selected = _selected_ids(run, inputs)
    if selected is not None:
        inputs.rows["selected"] = inputs.rows["id"].isin(selected)
    return inputs
