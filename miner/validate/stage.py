"""`miner validate`: does the mined benchmark separate models better than random prompts?

Models answer the benchmark's questions (and a control sample of the same size), a judge
compares each model with the baseline in both orders, and Bradley-Terry ratings with
bootstrap intervals give each set's separability and, with a reference leaderboard, its
agreement with it. The result is `validation.json`; calls are cached in judge.sqlite, so a
killed validation resumes and a rerun pays for nothing twice.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from miner.artifacts import JUDGE_CACHE, PROMPTS, SELECTION, VALIDATION
from miner.config import Config
from miner.console import info
from miner.errors import ConfigError, MinerError
from miner.llm import LLMCache, LLMSpec, resolve_endpoint
from miner.run import Run, StageOutcome, file_digest, write_json
from miner.validate.answers import ModelAnswers, collect_answers, resolve_model
from miner.validate.files import read_answers, read_judgments, read_reference
from miner.validate.games import (
    Verdicts,
    file_labels,
    judge_games,
    make_games,
    outcomes,
)
from miner.validate.metrics import against_reference, level_gaps, separability
from miner.validate.questions import Question, load_questions
from miner.validate.ratings import A_WINS, B_WINS, TIE, fit_ratings, make_battles


@dataclass(frozen=True)
class Inputs:
    """Files a validation reads besides the run folder (all optional)."""

    answers: Path | None = None
    judgments: Path | None = None
    reference: Path | None = None


def model_names(section: Mapping[str, Any]) -> tuple[list[str], str]:
    """The models (baseline included, in order) and the baseline, checked."""
    baseline = section.get("baseline")
    if not baseline:
        raise ConfigError("validate: name the baseline model (--baseline NAME or "
                          "validate.baseline)")
    models = list(dict.fromkeys([*(section.get("models") or []), baseline]))
    if len(models) < 2:
        raise ConfigError("validate: name at least one model besides the baseline "
                          "(--models NAME ... or validate.models)")
    return models, baseline


def judge_spec(config: Config, section: Mapping[str, Any]) -> LLMSpec:
    """The judge's endpoint, answering with at most `validate.judge_max_tokens`."""
    import dataclasses

    if not section.get("judge"):
        raise ConfigError("validate: name the judge (--judge NAME or validate.judge)")
    spec = resolve_endpoint(config, section["judge"])
    return dataclasses.replace(spec, max_tokens=int(section["judge_max_tokens"]))


def _digest(path: Path | None) -> str | None:
    return None if path is None else file_digest(path)


def _battles(rows: list[tuple[str, str, int, int]], questions: list[Question],
             baseline: str) -> list[tuple[str, str, int, int]]:
    wanted = {q.hash for q in questions}
    code = {1: B_WINS, -1: A_WINS, 0: TIE}
    return [(baseline, model, code[outcome], weight)
            for question, model, outcome, weight in rows if question in wanted]


def score_set(rows: list[tuple[str, str, int, int]], questions: list[Question],
              baseline: str, section: Mapping[str, Any],
              reference: list | None) -> dict[str, Any]:
    """Ratings, intervals, win rates, separability and reference figures of one set."""
    battles = _battles(rows, questions, baseline)
    played = list(dict.fromkeys([baseline, *(b[1] for b in battles)]))
    result: dict[str, Any] = {"questions": len(questions), "games": len(battles),
                              "ratings": [], "separability": None, "reference": None,
                              "bootstrap_s": 0.0}
    if len(played) < 2:
        return result
    started = time.perf_counter()
    ratings = fit_ratings(make_battles(played, battles), baseline, rounds=section["rounds"],
                          level=section["level"], seed=section["seed"])
    result["bootstrap_s"] = round(time.perf_counter() - started, 3)
    win, win_low, win_high = ratings.win_rate(baseline)
    games = {m: sum(1 for b in battles if b[1] == m) for m in played}
    games[baseline] = len(battles)
    order = np.argsort(-ratings.rating, kind="stable")
    result["ratings"] = [{
        "model": played[i], "rating": round(float(ratings.rating[i]), 2),
        "lower": round(float(ratings.lower[i]), 2), "upper": round(float(ratings.upper[i]), 2),
        "win_rate": round(float(win[i]), 4), "win_rate_lower": round(float(win_low[i]), 4),
        "win_rate_upper": round(float(win_high[i]), 4), "games": games[played[i]],
    } for i in order]
    result["separability"] = separability(ratings)
    if reference is not None:
        result["reference"] = against_reference(ratings, reference)
    return result


def _difficulty(rows: list[tuple[str, str, int, int]], questions: list[Question],
                benchmark: dict[str, Any], baseline: str) -> dict[str, Any] | None:
    ranked = [r["model"] for r in benchmark["ratings"] if r["model"] != baseline]
    if len(ranked) < 2:
        return None
    levels = {q.hash: None if q.level is None else float(round(q.level)) for q in questions}
    return {"strongest": ranked[0], "weakest": ranked[-1],
            "levels": level_gaps(rows, levels, ranked[0], ranked[-1])}


