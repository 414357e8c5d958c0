"""How well a judge's scores match labels: ROC AUC, precision at k, Spearman's rho.

Judges give few distinct scores (0-7), so ties are the rule: every figure here treats them
exactly, with no random tie-breaking. A figure that is undefined (one class only, a constant
series) is None.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import rankdata


def roc_auc(labels: Sequence[bool], scores: Sequence[float]) -> float | None:
    """The chance that a random positive outscores a random negative, ties counting half."""
    y = np.asarray(labels, dtype=bool)
    positives, negatives = int(y.sum()), int((~y).sum())
    if positives == 0 or negatives == 0:
        return None
    ranks = rankdata(np.asarray(scores, dtype=float))   # ties get their average rank
    u = ranks[y].sum() - positives * (positives + 1) / 2
    return float(u / (positives * negatives))


def precision_at_k(labels: Sequence[bool], scores: Sequence[float], k: int) -> float | None:
    """Share of positives among the `k` highest scores, the tie at the cut-off taken at its
    expected share (what a random tie-break gives on average)."""
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=float)
    k = min(k, len(s))
    if k <= 0:
        return None
    cut = np.sort(s)[::-1][k - 1]
    above = s > cut
    tied = s == cut
    room = k - int(above.sum())
    hits = float(y[above].sum()) + room * float(y[tied].mean())
    return hits / k


def spearman(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Spearman's rank correlation (Pearson's r of the tie-averaged ranks)."""
    x = rankdata(np.asarray(a, dtype=float))
    z = rankdata(np.asarray(b, dtype=float))
    if len(x) < 2 or x.std() == 0 or z.std() == 0:
        return None
    return float(np.corrcoef(x, z)[0, 1])
