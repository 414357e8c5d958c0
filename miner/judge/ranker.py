"""The offline `ranker` judge: a small fitted logistic model over cheap text features.

Each prompt becomes one row of `FEATURES`: heuristic-v2's text features (`heuristic.Features`,
counts `log1p`-scaled), its seven criterion verdicts and `miner.difficulty`'s length, code and
character-share features. A logistic model fitted on Chatbot Arena prompts (Arena-Hard v0.1
against arena-catalog's development half; `scripts/build_ranker.py`) turns the row into a
logit; the model file (`ranker-v1.json`, package data) holds its coefficients, the scaling,
and the logit quantiles of the background prompts it was fitted on.

Rubric output (so `select.min_score` and topic means keep their meaning):

* the logit's percentile among the background prompts is the ranker's calibrated score;
* a criteria rubric gets a score `s` from the percentile through `score_cuts`: score 6
  starts at the background's 80th percentile (a fifth of an Arena log passes
  `select.min_score: 6`), score 7 where the median Arena-Hard v0.1 question ranks, and
  scores 1-5 where heuristic-v2's start on the background (its share below k);
  the `s` criteria listed are heuristic-v2's met criteria first, then the unmet ones, each
  in `PRIORITY` order (more met than `s`: the first `s` met; fewer: unmet ones fill up);
  a rubric with n criteria other than 7 gets `round(s * n / 7)`;
* a rating rubric gets `low + round((high - low) * percentile)`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from miner.difficulty.features import FEATURE_NAMES, text_features
from miner.errors import ConfigError
from miner.judge import heuristic
from miner.judge.rubric import Rubric

NAME = "ranker"
FORMAT = "miner-ranker-1"
MODEL_FILE = Path(__file__).resolve().parent / "ranker-v1.json"
LEVELS = 7   # the benchbuilder-v1 rubric's criteria: the scale `score_cuts` is fitted on

_FIELDS = tuple(f.name for f in fields(heuristic.Features))
_COUNTS = frozenset({"words", "tech", "domain", "questions", "constraints"})
FEATURES = (*_FIELDS, *(f"rule_{name}" for name in heuristic.RULES), *FEATURE_NAMES)
# the order criteria are listed in (and dropped from the end of): commonest first
PRIORITY = ("real_world", "specificity", "domain_knowledge", "technical_accuracy",
            "problem_solving", "complexity", "creativity")


def feature_rows(texts: Sequence[str]) -> np.ndarray:
    """One float64 row of `FEATURES` per text (counts log1p-scaled; booleans 0/1)."""
    rows = []
    for text in texts:
        found = heuristic.features(text)
        values = [math.log1p(v) if name in _COUNTS else float(v)
                  for name, v in zip(_FIELDS, astuple(found), strict=True)]
        values += [float(rule(found)) for rule in heuristic.RULES.values()]
        rows.append(values)
    flags = np.array(rows, dtype=np.float64).reshape(len(rows), len(_FIELDS) + len(
        heuristic.RULES))
    return np.hstack([flags, text_features(texts).astype(np.float64)])


@dataclass(frozen=True)
class RankerModel:
    """A fitted ranker: standardisation, coefficients, background quantiles, score cuts."""

    mean: np.ndarray            # (features,)
    scale: np.ndarray           # (features,)
    coef: np.ndarray            # (features,)
    intercept: float
    quantiles: np.ndarray       # logits of the background at evenly spaced percentiles
    score_cuts: np.ndarray      # (LEVELS,) percentile at or above which score k+1 starts
    info: dict[str, Any]
    digest: str

    @property
    def model_id(self) -> str:
        """What answers, in every cache key: the format and the file's digest."""
        return f"ranker-v1-{self.digest[:12]}"

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """The model's logit for each text (higher: more like a hard Arena prompt)."""
        return ((feature_rows(texts) - self.mean) / self.scale) @ self.coef + self.intercept

    def percentiles(self, logits: np.ndarray) -> np.ndarray:
        """Each logit's percentile (0-1) among the background prompts the model was fitted on."""
        grid = np.linspace(0.0, 1.0, len(self.quantiles))
        return np.interp(logits, self.quantiles, grid)

    def level(self, percentile: float) -> int:
        """The 0-7 score of a percentile (`score_cuts` passed)."""
        return int(np.searchsorted(self.score_cuts, percentile, side="right"))


