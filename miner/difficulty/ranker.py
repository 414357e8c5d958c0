"""The cascade's round-by-round ranker: one ridge solve over the judged prompts, refitted
after every round in milliseconds.

Columns are `[embedding * sqrt(dim), standardised text features, standardised prior]` (the
prior is the offline judge's score of every prompt, free to compute), so each has about unit
scale and one L2 strength suits them all. Two targets share the solve: passing
(`score >= min_score`, what the next round is ranked by) and the score (what a topic's mean
is estimated from). Ranks are not probabilities: the difficulty predictor
(`miner.difficulty.predictor`) calibrates once, at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from miner.difficulty.heads import ridge, scaling

ALPHA = 3000.0      # L2 strength over unit-scaled columns (a few hundred labels a round)
CHUNK_ROWS = 65536


@dataclass
class RankInputs:
    """What the ranker reads per prompt: embedding, text features and the offline prior."""

    vectors: np.ndarray      # (items, dim), may be a memory map
    features: np.ndarray     # (items, text features)
    prior: np.ndarray        # (items,) the offline judge's score

    def columns(self, rows: np.ndarray | slice,
                dtype: type = np.float64) -> tuple[np.ndarray, np.ndarray]:
        """Raw embedding rows and the `[features, prior]` block of `rows`."""
        extra = np.column_stack([self.features[rows], self.prior[rows]]).astype(dtype)
        return np.asarray(self.vectors[rows], dtype=dtype), extra


def fit_rank(inputs: RankInputs, at: np.ndarray, passed: np.ndarray, score: np.ndarray,
             alpha: float = ALPHA) -> tuple[np.ndarray, np.ndarray]:
    """Fit on the judged rows `at` (passing flags, scores); return every prompt's rank
    (higher: likelier to pass) and estimated score."""
    vectors, extra = inputs.columns(at)
    mean, scale = scaling(extra)
    root = np.sqrt(vectors.shape[1])
    x = np.hstack([vectors * root, (extra - mean) / scale])
    weights, bias = ridge(x, np.column_stack([passed, score]).astype(np.float64), alpha)
    dim = vectors.shape[1]
    on_vectors = (weights[:dim] * root).astype(np.float32)   # folded: no scaled copy
    on_extra = (weights[dim:] / scale[:, None]).astype(np.float32)
    offset = (bias - (mean / scale) @ weights[dim:]).astype(np.float32)
    out = np.empty((len(inputs.prior), 2), dtype=np.float32)
    for start in range(0, len(out), CHUNK_ROWS):
        block = slice(start, start + CHUNK_ROWS)
        v, e = inputs.columns(block, np.float32)
        out[block] = v @ on_vectors + e @ on_extra + offset
    return out[:, 0].astype(float), out[:, 1].astype(float)
