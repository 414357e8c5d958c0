"""Read the run folder's artifacts for the report: each one optional but prompts.parquet.

Every reader checks the columns it needs and turns unreadable files into one-line
`InputError`s naming the file (and the line, for JSON Lines).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from miner.errors import InputError
from miner.jsonl import read_objects
from miner.run import Run

PROMPTS = "prompts.parquet"
FUNNEL = "funnel.json"
TOPICS = "topics.parquet"
TOPIC_INFO = "topic_info.json"
SCORES = "scores.parquet"
SCORE_SUMMARY = "score_summary.json"
SELECTION = "benchmark/selection.parquet"
QUESTIONS = "benchmark/question.jsonl"
SELECTION_SUMMARY = "benchmark/selection.json"
SELECTED_REASON = "selected"

# Artifacts the report reads, in pipeline order, with the command that writes each.
OPTIONAL_ARTIFACTS: dict[str, str] = {
    FUNNEL: "ingest",
    TOPICS: "cluster",
    TOPIC_INFO: "cluster",
    SCORES: "score",
    SCORE_SUMMARY: "score",
    SELECTION: "select",
    QUESTIONS: "select",
    SELECTION_SUMMARY: "select",
}
REPORT_INPUTS = (PROMPTS, *OPTIONAL_ARTIFACTS)

# scores.parquet columns that are not rubric criteria even when boolean.
_SCORE_META = {"id", "hash", "judge", "rubric", "score", "status"}
# selection.parquet boolean columns that mark a kept candidate, in order of preference.
_SELECTED_FLAGS = ("selected", "kept", "keep", "in_benchmark")


@dataclass
class ReportInputs:
    """Everything the report draws from, joined onto prompts.parquet's rows."""

    rows: pd.DataFrame
    """One row per prompt, in prompts.parquet order: id, exact_dup, near_dup, and, when the
    artifacts exist, topic, probability, x, y, score, status, one column per criterion, selected."""
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


def _read_parquet(path: Path, columns: list[str] | None = None) -> pa.Table:
    try:
        schema = _read_schema(path)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{path}: cannot read Parquet ({exc})") from None
    if columns is not None:
        missing = [name for name in columns if name not in schema.names]
        if missing:
            raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
    try:
        return pq.read_table(path, columns=columns)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{path}: cannot read Parquet ({exc})") from None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: line {exc.lineno}: invalid JSON ({exc.msg})") from None


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [record for _, record in read_objects(path, "question file")]


def _unique_ids(path: Path, ids: pd.Series) -> None:
    duplicated = ids[ids.duplicated()]
    if len(duplicated):
        raise InputError(f"{path}: id {duplicated.iloc[0]!r} appears more than once")


def _join(rows: pd.DataFrame, path: Path, other: pd.DataFrame) -> pd.DataFrame:
    """Left-join `other` (which has an `id` column) onto `rows` by id, keeping row order."""
    other = other.assign(id=other["id"].astype(str))
    _unique_ids(path, other["id"])
    return rows.merge(other, on="id", how="left", sort=False)


def _read_funnel(path: Path) -> list[dict[str, Any]]:
    value = _read_json(path)
    steps = value.get("steps", value) if isinstance(value, dict) else value
    if not isinstance(steps, list):
        raise InputError(f"{path}: expected a list of {{step, count}} objects")
    funnel = []
    for number, item in enumerate(steps, start=1):
        if not isinstance(item, dict) or "step" not in item or "count" not in item:
            raise InputError(f"{path}: entry {number}: expected {{step, count}}, got {item!r:.80}")
        funnel.append({"step": str(item["step"]), "count": int(item["count"])})
    return funnel


def _read_topic_info(path: Path) -> dict[str, Any]:
    info = _read_json(path)
    if not isinstance(info, dict) or not isinstance(info.get("topics", []), list):
        raise InputError(f"{path}: expected an object with a 'topics' list")
    for number, topic in enumerate(info.get("topics", []), start=1):
        if not isinstance(topic, dict) or "topic" not in topic:
            raise InputError(f"{path}: topics entry {number}: missing 'topic'")
    if not isinstance(info.get("categories", []), list):
        raise InputError(f"{path}: 'categories' must be a list")
    return info