def to_json(model: RankerModel) -> dict[str, Any]:
    """The model as the JSON object `load_model` reads (written by scripts/build_ranker.py)."""
    return {
        "format": FORMAT, "features": list(FEATURES),
        "mean": [round(float(v), 8) for v in model.mean],
        "scale": [round(float(v), 8) for v in model.scale],
        "coef": [round(float(v), 8) for v in model.coef],
        "intercept": round(float(model.intercept), 8),
        "quantiles": [round(float(v), 8) for v in model.quantiles],
        "score_cuts": [round(float(v), 8) for v in model.score_cuts],
        "info": model.info,
    }


def _array(data: dict[str, Any], key: str, size: int | None, where: Path) -> np.ndarray:
    values = data.get(key)
    if not isinstance(values, list) or (size is not None and len(values) != size) \
            or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
        raise ConfigError(f"{where}: '{key}' must be a list of "
                          f"{size if size is not None else 'some'} finite numbers")
    return np.array(values, dtype=np.float64)


def parse_model(text: str, where: Path) -> RankerModel:
    """Check and read a ranker model file's text; any fault is one `ConfigError`."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{where}: not a ranker model file (invalid JSON: {exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConfigError(f"{where}: not a {FORMAT} file")
    if data.get("features") != list(FEATURES):
        raise ConfigError(f"{where}: fitted on other features than this miner computes; "
                          "rebuild it with scripts/build_ranker.py")
    n = len(FEATURES)
    scale = _array(data, "scale", n, where)
    quantiles = _array(data, "quantiles", None, where)
    cuts = _array(data, "score_cuts", LEVELS, where)
    intercept = data.get("intercept")
    if (not isinstance(intercept, (int, float)) or not math.isfinite(intercept)
            or (scale <= 0).any() or len(quantiles) < 2 or (np.diff(quantiles) < 0).any()
            or (np.diff(cuts) < 0).any() or cuts.min() < 0 or cuts.max() > 1):
        raise ConfigError(f"{where}: intercept, scale, quantiles or score_cuts out of range")
    info = data.get("info") if isinstance(data.get("info"), dict) else {}
    return RankerModel(_array(data, "mean", n, where), scale, _array(data, "coef", n, where),
                       float(intercept), quantiles, cuts, info,
                       hashlib.sha256(text.encode("utf-8")).hexdigest())


@functools.lru_cache(maxsize=8)
def load_model(path: str | None = None) -> RankerModel:
    """The ranker model in `path`, or the shipped one (package data) when None."""
    where = Path(path) if path else MODEL_FILE
    try:
        text = where.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read the ranker model ({exc.strerror})") from None
    return parse_model(text, where)


def listed_criteria(text: str, rubric: Rubric, level: int) -> list[int]:
    """The rubric's criterion numbers the ranker lists for a prompt it scored `level` (0-7)."""
    wanted = round(level * len(rubric.criteria) / LEVELS)
    met = heuristic.criteria_met(text)
    ordered = sorted(rubric.criteria, key=lambda name: (not met[name], PRIORITY.index(name)))
    chosen = set(ordered[:wanted])
    return [i for i, name in enumerate(rubric.criteria, start=1) if name in chosen]


def answers(model: RankerModel, texts: Sequence[str], rubric: Rubric) -> list[Any]:
    """The ranker's answer for each text: criterion numbers (criteria rubric) or a rating."""
    percentiles = model.percentiles(model.logits(texts))
    if rubric.kind == "criteria":
        return [listed_criteria(text, rubric, model.level(p))
                for text, p in zip(texts, percentiles, strict=True)]
    return [rubric.low + round((rubric.high - rubric.low) * float(p)) for p in percentiles]
