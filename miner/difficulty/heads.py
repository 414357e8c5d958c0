"""Fitting the predictor's heads: one closed-form ridge solve for all of them, then Platt.

The design matrix is `[embedding * sqrt(dim), standardised text features]`, so every column
has about unit scale and one L2 strength suits both parts. All heads share it, so a single
`(X'X + alpha I) W = X'Y` solve fits every head at once (milliseconds for 5,000 labels, and
deterministic). A boolean head's ridge output is a ranking score; a one-feature logistic
regression on its out-of-fold scores (Platt scaling) turns it into a probability, and is
folded into the head's weights so predicting stays one matrix product.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from miner.difficulty.predictor import FitSettings

PASS, SCORE = "pass", "score"


def label_targets(labels: pd.DataFrame, criteria: Sequence[str],
                  min_score: float) -> dict[str, np.ndarray]:
    """The target of each head, in head order: criteria, `score >= min_score`, the score."""
    score = pd.to_numeric(labels[SCORE]).to_numpy(dtype=float)
    targets = {name: labels[name].to_numpy(dtype=bool).astype(float) for name in criteria}
    targets[PASS] = (score >= min_score).astype(float)
    targets[SCORE] = score
    return targets


def scaling(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations of `features` (a constant column scales by 1)."""
    values = np.asarray(features, dtype=np.float64)
    mean, scale = values.mean(axis=0), values.std(axis=0)
    scale[scale == 0] = 1.0
    return mean, scale


def design(vectors: np.ndarray, features: np.ndarray, mean: np.ndarray,
           scale: np.ndarray) -> np.ndarray:
    """`[vectors * sqrt(dim), (features - mean) / scale]` as one float64 matrix."""
    return np.hstack([np.asarray(vectors, dtype=np.float64) * np.sqrt(vectors.shape[1]),
                      (np.asarray(features, dtype=np.float64) - mean) / scale])


def ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Weights (columns, targets) and intercepts of ridge regressions of every column of y."""
    x_mean, y_mean = x.mean(axis=0), y.mean(axis=0)
    centred = x - x_mean
    gram = centred.T @ centred
    gram[np.diag_indices_from(gram)] += alpha
    weights = np.linalg.solve(gram, centred.T @ (y - y_mean))
    return weights, y_mean - x_mean @ weights


def stack(targets: dict[str, np.ndarray]) -> np.ndarray:
    """The targets as one (rows, heads) matrix."""
    return np.column_stack(list(targets.values()))


def platt(scores: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """Slope and offset mapping a head's scores to calibrated log-odds.

    A target of one class only gets slope 0 and the log-odds of its smoothed rate.
    """
    from sklearn.linear_model import LogisticRegression

    if truth.min() == truth.max():
        rate = (truth.sum() + 0.5) / (len(truth) + 1.0)
        return 0.0, float(np.log(rate / (1.0 - rate)))
    model = LogisticRegression(C=1e4, max_iter=1000).fit(scores.reshape(-1, 1), truth)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def fit_heads(
    vectors: np.ndarray, features: np.ndarray, mean: np.ndarray, scale: np.ndarray,
    targets: dict[str, np.ndarray], settings: FitSettings, oof: pd.DataFrame,
) -> tuple[np.ndarray, np.ndarray]:
    """Weights over `[raw vectors, standardised features]` and biases, one column per head.

    `oof` holds each head's out-of-fold ridge scores: they calibrate the boolean heads.
    """
    weights, bias = ridge(design(vectors, features, mean, scale), stack(targets),
                          settings.alpha)
    weights[: vectors.shape[1]] *= np.sqrt(vectors.shape[1])  # apply to raw vectors
    for column, (name, truth) in enumerate(targets.items()):
        if name == SCORE:
            continue
        slope, offset = platt(oof[name].to_numpy(), truth)
        weights[:, column] *= slope
        bias[column] = slope * bias[column] + offset
    return weights, bias