def _cost(config: Config, answers: dict[str, ModelAnswers], specs: Mapping[str, LLMSpec | None],
          verdicts: Verdicts, judge: LLMSpec | None) -> float | None:
    from miner.judge.score import cost_usd

    total = 0.0
    parts = [(specs[m].model if specs.get(m) else m, a.stats) for m, a in answers.items()]
    if judge is not None:
        parts.append((judge.model, verdicts.stats))
    for model, stats in parts:
        cost = cost_usd(config, model, stats.prompt_tokens, stats.completion_tokens)
        if cost is None:
            return None
        total += cost
    return round(total, 6)


def _fail_on_transport(answers: dict[str, ModelAnswers], verdicts: Verdicts | None) -> None:
    for model, found in answers.items():
        if found.failed.get("error"):
            raise MinerError(f"validate: {found.failed['error']} answers of model '{model}' "
                             f"failed (last: {found.errors[-1][:200]}); answers so far are "
                             "cached, rerun to resume")
    if verdicts is not None and verdicts.failed.get("error"):
        raise MinerError(f"validate: {verdicts.failed['error']} judgments failed (last: "
                         f"{verdicts.errors[-1][:200]}); judgments so far are cached, rerun "
                         "to resume")


def plan(run: Run, config: Config, inputs: Inputs) -> dict[str, Any]:
    """What a validation works on: questions, models, file answers and judgments, specs."""
    section = config["validate"]
    models, baseline = model_names(section)
    benchmark, control = load_questions(
        run, control=section["control"] == "random", seed=section["seed"],
        max_chars=config["score"]["max_prompt_chars"])
    questions = list(dict.fromkeys(benchmark + control))
    files = read_answers(inputs.answers, models) if inputs.answers else {}
    file_judgments = (read_judgments(inputs.judgments, models, baseline)
                      if inputs.judgments else [])
    specs: dict[str, LLMSpec | None] = {}
    for model in models:
        given = files.get(model, {})
        needs = any(q.uid not in given for q in questions)
        specs[model] = resolve_model(config, model, section["answer_max_tokens"]) \
            if needs else None
    return {"section": section, "models": models, "baseline": baseline,
            "benchmark": benchmark, "control": control, "questions": questions,
            "files": files, "file_judgments": file_judgments, "specs": specs}


def validate(run: Run, config: Config, inputs: Inputs) -> dict[str, Any]:
    """Answer, judge and rate; the content of validation.json."""
    p = plan(run, config, inputs)
    section, baseline, questions = p["section"], p["baseline"], p["questions"]
    reference = read_reference(inputs.reference) if inputs.reference else None
    info(f"validate: {len(p['models'])} models, {len(p['benchmark'])} benchmark and "
         f"{len(p['control'])} control questions")
    with LLMCache(run.file(JUDGE_CACHE)) as cache:
        answers = collect_answers(p["specs"], questions, p["files"], cache)
        _fail_on_transport(answers, None)
        verdicts = Verdicts()
        covered = file_labels(p["file_judgments"], questions, verdicts)
        games = [g for g in make_games(questions, {m: a.answers for m, a in answers.items()},
                                       baseline, section["max_answer_chars"])
                 if (g.model, g.question, g.order) not in covered]
        judge = judge_spec(config, section) if games else None
        judge_games(judge, games, cache, verdicts)
        _fail_on_transport(answers, verdicts)
    rows = outcomes(verdicts, section["strong_weight"])
    benchmark = score_set(rows, p["benchmark"], baseline, section, reference)
    control = score_set(rows, p["control"], baseline, section, reference) \
        if p["control"] else None
    return {
        "baseline": baseline,
        "models": p["models"],
        "judge": None if judge is None else {"name": judge.name, "model": judge.model},
        "settings": {k: section[k] for k in sorted(section) if k not in ("models", "baseline")},
        "reference": None if inputs.reference is None else {
            "file": str(inputs.reference), "models": len(reference or [])},
        "benchmark": benchmark,
        "control": control,
        "difficulty": _difficulty(rows, questions, benchmark, baseline),
        "answers": {m: a.summary() for m, a in answers.items()},
        "judgments": verdicts.summary(),
        "cost_usd": _cost(config, answers, p["specs"], verdicts, judge),
    }


def run_validate(run: Run, config: Config, inputs: Inputs, *,
                 force: bool = False) -> StageOutcome:
    """Stage `validate`: write validation.json (skipped when its inputs and settings are
    unchanged)."""
    section = config["validate"]
    models, _ = model_names(section)
    digests = {PROMPTS.name: run.digest(PROMPTS), SELECTION.name: run.digest(SELECTION),
               "answers": _digest(inputs.answers), "judgments": _digest(inputs.judgments),
               "reference": _digest(inputs.reference)}
    settings = {"validate": section, "models": {m: (config.get("models") or {}).get(m)
                                                for m in models},
                "judge": (config.get("judges") or {}).get(section.get("judge") or ""),
                "max_prompt_chars": config["score"]["max_prompt_chars"]}

    def body() -> dict[str, Any]:
        result = validate(run, config, inputs)
        write_json(run.output(VALIDATION), result)
        return {"benchmark_separability": result["benchmark"]["separability"],
                "control_separability": (result["control"] or {}).get("separability"),
                "games": result["benchmark"]["games"]}

    return run.run_stage("validate", inputs=digests, config=settings, outputs=[VALIDATION],
                         body=body, force=force)