def _selected_ids(run: Run, inputs: ReportInputs, prompts_path: Path) -> set[str] | None:
    """Ids the benchmark took.

    From selection.parquet (a boolean `selected`-like column, else `reason == "selected"`),
    else question.jsonl's uids when they are prompt ids, else its prompt texts.
    """
    questions = _read_jsonl(run.file(QUESTIONS)) if inputs.present[QUESTIONS] else None
    if questions is not None:
        inputs.n_questions = len(questions)
    if inputs.present[SELECTION]:
        table = _read_parquet(run.file(SELECTION))
        names = table.column_names
        if "reason" in names:
            counts = pd.Series(table.column("reason").to_pylist(), dtype=object).value_counts()
            inputs.selection_reasons = {str(k): int(v) for k, v in counts.items()}
        flag = next((name for name in _SELECTED_FLAGS if name in names), None)
        if "id" in names and (flag is not None or "reason" in names):
            if flag is not None:
                kept = pc.fill_null(table.column(flag).cast(pa.bool_()), False)
            else:
                kept = pc.fill_null(pc.equal(table.column("reason"), SELECTED_REASON), False)
            ids = {str(value) for value in table.filter(kept).column("id").to_pylist()}
            if questions is None:
                inputs.n_questions = len(ids)
            return ids
    if questions is None:
        return None
    keys = [q.get("uid", q.get("question_id")) for q in questions]
    known = set(inputs.rows["id"])
    if keys and all(str(key) in known for key in keys):
        return {str(key) for key in keys}
    texts = []
    for question in questions:
        prompt = question.get("prompt")
        if prompt is None and question.get("turns"):
            turn = question["turns"][0]
            prompt = turn.get("content") if isinstance(turn, dict) else turn
        texts.append(str(prompt))
    column = _read_parquet(prompts_path, ["text"]).column("text")
    mask = pc.fill_null(pc.is_in(column, value_set=pa.array(texts, type=pa.string())), False)
    return set(inputs.rows["id"][mask.to_numpy(zero_copy_only=False)])


def _read_prompts(path: Path) -> pd.DataFrame:
    """id plus exact_dup / near_dup flags of every prompt, in file order."""
    names = _read_schema(path).names
    table = _read_parquet(path, ["id"] + [n for n in ("dup_of", "near_dup_of") if n in names])
    rows = pd.DataFrame({"id": pd.Series(table.column("id").to_pylist(), dtype=object).astype(str)})
    _unique_ids(path, rows["id"])
    for name, column in (("exact_dup", "dup_of"), ("near_dup", "near_dup_of")):
        present = column in table.column_names
        rows[name] = (
            table.column(column).is_valid().to_numpy(zero_copy_only=False) if present else False
        )
    return rows


def _read_topics(path: Path) -> pd.DataFrame:
    names = _read_schema(path).names
    columns = ["id", "topic"] + [c for c in ("probability", "x", "y") if c in names]
    topics = _read_parquet(path, columns).to_pandas()
    try:
        topics["topic"] = topics["topic"].astype("Int64")
        for column in columns[2:]:
            topics[column] = topics[column].astype(float)
    except (TypeError, ValueError):
        raise InputError(f"{path}: 'topic' must hold integers and {columns[2:]} numbers") from None
    return topics


def _read_scores(path: Path, inputs: ReportInputs) -> pd.DataFrame:
    """id, score, status and one column per criterion; judges and rubrics go to `inputs`."""
    schema = _read_schema(path)
    inputs.criteria = [
        f.name for f in schema if pa.types.is_boolean(f.type) and f.name not in _SCORE_META
    ]
    columns = ["id", "score"] + [c for c in ("status", "judge", "rubric") if c in schema.names]
    scores = _read_parquet(path, columns + inputs.criteria).to_pandas()
    scores["score"] = pd.to_numeric(scores["score"], errors="coerce").astype(float)
    for name, attr in (("judge", "judges"), ("rubric", "rubrics")):
        if name in scores:
            setattr(inputs, attr, sorted(str(v) for v in scores[name].dropna().unique()))
            scores = scores.drop(columns=name)
    return scores


def _read_object(path: Path) -> dict[str, Any]:
    value = _read_json(path)
    if not isinstance(value, dict):
        raise InputError(f"{path}: expected a JSON object")
    return value


def load_inputs(run: Run, *, include_text: bool = True) -> ReportInputs:
    """Read prompts.parquet (required) and every optional artifact that exists, joined by id."""
    prompts_path = run.require(PROMPTS)
    texts = _read_parquet(prompts_path, ["text"]).column("text") if include_text else None
    inputs = ReportInputs(rows=_read_prompts(prompts_path), texts=texts)
    inputs.present = {name: run.file(name).exists() for name in OPTIONAL_ARTIFACTS}
    if inputs.present[FUNNEL]:
        inputs.funnel = _read_funnel(run.file(FUNNEL))
    if inputs.present[TOPICS]:
        inputs.rows = _join(inputs.rows, run.file(TOPICS), _read_topics(run.file(TOPICS)))
    if inputs.present[TOPIC_INFO]:
        inputs.topic_info = _read_topic_info(run.file(TOPIC_INFO))
    if inputs.present[SCORES]:
        scores = _read_scores(run.file(SCORES), inputs)
        inputs.rows = _join(inputs.rows, run.file(SCORES), scores)
    if inputs.present[SCORE_SUMMARY]:
        inputs.score_summary = _read_object(run.file(SCORE_SUMMARY))
    if inputs.present[SELECTION_SUMMARY]:
        inputs.selection_summary = _read_object(run.file(SELECTION_SUMMARY))
    selected = _selected_ids(run, inputs, prompts_path)
    if selected is not None:
        inputs.rows["selected"] = inputs.rows["id"].isin(selected)
    return inputs


def _read_schema(path: Path) -> pa.Schema:
    try:
        return pq.read_schema(path)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{path}: cannot read Parquet ({exc})") from None
