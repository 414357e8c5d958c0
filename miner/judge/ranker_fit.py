"""Fitting the `ranker` judge's model: positives (hard prompts) against background prompts.

One L2-regularised logistic regression (lbfgs: deterministic) over standardised
`ranker.FEATURES`. The background's logits give the model's percentile grid. `score_cuts`
(the percentile where each score 1-7 starts):

* score 6 (BenchBuilder's `min_score`) starts at the background's 80th percentile: a fifth
  of an Arena log passes, about the share LMSYS's Llama-3-70B labels gave score >= 6
  (docs/performance.md, "Offline judge"); score 7 starts where the positives' median ranks
  (the better half of Arena-Hard v0.1's questions), or at score 6's start if that is higher;
* scores 1-5 start where heuristic-v2's do: the share of background prompts heuristic-v2
  scores below k (capped at score 6's start, so the cuts rise).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from miner.judge.ranker import FEATURES, LEVELS, RankerModel, feature_rows

C_DEFAULT = 0.1          # inverse L2 strength over standardised features
QUANTILES = 201          # percentile grid points stored in the model
RULE_COLUMNS = [i for i, name in enumerate(FEATURES) if name.startswith("rule_")]
PASS_SHARE = 0.2         # share of the background at score 6 or more
TOP_QUANTILE = 0.5       # score 7 starts at this quantile of the positives


def fit_rows(rows: np.ndarray, hard: np.ndarray, c: float = C_DEFAULT) -> tuple[
        np.ndarray, np.ndarray, np.ndarray, float]:
    """Mean, scale, coefficients and intercept of the logistic model on feature rows."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = rows.mean(axis=0), rows.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=5000).fit((rows - mean) / scale, hard)
    return mean, scale, model.coef_[0].astype(np.float64), float(model.intercept_[0])


def level_cuts(heuristic_scores: np.ndarray, positive_percentiles: np.ndarray,
               pass_share: float = PASS_SHARE,
               top_quantile: float = TOP_QUANTILE) -> np.ndarray:
    """The percentile where each score 1-7 starts: 6 from `pass_share`, 7 from the positives'
    percentiles, 1-5 from heuristic-v2's scores of the background (module docstring)."""
    cuts = np.array([(heuristic_scores < k).mean() for k in range(1, LEVELS + 1)])
    cuts[LEVELS - 2] = 1.0 - pass_share
    cuts[LEVELS - 1] = max(np.quantile(positive_percentiles, top_quantile), cuts[LEVELS - 2])
    cuts[:LEVELS - 2] = np.minimum(cuts[:LEVELS - 2], cuts[LEVELS - 2])
    return cuts


def fit_ranker(positives: Sequence[str], background: Sequence[str], *, c: float = C_DEFAULT,
               info: dict[str, Any] | None = None) -> RankerModel:
    """The ranker model fitted on `positives` (label 1) against `background` (label 0)."""
    if len(positives) < 2 or len(background) < 2:
        raise ValueError("the ranker needs at least 2 positives and 2 background prompts")
    texts = [*positives, *background]
    rows = feature_rows(texts)
    hard = np.r_[np.ones(len(positives)), np.zeros(len(background))]
    mean, scale, coef, intercept = fit_rows(rows, hard, c)
    logits = ((rows - mean) / scale) @ coef + intercept
    grid = np.linspace(0.0, 1.0, QUANTILES)
    quantiles = np.quantile(logits[len(positives):], grid)
    heuristic_scores = rows[len(positives):, RULE_COLUMNS].sum(axis=1)
    cuts = level_cuts(heuristic_scores, np.interp(logits[:len(positives)], quantiles, grid))
    details = {"positives": len(positives), "background": len(background), "c": c,
               "pass_share": PASS_SHARE, "top_quantile": TOP_QUANTILE, **(info or {})}
    return RankerModel(mean, scale, coef, intercept, quantiles, cuts, details, digest="")
