"""Fitting the `ranker` judge's model: positives (hard prompts) against background prompts.

One L2-regularised logistic regression (lbfgs: deterministic) over standardised
`ranker.FEATURES`. The background's logits give the model's percentile grid, and
heuristic-v2's scores on the background give `score_cuts`: the share of background prompts
heuristic-v2 scores below k is where the ranker's score k starts, so both judges pass the
same share of such prompts at any `min_score`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from miner.judge import heuristic
from miner.judge.ranker import LEVELS, RankerModel, feature_rows

C_DEFAULT = 0.1          # inverse L2 strength over standardised features
QUANTILES = 201          # percentile grid points stored in the model


def fit_rows(rows: np.ndarray, hard: np.ndarray, c: float = C_DEFAULT) -> tuple[
        np.ndarray, np.ndarray, np.ndarray, float]:
    """Mean, scale, coefficients and intercept of the logistic model on feature rows."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = rows.mean(axis=0), rows.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=5000).fit((rows - mean) / scale, hard)
    return mean, scale, model.coef_[0].astype(np.float64), float(model.intercept_[0])


def heuristic_cuts(background: Sequence[str]) -> np.ndarray:
    """For k = 1..7, the share of `background` that heuristic-v2 scores below k."""
    scores = np.array([sum(heuristic.criteria_met(t).values()) for t in background])
    return np.array([(scores < k).mean() for k in range(1, LEVELS + 1)])


def fit_ranker(positives: Sequence[str], background: Sequence[str], *, c: float = C_DEFAULT,
               info: dict[str, Any] | None = None) -> RankerModel:
    """The ranker model fitted on `positives` (label 1) against `background` (label 0)."""
    if len(positives) < 2 or len(background) < 2:
        raise ValueError("the ranker needs at least 2 positives and 2 background prompts")
    texts = [*positives, *background]
    rows = feature_rows(texts)
    hard = np.r_[np.ones(len(positives)), np.zeros(len(background))]
    mean, scale, coef, intercept = fit_rows(rows, hard, c)
    logits = ((rows[len(positives):] - mean) / scale) @ coef + intercept
    quantiles = np.quantile(logits, np.linspace(0.0, 1.0, QUANTILES))
    details = {"positives": len(positives), "background": len(background), "c": c,
               **(info or {})}
    return RankerModel(mean, scale, coef, intercept, quantiles, heuristic_cuts(background),
                       details, digest="")
