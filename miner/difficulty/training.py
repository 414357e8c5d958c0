"""A run folder's predictor: fit on its judged prompts, predict every distinct prompt.

Distinct prompts are the rows of prompts.parquet with no `dup_of`; their vectors are the
same rows of embeddings.npy. Labels are the scores.parquet rows with status `ok` (and, when
the table has a `source` column, only those whose source is `judge`: a predicted score is no
label). The predictor is saved in `<run>/predictor/`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from miner.difficulty.features import text_features
from miner.difficulty.predictor import FitSettings, Predictor, fit_predictor
from miner.errors import InputError
from miner.run import Run

FOLDER = "predictor"
_NOT_CRITERIA = frozenset({"id", "hash", "judge", "rubric", "score", "status", "source"})


@dataclass
class RunPrompts:
    """Distinct prompts of a run: ids, rows of embeddings.npy, vectors and text features."""

    ids: np.ndarray
    rows: np.ndarray
    vectors: np.ndarray
    features: np.ndarray


def distinct_prompts(run: Run) -> RunPrompts:
    """The run's distinct prompts (no `dup_of`) with their vectors and text features."""
    prompts_path = run.require("prompts.parquet")
    prompts = pd.read_parquet(prompts_path)
    for column in ("id", "text"):
        if column not in prompts:
            raise InputError(f"{prompts_path}: column '{column}' is missing")
    vectors_path = run.require("embeddings.npy")
    vectors = np.load(vectors_path, mmap_mode="r")
    if vectors.ndim != 2 or len(vectors) != len(prompts):
        raise InputError(f"{vectors_path}: {len(vectors)} rows but prompts.parquet has "
                         f"{len(prompts)}; run `miner embed --run {run.path}` again")
    keep = prompts["dup_of"].isna().to_numpy() if "dup_of" in prompts else np.ones(
        len(prompts), dtype=bool)
    rows = np.flatnonzero(keep)
    return RunPrompts(prompts["id"].astype(str).to_numpy()[rows], rows,
                      np.asarray(vectors[rows], dtype=np.float32),
                      text_features(prompts["text"].to_numpy(dtype=object)[rows]))


def judged_labels(run: Run) -> pd.DataFrame:
    """scores.parquet rows a judge scored (status ok): `id`, criteria booleans and `score`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = run.require("scores.parquet")
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise InputError(f"{path}: cannot read Parquet ({exc})") from None
    for column in ("id", "score", "status"):
        if column not in table.column_names:
            raise InputError(f"{path}: column '{column}' is missing")
    # criteria are the boolean columns (null where the judge failed, so pandas sees objects)
    criteria = [f.name for f in table.schema
                if f.name not in _NOT_CRITERIA and pa.types.is_boolean(f.type)]
    scores = table.to_pandas()
    keep = scores["status"] == "ok"
    if "source" in scores:
        keep &= scores["source"] == "judge"
    labels = scores.loc[keep, ["id", *criteria, "score"]].copy()
    labels["id"] = labels["id"].astype(str)
    for name in criteria:
        labels[name] = labels[name].astype(bool)
    return labels.drop_duplicates("id", keep="last").reset_index(drop=True)


def fit_run_predictor(run: Run, *, seed: int = 0,
                      settings: FitSettings | None = None) -> Predictor:
    """Fit on the run's judged distinct prompts and save the predictor in `<run>/predictor/`."""
    prompts = distinct_prompts(run)
    labels = judged_labels(run)
    position = pd.Series(np.arange(len(prompts.ids)), index=prompts.ids)
    labels = labels[labels["id"].isin(position.index)].reset_index(drop=True)
    if labels.empty:
        raise InputError(f"{run.file('scores.parquet')}: no judged distinct prompt to fit on")
    at = position[labels["id"]].to_numpy()
    predictor = fit_predictor(prompts.vectors[at], prompts.features[at], labels, seed,
                              settings=settings)
    predictor.save(run.file(FOLDER))
    return predictor


def predict_run(run: Run, predictor: Predictor) -> pd.DataFrame:
    """`id` and the predictor's columns for every distinct prompt of the run."""
    prompts = distinct_prompts(run)
    predicted = predictor.predict(prompts.vectors, prompts.features)
    predicted.insert(0, "id", prompts.ids)
    return predicted
