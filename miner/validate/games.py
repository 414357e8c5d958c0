"""The judgments behind the ratings: games to judge, verdicts from the judge or from files,
and the battles they make.

Each model other than the baseline meets the baseline on every question both answered, in
both orders. A game already in a `model_judgment` file is taken from it; the rest are asked
of the judge through `miner.llm` (cached in judge.sqlite, resumable). A verdict that does
not parse (or a file's null score) is counted and left out, as arena-hard-auto does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from miner.judge.parse import OK
from miner.llm import CallStats, ChatRequest, LLMCache, LLMSpec, complete_many
from miner.validate.files import FileJudgment
from miner.validate.judging import Game, battle_of, game_request, parse_verdict
from miner.validate.questions import Question


@dataclass
class Verdicts:
    """Every game's label by (model, question hash, order), and how they were had."""

    labels: dict[tuple[str, str, int], str] = field(default_factory=dict)
    from_file: int = 0
    stats: CallStats = field(default_factory=CallStats)
    failed: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Counts for validation.json."""
        return {"verdicts": len(self.labels), "from_file": self.from_file,
                "cached": self.stats.cached, "called": self.stats.called,
                "failed": dict(sorted(self.failed.items())),
                "prompt_tokens": self.stats.prompt_tokens,
                "completion_tokens": self.stats.completion_tokens}


def make_games(questions: list[Question], answers: Mapping[str, Mapping[str, str]],
               baseline: str, max_chars: int) -> list[Game]:
    """Both orders of every (model, question) both the model and the baseline answered."""
    games = []
    base = answers[baseline]
    for model, given in answers.items():
        if model == baseline:
            continue
        for question in questions:
            if question.hash not in given or question.hash not in base:
                continue
            mine, theirs = given[question.hash][:max_chars], base[question.hash][:max_chars]
            games.append(Game(model, question.hash, 1, question.text, theirs, mine))
            games.append(Game(model, question.hash, 2, question.text, mine, theirs))
    return games


def judge_params(spec: LLMSpec) -> dict[str, Any]:
    """The request parameters a judgment's cache key covers."""
    return {"temperature": spec.temperature, "max_tokens": spec.max_tokens}


def game_requests(spec: LLMSpec, games: list[Game]) -> list[ChatRequest]:
    """The judge's requests for `games`."""
    params = judge_params(spec)
    return [game_request(game, spec.model, params) for game in games]


def file_labels(judgments: list[FileJudgment], questions: list[Question],
                into: Verdicts) -> set[tuple[str, str, int]]:
    """Put the file judgments of known questions into `into`; the games they cover."""
    by_uid = {q.uid: q.hash for q in questions}
    covered = set()
    for judgment in judgments:
        question = by_uid.get(judgment.question_id)
        if question is None:
            continue
        for order, label in enumerate(judgment.labels, start=1):
            key = (judgment.model, question, order)
            covered.add(key)
            into.from_file += 1
            if label is None:
                into.failed["no_match"] += 1
            else:
                into.labels[key] = label
    return covered


def judge_games(spec: LLMSpec | None, games: list[Game], cache: LLMCache,
                into: Verdicts) -> None:
    """Ask the judge for `games` (none: nothing to ask); labels and counts into `into`."""
    if not games:
        return
    assert spec is not None
    results = complete_many(spec, game_requests(spec, games), cache, parse=parse_verdict,
                            stats=into.stats, desc="judgments")
    for game, result in zip(games, results, strict=True):
        if result.status == OK:
            into.labels[(game.model, game.question, game.order)] = result.parsed
        else:
            into.failed[result.status] += 1
            if result.error:
                into.errors.append(result.error)


def outcomes(verdicts: Verdicts, strong_weight: int) -> list[tuple[str, str, int, int]]:
    """(question hash, model, outcome, weight) of every parsed verdict (outcome 1: the model
    won, -1: the baseline, 0: a tie)."""
    rows = []
    for (model, question, order), label in sorted(verdicts.labels.items()):
        outcome, weight = battle_of(label, order, strong_weight)
        rows.append((question, model, outcome, weight))
    return rows
