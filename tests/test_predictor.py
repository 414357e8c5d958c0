"""The difficulty predictor: it learns a planted signal, is deterministic for a seed, saves
metrics that recompute exactly, reads a run folder, and rejects bad input in one line."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from miner.difficulty import (
    FEATURE_NAMES,
    FitSettings,
    Predictor,
    fit_predictor,
    fit_run_predictor,
    predict_run,
    text_features,
)
from miner.difficulty.heads import label_targets
from miner.difficulty.metrics import out_of_fold
from miner.errors import InputError
from miner.run import Run

DIM = 32
CRITERIA = ("hard", "long", "noise")


def planted(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Vectors, text features and labels: `hard` follows a direction of the vectors, `long`
    the text length, `noise` nothing; the score counts the criteria met."""
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    lengths = rng.integers(5, 400, size=n)
    texts = ["word " * int(k) for k in lengths]
    features = text_features(texts)
    direction = np.random.default_rng(99).normal(size=DIM)
    hard = vectors @ direction + rng.normal(scale=0.3, size=n) > 0.5
    long = lengths + rng.normal(scale=40, size=n) > 250
    noise = rng.random(n) < 0.3
    labels = pd.DataFrame({"id": [f"p{i}" for i in range(n)], "hard": hard, "long": long,
                           "noise": noise})
    labels["score"] = hard.astype(float) + long + noise
    return vectors, features, labels


SETTINGS = FitSettings(min_score=2, alpha=10.0, ks=(20, 50))


@pytest.fixture(scope="module")
def fitted() -> tuple[Predictor, tuple]:
    data = planted(600, seed=1)
    return fit_predictor(*data, seed=0, settings=SETTINGS), data


def test_learns_the_signal_on_held_out_prompts(fitted) -> None:
    predictor, _ = fitted
    vectors, features, labels = planted(600, seed=2)  # new prompts, same hidden rule
    predicted = predictor.predict(vectors, features)
    assert list(predicted.columns) == ["p_hard", "p_long", "p_noise", "expected_score", "p_pass"]
    assert roc_auc_score(labels["hard"], predicted["p_hard"]) > 0.85
    assert roc_auc_score(labels["long"], predicted["p_long"]) > 0.85
    assert roc_auc_score(labels["noise"], predicted["p_noise"]) < 0.62  # nothing to learn
    assert roc_auc_score(labels["score"] >= 2, predicted["p_pass"]) > 0.75
    # the score is a third noise (the `noise` criterion), which caps its rank correlation
    assert spearmanr(predicted["expected_score"], labels["score"]).statistic > 0.45
    # probabilities are calibrated, not just ranked: mean prediction near the true rate
    assert predicted["p_hard"].mean() == pytest.approx(labels["hard"].mean(), abs=0.07)
    assert predicted["p_pass"].between(0, 1).all()
    # the same fit on shuffled labels has nothing to learn: held-out AUC near 0.5
    train_vectors, train_features, train_labels = planted(600, seed=1)
    shuffled = train_labels.sample(frac=1.0, random_state=0).reset_index(drop=True)
    blind = fit_predictor(train_vectors, train_features, shuffled, seed=0, settings=SETTINGS)
    assert abs(roc_auc_score(labels["hard"],
                             blind.predict(vectors, features)["p_hard"]) - 0.5) < 0.08
    metrics = predictor.metrics
    assert metrics["auc"]["hard"] > 0.85 and metrics["auc"]["noise"] < 0.62
    assert metrics["precision_at_k"]["50"] > 2 * metrics["base_rate"]


def test_same_seed_same_predictor_other_seed_other_folds(fitted) -> None:
    predictor, data = fitted
    again = fit_predictor(*data, seed=0, settings=SETTINGS)
    assert np.array_equal(predictor.weights, again.weights)
    assert np.array_equal(predictor.bias, again.bias)
    assert predictor.metrics == again.metrics
    other = fit_predictor(*data, seed=5, settings=SETTINGS)
    assert other.metrics["auc"] != predictor.metrics["auc"]  # other folds, other figures


def test_saved_metrics_equal_recomputed_ones(fitted, tmp_path: Path) -> None:
    predictor, (vectors, features, labels) = fitted
    predictor.save(tmp_path / "predictor")
    loaded = Predictor.load(tmp_path / "predictor")
    saved = json.loads((tmp_path / "predictor" / "metrics.json").read_text())
    assert saved == loaded.metrics == predictor.metrics
    assert (tmp_path / "predictor" / "training_ids.txt").read_text().split() == list(
        labels["id"])
    pd.testing.assert_frame_equal(loaded.predict(vectors, features),
                                  predictor.predict(vectors, features))
    # recompute every figure by hand from the out-of-fold scores
    targets = label_targets(labels, CRITERIA, SETTINGS.min_score)
    oof = out_of_fold(vectors, features, targets, 0, SETTINGS)
    for name in CRITERIA:
        assert saved["auc"][name] == pytest.approx(roc_auc_score(labels[name], oof[name]),
                                                   abs=1e-6)
    passed = labels["score"].to_numpy() >= 2
    assert saved["auc_pass"] == pytest.approx(roc_auc_score(passed, oof["pass"]), abs=1e-6)
    assert saved["spearman_score"] == pytest.approx(
        spearmanr(oof["score"], labels["score"]).statistic, abs=1e-6)
    top = np.argsort(-oof["pass"].to_numpy())[:50]
    assert saved["precision_at_k"]["50"] == pytest.approx(passed[top].mean(), abs=1e-6)
    assert saved["base_rate"] == pytest.approx(passed.mean(), abs=1e-6)
    assert saved["labels"] == 600 and saved["folds"] == 5


