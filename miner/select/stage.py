"""The `select` stage: candidates -> selection -> benchmark/ artifacts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from miner.artifacts import (
    EMBEDDINGS,
    EMBEDDINGS_INFO,
    PROMPTS,
    QUESTIONS,
    SCORES,
    SELECTION,
    SELECTION_SUMMARY,
    TOPIC_INFO,
    TOPICS,
    open_embeddings,
    read_json,
)
from miner.config import Config
from miner.console import info
from miner.errors import InputError, MissingArtifactError
from miner.run import Run, StageOutcome, file_digest, write_json
from miner.select.candidates import load_candidates
from miner.select.contamination import (
    PUBLIC_FILE,
    exact_public_matches,
    load_exclusion_set,
    nearest_excluded,
)
from miner.select.explain import reasons_short, relaxations
from miner.select.formats import question_uid, write_questions
from miner.select.params import params_from_config
from miner.select.relax import relaxed_sentence, score_lowered, score_warning
from miner.select.sampling import FILTER_REASONS, Selection, select_benchmark, summary_counts

OUTPUTS = [QUESTIONS, SELECTION, SELECTION_SUMMARY]

_SELECTION_COLUMNS = [
    "id", "uid", "topic", "topic_label", "category_label", "group", "score", "topic_mean",
    "reason", "detail", "rank", "similar_to", "similarity", "near_file", "near_similarity",
    "dataset",
]


def _contamination(
    run: Run, config: Config, frame: pd.DataFrame, vectors: np.ndarray | None
) -> pd.DataFrame | None:
    """The closest excluded question per distinct scored prompt (None when nothing is
    excluded). The public benchmarks match by normalised text always and by embedding when
    the run records its embedding model (embeddings.json)."""
    files = config["select"].get("exclude_near") or []
    public = bool(config["select"].get("exclude_public"))
    if not files and not public:
        return None
    checked = frame.index[frame["dup_of"].isna() & frame["near_dup_of"].isna()
                          & frame["score"].notna()]
    embed_public = public and run.has(EMBEDDINGS_INFO)
    if files or embed_public:
        if vectors is None:
            vectors = open_embeddings(run, len(frame))
        found = nearest_excluded(vectors, frame.loc[checked, "row"].to_numpy(),
                                 load_exclusion_set(files, config, run, public=embed_public))
    else:
        found = pd.DataFrame({"similarity": np.full(len(checked), -1.0, dtype=np.float32),
                              "near_text": "", "near_file": None})
    found.index = checked
    if public:
        found = exact_public_matches(frame.loc[checked, "hash"], found)
    return found


def selection_table(selection: Selection, contamination: pd.DataFrame | None) -> pd.DataFrame:
    """The `selection.parquet` columns for every candidate."""
    table = selection.table.copy()
    table["uid"] = [question_uid(h, t) for h, t in zip(table["hash"], table["text"], strict=True)]
    table["near_file"] = None
    table["near_similarity"] = np.nan
    if contamination is not None:
        table.loc[contamination.index, "near_file"] = contamination["near_file"]
        table.loc[contamination.index, "near_similarity"] = contamination["similarity"]
    table = table.reindex(columns=_SELECTION_COLUMNS).copy()
    for column in ("id", "uid", "topic_label", "category_label", "group", "reason", "detail",
                   "similar_to", "near_file", "dataset"):
        table[column] = table[column].astype("string")  # a stable schema, even when all null
    table["near_similarity"] = table["near_similarity"].astype(float)
    return table


def largest_topic(chosen: pd.DataFrame, top: int) -> dict[str, Any] | None:
    """The topic giving the most questions: `{topic, label, selected, share}` (share of
    `top`), None for an empty selection."""
    if chosen.empty:
        return None
    sizes = chosen.groupby("topic").size()
    topic = int(sizes.idxmax())
    label = str(chosen.loc[chosen["topic"] == topic, "topic_label"].iloc[0])
    return {"topic": topic, "label": label, "selected": int(sizes.max()),
            "share": round(float(sizes.max()) / top, 4)}


def write_selection(
    run: Run, config: Config, selection: Selection, contamination: pd.DataFrame | None,
    frame: pd.DataFrame, vectors: np.ndarray | None,
) -> dict[str, Any]:
    """Write question.jsonl, selection.parquet and selection.json; return the counts."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    section = config["select"]
    params = selection.params
    chosen = selection.table.loc[selection.selected]
    written = write_questions(run.output(QUESTIONS), chosen, section["format"],
                              section["category"], params.categories)
    table = selection_table(selection, contamination)
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), run.output(SELECTION))
    counts = summary_counts(selection)
    short = len(selection.selected) < params.top
    contaminated = selection.table[selection.table["reason"] == "contaminated"]
    judges = sorted(j for j in frame["judge"].dropna().unique())
    write_json(run.output(SELECTION_SUMMARY), {
        "questions": written,
        "top": params.top,
        "reached_top": not short,
        "relax": (selection.requested or params).relax,
        "relaxed": selection.relaxed,
        "relaxed_text": relaxed_sentence(selection),
        "score_lowered": score_lowered(selection),
        "effective": {"min_score": params.min_score, "min_topic_mean": params.min_topic_mean,
                      "per_topic": params.per_topic},
        "format": section["format"],
        "judges": judges,
        "counts": counts,
        "filters": {r: counts.get(r, 0) for r in FILTER_REASONS},
        "settings": {k: section[k] for k in section if k != "categories"},
        "topics": [
            {"topic": int(t), "label": label, "selected": int(n)}
            for (t, label), n in chosen.groupby(["topic", "topic_label"]).size().items()
        ],
        "largest_topic": largest_topic(chosen, params.top),
        "quotas": {g or "other": {"target": selection.targets[g], "taken": selection.taken[g]}
                   for g in selection.targets} if params.quotas else {},
        "shortfall": reasons_short(selection) if short else [],
        "relaxations": relaxations(frame, selection, vectors, contamination) if short else [],
        "contaminated": [
            {"id": i, "benchmark": b, "detail": d}
            for i, b, d in zip(contaminated["id"], table.loc[contaminated.index, "near_file"],
                               contaminated["detail"], strict=True)
        ],
        "datasets": dataset_shares(chosen),
    })
    return counts


