"""arena-hard-auto's files, read strictly: `model_answer` and `model_judgment` folders, and a
reference leaderboard.

- answers (`--answers DIR`): one `<model>.jsonl` per model, a row per question with
  `question_id` (v0.1) or `uid` (v2) and the answer in `choices[0].turns[0].content` (v0.1)
  or in the last `messages` entry of role assistant (`content` text, or `{answer: text}`, v2).
- judgments (`--judgments DIR`, i.e. `model_judgment/<judge>/`): one `<model>.jsonl` per
  model, a row per question with `question_id`/`uid`, optionally `model` and `baseline`, and
  `games`: two objects whose `score` is a verdict label (`A>B`...) or null (the judge's
  answer did not parse); game 1 puts the baseline in position A, game 2 in position B.
- reference (`--reference FILE`): CSV with a header holding `model` and `rating` (optional
  `lower` and `upper`: the reference's own interval), or JSON Lines of such objects.

Every problem is one `InputError` line naming the file and the line.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from miner.errors import InputError
from miner.jsonl import read_objects
from miner.validate.judging import VERDICTS

MAX_ID_CHARS = 200


def model_files(folder: Path, what: str) -> dict[str, Path]:
    """`<model>.jsonl` files of `folder` by model name."""
    if not folder.is_dir():
        raise InputError(f"{folder}: {what} folder does not exist")
    return {path.stem: path for path in sorted(folder.glob("*.jsonl")) if path.is_file()}


def _question_id(path: Path, number: int, row: dict[str, Any]) -> str:
    value = row.get("question_id", row.get("uid"))
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        raise InputError(f"{path}: line {number}: needs a 'question_id' or 'uid' (text)")
    text = str(value)
    if len(text) > MAX_ID_CHARS:
        raise InputError(f"{path}: line {number}: question id longer than {MAX_ID_CHARS}")
    return text


def _answer_text(path: Path, number: int, row: dict[str, Any]) -> str:
    if "choices" in row:
        try:
            content = row["choices"][0]["turns"][0]["content"]
        except (KeyError, IndexError, TypeError):
            content = None
        if not isinstance(content, str):
            raise InputError(f"{path}: line {number}: 'choices[0].turns[0].content' must be "
                             "text")
        return content
    messages = row.get("messages")
    if isinstance(messages, list) and messages and isinstance(messages[-1], dict) \
            and messages[-1].get("role") == "assistant":
        content = messages[-1].get("content")
        if isinstance(content, dict):
            content = content.get("answer")
        if isinstance(content, str):
            return content
    raise InputError(f"{path}: line {number}: no answer: expected 'choices[0].turns[0].content'"
                     " (v0.1) or a last 'messages' entry of role assistant (v2)")


def read_answers(folder: Path, models: list[str]) -> dict[str, dict[str, str]]:
    """Answers by model (only `models` with a file) and question id."""
    found: dict[str, dict[str, str]] = {}
    files = model_files(folder, "--answers")
    for model in models:
        if model not in files:
            continue
        path, answers = files[model], {}
        for number, row in read_objects(path, "answer file"):
            qid = _question_id(path, number, row)
            if qid in answers:
                raise InputError(f"{path}: line {number}: question '{qid}' answered twice")
            answers[qid] = _answer_text(path, number, row)
        found[model] = answers
    return found


@dataclass(frozen=True)
class FileJudgment:
    """One row of a judgment file: the two games' labels (None: did not parse)."""

    model: str
    question_id: str
    labels: tuple[str | None, str | None]


def read_judgments(folder: Path, models: list[str], baseline: str) -> list[FileJudgment]:
    """The judgments of `models` against `baseline` found in `folder`."""
    files = model_files(folder, "--judgments")
    found: list[FileJudgment] = []
    for model in models:
        if model not in files:
            continue
        path, seen = files[model], set()
        for number, row in read_objects(path, "judgment file"):
            qid = _question_id(path, number, row)
            for key, expected in (("model", model), ("baseline", baseline)):
                value = row.get(key, expected)
                if value != expected:
                    raise InputError(f"{path}: line {number}: '{key}' is {str(value)[:80]!r}, "
                                     f"expected {expected!r}")
            games = row.get("games")
            if not isinstance(games, list) or len(games) != 2 \
                    or not all(isinstance(g, dict) for g in games):
                raise InputError(f"{path}: line {number}: 'games' must be a list of two "
                                 "objects (baseline as A, then as B)")
            labels = tuple(g.get("score") for g in games)
            for label in labels:
                if label is not None and label not in VERDICTS:
                    raise InputError(f"{path}: line {number}: score {str(label)[:20]!r} is not "
                                     f"one of {', '.join(VERDICTS)} or null")
            if qid in seen:
                raise InputError(f"{path}: line {number}: question '{qid}' judged twice")
            seen.add(qid)
            found.append(FileJudgment(model, qid, labels))  # type: ignore[arg-type]
    return found


@dataclass(frozen=True)
class ReferenceEntry:
    """A model's rating on the reference leaderboard, with its interval when given."""

    model: str
    rating: float
    lower: float | None = None
    upper: float | None = None


def _number(path: Path, number: int, key: str, value: Any, required: bool) -> float | None:
    if value is None or value == "":
        if required:
            raise InputError(f"{path}: line {number}: '{key}' is missing")
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        result = math.nan
    if isinstance(value, bool) or not math.isfinite(result):
        raise InputError(f"{path}: line {number}: '{key}' must be a number, got "
                         f"{str(value)[:40]!r}")
    return result


def _rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    if path.suffix.lower() in (".jsonl", ".json"):
        return list(read_objects(path, "reference file"))
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or not {"model", "rating"} <= set(reader.fieldnames):
                raise InputError(f"{path}: line 1: the header must name 'model' and 'rating'")
            return [(number, row) for number, row in enumerate(reader, start=2)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: cannot read the reference file ({exc})") from None


def read_reference(path: Path) -> list[ReferenceEntry]:
    """The reference leaderboard in `path` (CSV or JSON Lines)."""
    if not path.is_file():
        raise InputError(f"{path}: --reference file does not exist")
    entries: dict[str, ReferenceEntry] = {}
    for number, row in _rows(path):
        model = row.get("model")
        if not isinstance(model, str) or not model.strip():
            raise InputError(f"{path}: line {number}: 'model' must be a name")
        if model in entries:
            raise InputError(f"{path}: line {number}: model {model[:80]!r} listed twice")
        rating = _number(path, number, "rating", row.get("rating"), True)
        lower = _number(path, number, "lower", row.get("lower"), False)
        upper = _number(path, number, "upper", row.get("upper"), False)
        if (lower is None) != (upper is None) or (lower is not None and not
                                                   lower <= rating <= upper):  # type: ignore
            raise InputError(f"{path}: line {number}: 'lower' and 'upper' must both be given "
                             "and hold the rating between them")
        entries[model] = ReferenceEntry(model, rating, lower, upper)  # type: ignore[arg-type]
    if len(entries) < 2:
        raise InputError(f"{path}: a reference needs at least two models")
    return list(entries.values())
