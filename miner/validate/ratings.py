"""Bradley-Terry ratings from pairwise battles, with seeded bootstrap confidence intervals.

The fit is arena-hard-auto's (`show_result.py`, `compute_mle_elo`): a logistic regression
without intercept or penalty over `+ln 10` / `-ln 10` indicator rows, a win counting 2 and a
tie 1 toward each side, ratings `400 * coef + 1000` shifted so the baseline is at 1000.
Battles are aggregated into per-pair counts first, so one fit is a problem of
`2 x pairs` rows whatever the number of battles (the baseline's column is left out: its
rating is fixed, the others are free); the bootstrap resamples *games* (one
judgment, with its weight: a strong verdict counts `strong_weight` times) with replacement,
seeded, and refits on the resampled counts, `ROUNDS_PER_FIT` rounds in one block-diagonal
regression.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SCALE = 400.0
BASE = 10.0
INIT_RATING = 1000.0

A_WINS, B_WINS, TIE = 0, 1, 2
# arena-hard-auto fits with sklearn's default lbfgs; Newton-CG reaches the same optimum in a
# few steps and works on the sparse block design that fits many rounds at once.
SOLVER = "newton-cg"
TOL = 1e-10
MAX_ITER = 200
ROUNDS_PER_FIT = 250    # bootstrap rounds fitted together


@dataclass(frozen=True)
class Battles:
    """Games between models: indices into `models`, an outcome and a weight per game."""

    models: tuple[str, ...]
    model_a: np.ndarray   # int, index into models
    model_b: np.ndarray
    outcome: np.ndarray   # A_WINS, B_WINS or TIE
    weight: np.ndarray    # int >= 1 (a strong verdict weighs strong_weight)

    def __len__(self) -> int:
        return len(self.outcome)


def make_battles(models: Sequence[str], rows: Sequence[tuple[str, str, int, int]]) -> Battles:
    """Battles from `(model_a, model_b, outcome, weight)` rows."""
    index = {name: i for i, name in enumerate(models)}
    arrays = np.array([(index[a], index[b], o, w) for a, b, o, w in rows],
                      dtype=np.int64).reshape(-1, 4)
    return Battles(tuple(models), arrays[:, 0], arrays[:, 1], arrays[:, 2], arrays[:, 3])


@dataclass
class Ratings:
    """Point ratings and their bootstrap intervals, per model (in `models` order)."""

    models: tuple[str, ...]
    rating: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    samples: np.ndarray   # rounds x models: every bootstrap round's ratings
    level: float = 0.95

    def win_rate(self, baseline: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Predicted win rate of each model against `baseline`, with its interval."""
        base = self.models.index(baseline)
        point = expected_score(self.rating, self.rating[base])
        if not len(self.samples):
            return point, point.copy(), point.copy()
        rounds = expected_score(self.samples, self.samples[:, [base]])
        return point, *_quantiles(rounds, self.level)


def expected_score(rating: np.ndarray, other: np.ndarray | float) -> np.ndarray:
    """P(a model rated `rating` beats one rated `other`) under the Bradley-Terry model."""
    return 1.0 / (1.0 + BASE ** ((np.asarray(other) - np.asarray(rating)) / SCALE))


