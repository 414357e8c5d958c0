"""Cross-validated figures of a predictor: how well it ranks prompts it was not fitted on.

Seeded k-fold (stratified on passing when each fold can hold both classes): each fold's
heads are fitted on the other folds and score it, giving one out-of-fold score per labelled
prompt and head. From those: ROC AUC per criterion and for passing, Spearman of the predicted
score with the judge's, and the precision of `score >= min_score` among the k prompts ranked
most likely to pass, next to the base rate (what k random prompts would hold).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from miner.difficulty.heads import PASS, SCORE, design, ridge, scaling, stack
from miner.judge.metrics import roc_auc, spearman

if TYPE_CHECKING:
    from miner.difficulty.predictor import FitSettings


def folds_of(passed: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Seeded (train, test) index pairs; stratified on `passed` when each fold can get both."""
    from sklearn.model_selection import KFold, StratifiedKFold

    folds = min(folds, len(passed))
    positives = int(passed.sum())
    if min(positives, len(passed) - positives) >= folds:
        splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
        return list(splitter.split(np.zeros(len(passed)), passed))
    return list(KFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(passed))))


def out_of_fold(vectors: np.ndarray, features: np.ndarray, targets: dict[str, np.ndarray],
                seed: int, settings: FitSettings) -> pd.DataFrame:
    """Each labelled prompt's ridge score per head (columns), from heads that never saw it."""
    features = np.asarray(features, dtype=np.float64)
    y = stack(targets)
    scores = np.zeros_like(y)
    for train, test in folds_of(targets[PASS], settings.folds, seed):
        mean, scale = scaling(features[train])
        weights, bias = ridge(design(vectors[train], features[train], mean, scale), y[train],
                              settings.alpha)
        scores[test] = design(vectors[test], features[test], mean, scale) @ weights + bias
    return pd.DataFrame(scores, columns=list(targets))


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def ranking_metrics(oof: pd.DataFrame, targets: dict[str, np.ndarray],
                    criteria: Sequence[str], ks: Sequence[int]) -> dict[str, Any]:
    """AUC per criterion and for passing, Spearman of the score, precision in the top k."""
    passed = targets[PASS]
    order = np.argsort(-oof[PASS].to_numpy(), kind="stable")
    return {
        "labels": len(passed),
        "passing": int(passed.sum()),
        "base_rate": round(float(passed.mean()), 6),
        "auc": {c: _rounded(roc_auc(targets[c], oof[c].to_numpy())) for c in criteria},
        "auc_pass": _rounded(roc_auc(passed, oof[PASS].to_numpy())),
        "spearman_score": _rounded(spearman(oof[SCORE], targets[SCORE])),
        "precision_at_k": {str(k): round(float(passed[order[:k]].mean()), 6)
                           for k in ks if k <= len(passed)},
    }
