"""A difficulty predictor: linear heads over a prompt's embedding and its cheap text features.

One head per rubric criterion (the calibrated probability the judge says it is met), one
for passing (`score >= min_score`) and one for the score. All heads share one design matrix,
`[embedding, standardised text features]` (fitting: `miner.difficulty.heads`), so predicting
is one matrix product per chunk of prompts: a million prompts take seconds. Fitting is
seeded and cross-validated (`miner.difficulty.metrics`); a saved predictor is plain arrays
and JSON (no pickle), so loading one runs no code.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from miner.difficulty.features import FEATURE_NAMES
from miner.difficulty.heads import PASS, SCORE
from miner.errors import InputError

FORMAT = "miner-difficulty-predictor-1"
MODEL_FILE = "model.npz"
META_FILE = "predictor.json"
METRICS_FILE = "metrics.json"
TRAINING_FILE = "training_ids.txt"
MIN_LABELS = 10
CHUNK_ROWS = 65536


@dataclass(frozen=True)
class FitSettings:
    """How heads are fitted: L2 strength, folds and the ranks precision is measured at."""

    min_score: float = 6.0
    alpha: float = 100.0     # ridge L2 strength over unit-scaled columns
    folds: int = 5
    ks: tuple[int, ...] = (50, 100, 500)


@dataclass
class Predictor:
    """Fitted heads; `predict` gives per-criterion probabilities, score and pass probability."""

    criteria: tuple[str, ...]
    heads: tuple[str, ...]            # criteria..., PASS, SCORE: the columns of `weights`
    weights: np.ndarray               # (dim + features, heads) float32
    bias: np.ndarray                  # (heads,) float32
    feature_mean: np.ndarray          # (features,) float32
    feature_scale: np.ndarray         # (features,) float32
    settings: FitSettings
    seed: int
    score_range: tuple[float, float]
    training_ids: list[str] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def dim(self) -> int:
        """Embedding dimensions the predictor expects."""
        return self.weights.shape[0] - len(self.feature_mean)

    def predict(self, vectors: np.ndarray, features: np.ndarray) -> pd.DataFrame:
        """Per prompt: `p_<criterion>` for each criterion, `expected_score` and `p_pass`.

        `vectors` may be a memory map: it is read `CHUNK_ROWS` rows at a time.
        """
        check_matrix(vectors, "vectors", columns=self.dim)
        check_matrix(features, "features", columns=len(self.feature_mean), rows=len(vectors))
        logits = np.empty((len(vectors), len(self.heads)), dtype=np.float32)
        dim = self.dim
        for start in range(0, len(vectors), CHUNK_ROWS):
            stop = start + CHUNK_ROWS
            block = np.asarray(vectors[start:stop], dtype=np.float32)
            scaled = (np.asarray(features[start:stop], dtype=np.float32) - self.feature_mean)
            scaled /= self.feature_scale
            logits[start:stop] = block @ self.weights[:dim] + scaled @ self.weights[dim:]
        logits += self.bias
        out: dict[str, np.ndarray] = {}
        for column, head in enumerate(self.heads):
            values = logits[:, column]
            if head == SCORE:
                out["expected_score"] = np.clip(values, *self.score_range)
            else:
                name = "p_pass" if head == PASS else f"p_{head}"
                out[name] = 1.0 / (1.0 + np.exp(-np.clip(values, -60.0, 60.0)))
        order = [f"p_{c}" for c in self.criteria] + ["expected_score", "p_pass"]
        return pd.DataFrame({name: out[name] for name in order})

    def save(self, folder: Path) -> None:
        """Write model.npz, predictor.json, metrics.json and training_ids.txt into `folder`."""
        from miner.run import atomic_path, write_json

        folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(folder / MODEL_FILE) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, weights=self.weights, bias=self.bias,
                     feature_mean=self.feature_mean, feature_scale=self.feature_scale)
        with atomic_path(folder / TRAINING_FILE) as tmp:
            tmp.write_text("".join(f"{i}\n" for i in self.training_ids), "utf-8")
        write_json(folder / METRICS_FILE, self.metrics)
        write_json(folder / META_FILE, {
            "format": FORMAT,
            "criteria": list(self.criteria),
            "heads": list(self.heads),
            "features": list(FEATURE_NAMES),
            "dim": self.dim,
            "seed": self.seed,
            "score_range": list(self.score_range),
            "settings": {**asdict(self.settings), "ks": list(self.settings.ks)},
            "training_labels": len(self.training_ids),
        })

    @classmethod
    def load(cls, folder: Path) -> Predictor:
        """Read a predictor saved by `save`; a damaged or foreign folder is one-line error."""
        meta_path = folder / META_FILE
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
            metrics = json.loads((folder / METRICS_FILE).read_text("utf-8"))
            ids = (folder / TRAINING_FILE).read_text("utf-8").splitlines()
            with np.load(folder / MODEL_FILE, allow_pickle=False) as arrays:
                parts = {k: arrays[k].astype(np.float32) for k in
                         ("weights", "bias", "feature_mean", "feature_scale")}
        except (OSError, ValueError, KeyError) as exc:
            raise InputError(f"{folder}: cannot read the predictor ({exc})") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise InputError(f"{meta_path}: not a {FORMAT} file")
        if meta.get("features") != list(FEATURE_NAMES):
            raise InputError(f"{meta_path}: fitted on other text features; fit it again")
        heads = tuple(meta["heads"])
        if parts["weights"].shape != (meta["dim"] + len(FEATURE_NAMES), len(heads)):
            raise InputError(f"{folder / MODEL_FILE}: weights do not match {META_FILE}")
        settings = dict(meta["settings"])
        settings["ks"] = tuple(settings["ks"])
        low, high = meta["score_range"]
        return cls(tuple(meta["criteria"]), heads, parts["weights"], parts["bias"],
                   parts["feature_mean"], parts["feature_scale"], FitSettings(**settings),
                   int(meta["seed"]), (float(low), float(high)), ids, metrics)


def check_matrix(values: Any, name: str, *, columns: int | None = None,
                 rows: int | None = None) -> None:
    """A 2-D numeric array of the expected shape, or a one-line InputError."""
    shape = getattr(values, "shape", None)
    if shape is None or len(shape) != 2:
        raise InputError(f"{name}: expected a 2-D array, got shape {shape}")
    if columns is not None and shape[1] != columns:
        raise InputError(f"{name}: expected {columns} columns, got {shape[1]}")
    if rows is not None and shape[0] != rows:
        raise InputError(f"{name}: {shape[0]} rows but vectors have {rows}")


def check_labels(labels: pd.DataFrame, criteria: Sequence[str], rows: int) -> None:
    """Labels: one row per vector, a finite numeric `score`, boolean criteria columns."""
    if not isinstance(labels, pd.DataFrame):
        raise InputError(f"labels: expected a DataFrame, got {type(labels).__name__}")
    if len(labels) != rows:
        raise InputError(f"labels: {len(labels)} rows but vectors have {rows}")
    if SCORE not in labels:
        raise InputError("labels: column 'score' is missing")
    score = pd.to_numeric(labels[SCORE], errors="coerce")
    bad = np.flatnonzero(~np.isfinite(score.to_numpy(dtype=float)))
    if len(bad):
        raise InputError(f"labels: row {bad[0]}: score {labels[SCORE].iloc[bad[0]]!r} is "
                         "not a number")
    for name in criteria:
        if name not in labels:
            raise InputError(f"labels: criterion column '{name}' is missing")
        if not pd.api.types.is_bool_dtype(labels[name]):
            raise InputError(f"labels: criterion column '{name}' must be true/false, "
                             f"got {labels[name].dtype}")
    if rows < MIN_LABELS:
        raise InputError(f"labels: {rows} scored prompts; the predictor needs at least "
                         f"{MIN_LABELS}")


def fit_predictor(
    vectors: np.ndarray,
    features: np.ndarray,
    labels: pd.DataFrame,
    seed: int = 0,
    *,
    criteria: Sequence[str] | None = None,
    settings: FitSettings | None = None,
) -> Predictor:
    """Fit every head on all labels, with cross-validated metrics (same seed, same result).

    `labels` holds `score` and one boolean column per criterion (default: every boolean
    column), row-aligned with `vectors` and `features`; an `id` column, when present, is
    recorded as the training ids.
    """
    from miner.difficulty.heads import fit_heads, label_targets, scaling
    from miner.difficulty.metrics import out_of_fold, ranking_metrics

    settings = settings or FitSettings()
    if criteria is None:
        criteria = [c for c in labels.columns
                    if c not in (SCORE, "id") and pd.api.types.is_bool_dtype(labels[c])]
    criteria = tuple(criteria)
    check_matrix(vectors, "vectors")
    check_matrix(features, "features", columns=len(FEATURE_NAMES), rows=len(vectors))
    check_labels(labels, criteria, len(vectors))
    vectors = np.asarray(vectors, dtype=np.float32)
    if not np.isfinite(vectors).all():
        raise InputError("vectors: NaN or infinite values")
    targets = label_targets(labels, criteria, settings.min_score)
    oof = out_of_fold(vectors, features, targets, seed, settings)
    mean, scale = scaling(features)
    weights, bias = fit_heads(vectors, features, mean, scale, targets, settings, oof)
    score = targets[SCORE]
    ids = [str(i) for i in labels["id"]] if "id" in labels else [str(i) for i in
                                                                 range(len(labels))]
    metrics = {"min_score": settings.min_score, "folds": min(settings.folds, len(labels)),
               "seed": int(seed), **ranking_metrics(oof, targets, criteria, settings.ks)}
    return Predictor(
        criteria, tuple(targets), weights.astype(np.float32), bias.astype(np.float32),
        mean.astype(np.float32), scale.astype(np.float32), settings, int(seed),
        (float(score.min()), float(score.max())), ids, metrics,
    )