def test_one_class_criterion_gets_a_constant_head() -> None:
    vectors, features, labels = planted(60, seed=3)
    labels["noise"] = False
    predictor = fit_predictor(vectors, features, labels, seed=0, settings=SETTINGS)
    predicted = predictor.predict(vectors, features)
    assert predicted["p_noise"].nunique() == 1 and predicted["p_noise"].iloc[0] < 0.05
    assert predictor.metrics["auc"]["noise"] is None


def test_text_features() -> None:
    rows = text_features(["12ab", None, "```\nx = 1;\n```\nwhy?", "é"])
    assert rows.shape == (4, len(FEATURE_NAMES)) and rows.dtype == np.float32
    named = [dict(zip(FEATURE_NAMES, r, strict=True)) for r in rows]
    assert named[0]["digit_share"] == pytest.approx(0.5)
    assert named[0]["log_chars"] == pytest.approx(math.log1p(4))
    assert named[1]["log_chars"] == 0 and named[1]["code_fence"] == 0
    assert named[2]["code_fence"] == 1 and named[2]["log_questions"] == pytest.approx(
        math.log1p(1))
    assert named[2]["log_lines"] == pytest.approx(math.log1p(3))
    assert named[3]["non_ascii_share"] == pytest.approx(0.5)  # 2 bytes, 1 character
    assert text_features([]).shape == (0, len(FEATURE_NAMES))


def test_bad_inputs_are_one_line(fitted, tmp_path: Path) -> None:
    predictor, (vectors, features, labels) = fitted
    cases = [
        ((vectors[:10], features, labels), "features: 600 rows but vectors have 10"),
        ((vectors, features, labels.drop(columns="score")), "column 'score' is missing"),
        ((vectors, features, labels.assign(score=["x"] * 600)), "row 0: score 'x'"),
        ((vectors, features, labels.assign(hard=1)), "'hard' must be true/false"),
        ((vectors[:5], features[:5], labels[:5]), "needs at least 10"),
        ((vectors[0], features, labels), "vectors: expected a 2-D array"),
        ((np.full_like(vectors, np.nan), features, labels), "NaN or infinite"),
    ]
    for args, message in cases:
        with pytest.raises(InputError, match=message):
            fit_predictor(*args, seed=0, criteria=CRITERIA, settings=SETTINGS)
    with pytest.raises(InputError, match="vectors: expected 32 columns, got 8"):
        predictor.predict(vectors[:, :8], features)
    with pytest.raises(InputError, match="features: 3 rows but vectors have 600"):
        predictor.predict(vectors, features[:3])
    predictor.save(tmp_path / "p")
    (tmp_path / "p" / "predictor.json").write_text('{"format": "something else"}')
    with pytest.raises(InputError, match="not a miner-difficulty-predictor-1 file"):
        Predictor.load(tmp_path / "p")
    (tmp_path / "p" / "model.npz").write_bytes(b"not numpy")
    with pytest.raises(InputError, match="cannot read the predictor"):
        Predictor.load(tmp_path / "p")


def test_run_folder_fits_on_judged_distinct_prompts(tmp_path: Path) -> None:
    vectors, _, labels = planted(80, seed=4)
    texts = ["word " * (5 + i) for i in range(80)]
    run = Run(tmp_path / "run")
    run.path.mkdir()
    dup_of = [None] * 78 + ["p0", "p1"]               # two exact duplicates
    pd.DataFrame({"id": labels["id"], "text": texts, "dup_of": dup_of}).to_parquet(
        run.file("prompts.parquet"))
    np.save(run.file("embeddings.npy"), vectors)
    status = ["ok"] * 70 + ["no_match"] * 5 + ["ok"] * 5
    source = ["judge"] * 65 + ["predicted"] * 15        # predicted scores are no labels
    scores = labels.assign(status=status, source=source, judge="hand", rubric="r-v1")
    scores[list(CRITERIA)] = scores[list(CRITERIA)].astype(object)
    scores.loc[70:74, [*CRITERIA, "score"]] = None      # the judge failed: null criteria
    scores.to_parquet(run.file("scores.parquet"))
    predictor = fit_run_predictor(run, seed=0, settings=SETTINGS)
    assert predictor.training_ids == [f"p{i}" for i in range(65)]
    assert predictor.criteria == CRITERIA
    saved = Predictor.load(run.file("predictor"))
    assert saved.metrics == predictor.metrics and saved.training_ids == predictor.training_ids
    predicted = predict_run(run, saved)
    assert list(predicted["id"]) == [f"p{i}" for i in range(78)]  # distinct prompts only
    assert predicted["p_pass"].notna().all()
