"""A learned difficulty predictor: from the prompts a judge scored to every prompt of a run.

Python API: `fit_predictor(vectors, features, labels, seed)` -> `Predictor`;
`Predictor.predict(vectors, features)` -> per-criterion probabilities, expected score and
P(score >= min_score); `Predictor.save(folder)` / `Predictor.load(folder)`;
`text_features(texts)` builds `features`. For a run folder: `fit_run_predictor(run)` and
`predict_run(run, predictor)`.
"""

from miner.difficulty.features import FEATURE_NAMES, text_features
from miner.difficulty.predictor import FitSettings, Predictor, fit_predictor
from miner.difficulty.training import fit_run_predictor, predict_run

__all__ = [
    "FEATURE_NAMES", "FitSettings", "Predictor", "fit_predictor", "fit_run_predictor",
    "predict_run", "text_features",
]