def _quantiles(samples: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    tail = (1.0 - level) / 2.0
    return (np.quantile(samples, tail, axis=0), np.quantile(samples, 1.0 - tail, axis=0))


class _Design:
    """The pair cells of a set of battles: each game maps to (pair, outcome) counts."""

    def __init__(self, battles: Battles) -> None:
        p = len(battles.models)
        low = np.minimum(battles.model_a, battles.model_b)
        high = np.maximum(battles.model_a, battles.model_b)
        pair_code = low * p + high
        self.pairs, pair_index = np.unique(pair_code, return_inverse=True)
        # outcome from the point of view of the pair's lower index: 0 low wins, 1 high, 2 tie
        flipped = battles.model_a != low
        outcome = battles.outcome.copy()
        outcome[flipped & (battles.outcome == A_WINS)] = B_WINS
        outcome[flipped & (battles.outcome == B_WINS)] = A_WINS
        self.cell = pair_index * 3 + outcome
        self.weight = battles.weight.astype(np.float64)
        self.n_cells = 3 * len(self.pairs)
        low_of, high_of = self.pairs // p, self.pairs % p
        x = np.zeros((2 * len(self.pairs), p))
        rows = np.arange(len(self.pairs))
        x[2 * rows, low_of] = math.log(BASE)
        x[2 * rows, high_of] = -math.log(BASE)
        x[2 * rows + 1] = x[2 * rows]
        self.x = x
        self.y = np.tile([1.0, 0.0], len(self.pairs))

    def sample_weights(self, counts: np.ndarray) -> np.ndarray:
        """Row weights from per-cell weighted counts: wins count 2, ties 1 to each side."""
        cells = counts.reshape(-1, 3)
        low_side = 2 * cells[:, 0] + cells[:, 2]
        high_side = 2 * cells[:, 1] + cells[:, 2]
        return np.column_stack([low_side, high_side]).ravel()


def _fit(design: _Design, counts: np.ndarray, n_models: int, anchor: int) -> np.ndarray:
    """Ratings for each row of `counts` (rounds x cells): one logistic regression over the
    rounds' problems side by side (a block-diagonal design: blocks share nothing, so the
    joint optimum is every round's own optimum, found in a handful of Newton steps)."""
    import scipy.sparse as sparse
    from sklearn.linear_model import LogisticRegression

    rounds = counts.shape[0]
    # The likelihood only sees rating differences: the anchor's column is dropped (its
    # rating fixed at INIT_RATING), which leaves the same optimum as arena-hard-auto's fit
    # shifted to the anchor, and a Hessian Newton steps can invert.
    free = np.arange(n_models) != anchor
    block = sparse.csr_matrix(design.x[:, free])
    x = sparse.block_diag([block] * rounds, format="csr")
    y = np.tile(design.y, rounds)
    weights = np.concatenate([design.sample_weights(c) for c in counts])
    keep = weights > 0
    ratings = np.full((rounds, n_models), INIT_RATING)
    if not keep.any() or len(set(y[keep])) < 2:
        return ratings
    model = LogisticRegression(fit_intercept=False, C=np.inf, tol=TOL, solver=SOLVER,
                               max_iter=MAX_ITER)
    with warnings.catch_warnings():
        # perfectly separated resamples have no finite optimum: the solver stops at max_iter
        warnings.simplefilter("ignore")
        model.fit(x[keep], y[keep], sample_weight=weights[keep])
    ratings[:, free] += SCALE * model.coef_[0].reshape(rounds, -1)
    return ratings


def fit_ratings(battles: Battles, baseline: str, *, rounds: int, level: float,
                seed: int) -> Ratings:
    """Bradley-Terry ratings (baseline at 1000) and `level` bootstrap intervals over
    `rounds` seeded resamples of the games."""
    design = _Design(battles)
    p = len(battles.models)
    anchor = battles.models.index(baseline)
    n = len(battles)

    def counts_of(rows: np.ndarray | None) -> np.ndarray:
        cells = design.cell if rows is None else design.cell[rows]
        weight = design.weight if rows is None else design.weight[rows]
        return np.bincount(cells, weights=weight, minlength=design.n_cells)

    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(seed)
    samples = np.empty((rounds, p))
    with threadpool_limits(limits=1):   # BLAS threads only cost time on these problems
        point = _fit(design, counts_of(None)[None, :], p, anchor)[0]
        for start in range(0, rounds, ROUNDS_PER_FIT):
            size = min(ROUNDS_PER_FIT, rounds - start)
            counts = np.stack([counts_of(rng.integers(0, n, size=n)) for _ in range(size)])
            samples[start:start + size] = _fit(design, counts, p, anchor)
    lower, upper = _quantiles(samples, level) if rounds else (point.copy(), point.copy())
    return Ratings(tuple(battles.models), point, lower, upper, samples, level)


def bootstrap_indices(n: int, rounds: int, seed: int) -> list[np.ndarray]:
    """The game indices of each bootstrap round, as `fit_ratings` draws them."""
    rng = np.random.default_rng(seed)
    return [rng.integers(0, n, size=n) for _ in range(rounds)]