def dataset_shares(chosen: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per dataset named by the log's own source field: questions selected and their share
    ({} when the log names none)."""
    if "dataset" not in chosen or chosen["dataset"].isna().all():
        return {}
    counts = chosen["dataset"].fillna("(none)").value_counts()
    return {str(name): {"questions": int(n), "share": round(n / len(chosen), 4)}
            for name, n in counts.items()}


def run_select(run: Run, config: Config, *, force: bool = False) -> StageOutcome:
    """The select stage: read candidates, select, write the benchmark files.

    Reruns when an input artifact, an --exclude-near file or the `select` config changes.
    """
    section = config["select"]
    params = params_from_config(section)
    exclude = [str(f) for f in section.get("exclude_near") or []]
    for file in exclude:
        if not Path(file).exists():
            raise InputError(f"{file}: --exclude-near file does not exist")
    public = bool(section.get("exclude_public"))
    needed = [PROMPTS, TOPICS, TOPIC_INFO, SCORES]
    if params.max_similarity is not None or exclude or public and run.has(EMBEDDINGS_INFO):
        needed.append(EMBEDDINGS)
    inputs: dict[str, Any] = {item.name: run.digest(item) for item in needed}
    inputs.update({f"exclude:{f}": file_digest(Path(f)) for f in exclude})
    if public:
        inputs["exclude:public"] = file_digest(PUBLIC_FILE)
    stage_config: dict[str, Any] = {"select": section}
    if exclude or public:
        stage_config["embed_model"] = config["embed"]["model"]

    def body() -> dict[str, Any]:
        frame = load_candidates(run)
        vectors = open_embeddings(run, len(frame)) if EMBEDDINGS in needed else None
        contamination = _contamination(run, config, frame, vectors)
        selection = select_benchmark(frame, params, vectors, contamination)
        counts = write_selection(run, config, selection, contamination, frame, vectors)
        chosen = selection.table.loc[selection.selected]
        largest = largest_topic(chosen, params.top)
        info(f"select: {len(selection.selected)} of --top {params.top} selected from "
             f"{counts['pool']} candidates in {counts['pool_topics']} topics"
             + (f"; {counts['selected_topics']} topics, the largest gives "
                f"{largest['selected']} ({largest['share']:.1%} of --top)" if largest else ""))
        if selection.relaxed:
            info(f"select: {relaxed_sentence(selection)} ({len(selection.relaxed)} step(s); "
                 "--strict keeps the thresholds)")
        if score_warning(selection):
            info(f"select: {score_warning(selection)}")
        return counts

    return run.run_stage("select", inputs=inputs, config=stage_config, outputs=OUTPUTS,
                         body=body, force=force)


def require_current_benchmark(run: Run) -> None:
    """Refuse a benchmark selected from other prompts, topics or scores than the run holds
    now (a re-cluster since select ran): drawn against the new topics it would mislead."""
    if not any(run.has(item) for item in OUTPUTS):
        return
    changed = run.changed_inputs("select")
    if changed:
        raise MissingArtifactError(
            f"{run.file(SELECTION).parent} is out of date: {', '.join(changed)} changed since "
            f"select ran; run `miner select --run {run.path}` (or `miner run`) first"
        )


def read_summary(run: Run) -> dict[str, Any]:
    """The last selection's summary (benchmark/selection.json)."""
    return read_json(run, SELECTION_SUMMARY)
