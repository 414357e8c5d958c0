"""`miner validate --run DIR --models NAME... --baseline NAME --judge NAME`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from miner.cli.options import config_option, json_option, open_run, print_json, run_options

FOLDER = click.Path(file_okay=False, path_type=Path)


def model_list(values: tuple[str, ...]) -> list[str] | None:
    """`--models a,b --models c` as ["a", "b", "c"] (None when not given)."""
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    return names or None


def validate_options(func: Callable, *, judge: bool = True) -> Callable:
    """The options `miner validate` and `miner estimate --validate` share (`judge`: with
    --judge; estimate has its own)."""
    func = click.option("--judgments", "judgments_dir", type=FOLDER, default=None,
                        metavar="DIR",
                        help="arena-hard-auto model_judgment/<judge>/ folder: games found "
                             "there are not judged again.")(func)
    func = click.option("--answers", "answers_dir", type=FOLDER, default=None, metavar="DIR",
                        help="arena-hard-auto model_answer/ folder (<model>.jsonl): "
                             "questions answered there are not asked again.")(func)
    func = config_option("--control", key="validate.control",
                         help="random: also rate a seeded random sample of the run's distinct "
                              "prompts of the same size; none: skip it.")(func)
    if judge:
        func = config_option("--judge", key="validate.judge", metavar="NAME",
                             help="The pairwise judge (a name under `judges:` or a model name "
                                  "at $OPENAI_BASE_URL).")(func)
    func = config_option("--baseline", key="validate.baseline", metavar="NAME",
                         help="Every model is judged against this one, in both orders.")(func)
    return click.option("--models", "models", multiple=True, metavar="NAME[,NAME...]",
                        help="Models answering the questions (repeat or comma-separate); "
                             "names under `models:` or at $OPENAI_BASE_URL. "
                             "[config validate.models]")(func)


def overrides_of(models: tuple[str, ...], baseline: str | None, judge: str | None,
                 control: str | None, **extra: Any) -> dict[str, Any]:
    """The config overrides of the shared options."""
    return {"validate.models": model_list(models), "validate.baseline": baseline,
            "validate.judge": judge, "validate.control": control, **extra}


def describe(result: dict[str, Any]) -> list[str]:
    """validation.json as a few lines for people."""
    lines = [f"validate: {len(result['models'])} models against {result['baseline']}"
             + (f", judge {result['judge']['name']}" if result["judge"] else "")]
    for name in ("benchmark", "control"):
        block = result.get(name)
        if not block:
            continue
        sep = block["separability"]
        lines.append(f"  {name}: {block['questions']} questions, {block['games']} games, "
                     f"separability {'-' if sep is None else f'{sep:.1%}'}")
        for row in block["ratings"]:
            lines.append(f"    {row['model']:<24} {row['rating']:8.1f} "
                         f"[{row['lower']:.1f}, {row['upper']:.1f}]  win rate "
                         f"{row['win_rate']:.1%} [{row['win_rate_lower']:.1%}, "
                         f"{row['win_rate_upper']:.1%}]")
        ref = block.get("reference")
        if ref and ref["agreement"] is not None:
            lines.append(f"    vs reference ({len(ref['models'])} models, {ref['pairs']} pairs):"
                         f" agreement {ref['agreement']:.1%}, Spearman "
                         f"{_num(ref['spearman'])}, Kendall {_num(ref['kendall'])}, "
                         f"Brier {ref['brier']:.3f}")
    judged = result["judgments"]
    lines.append(f"  judgments: {judged['verdicts']} verdicts ({judged['cached']} cached, "
                 f"{judged['called']} called, {judged['from_file']} from files); failed "
                 f"{judged['failed'] or 0}")
    return lines


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


@click.command("validate")
@validate_options
@config_option("--rounds", key="validate.rounds", metavar="N", help="Bootstrap rounds.")
@config_option("--seed", key="validate.seed", metavar="N",
               help="Seeds the control sample and the bootstrap.")
@click.option("--reference", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE",
              help="A reference leaderboard (CSV or JSON Lines: model, rating[, lower, "
                   "upper]): agreement, Spearman, Kendall and pair-rank Brier against it.")
@run_options
@json_option
def validate(models: tuple[str, ...], baseline: str | None, judge: str | None,
             control: str | None, answers_dir: Path | None, judgments_dir: Path | None,
             rounds: int | None, seed: int | None, reference: Path | None, run_dir: Path,
             config_file: Path | None, force: bool, as_json: bool) -> None:
    """Rate models on the benchmark and on a random control sample of the same log.

    Each model answers every question (cached in judge.sqlite; or read from --answers),
    the judge compares each with the baseline in both orders (arena-hard-auto's prompt and
    verdicts; or read from --judgments), and Bradley-Terry ratings with bootstrap intervals
    give each set's separability (the share of model pairs whose intervals do not overlap).
    Writes validation.json; a killed run resumes from the cache.
    """
    from miner.artifacts import VALIDATION, read_json
    from miner.validate import Inputs, run_validate

    run, config = open_run(run_dir, config_file, overrides_of(
        models, baseline, judge, control, **{"validate.rounds": rounds,
                                             "validate.seed": seed}))
    run_validate(run, config, Inputs(answers_dir, judgments_dir, reference), force=force)
    result = read_json(run, VALIDATION)
    if as_json:
        print_json(result)
        return
    for line in describe(result):
        click.echo(line)
