"""`miner estimate --run DIR --judge NAME`: prompts, tokens and cost before any call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from miner.cli.options import config_option, json_option, open_run, print_json, run_folder_options
from miner.cli.validate import overrides_of, validate_options


def validation_options(func):  # noqa: ANN001, ANN201 - a click decorator
    """`miner validate`'s model, baseline, control and file options, less --judge (shared)."""
    return validate_options(func, judge=False)


@click.command("estimate")
@click.option("--judge", default=None, metavar="NAME",
              help="The judge to price (as for `miner score --judge`; with --validate, the "
                   "pairwise judge). Default: score.judge (validate.judge).")
@config_option("--rubric", key="score.rubric", metavar="NAME|FILE",
               help="Rubric (as for `miner score --rubric`).")
@click.option("--validate", "validation", is_flag=True,
              help="Price `miner validate` instead: answers and judgments (both orders).")
@validation_options
@run_folder_options
@json_option
def estimate(judge: str | None, rubric: str | None, validation: bool, models: tuple[str, ...],
             baseline: str | None, control: str | None, answers_dir: Path | None,
             judgments_dir: Path | None, run_dir: Path, config_file: Path | None,
             as_json: bool) -> None:
    """Estimate what `miner score` would send and cost, calling nothing.

    Counts the distinct prompts not yet in the cache, their input tokens (characters / 4 of
    the exact messages) and output tokens (the rubric's typical answer length; `max` is the
    max_tokens worst case), priced from `prices:` in config. With score.then, the strong
    judge's pass is priced too; with score.strategy cascade, the cascade's budget.
    """
    from miner.judge import estimate as estimate_cost

    if validation:
        estimate_validation(run_dir, config_file, models, baseline, judge, control,
                            answers_dir, judgments_dir, as_json)
        return
    run, config = open_run(run_dir, config_file, {"score.rubric": rubric}, save=False)
    result = estimate_cost(run, config, judge)
    if as_json:
        print_json(result)
        return
    click.echo(f"estimate: judge {result['judge']} (model {result['model']}), "
               f"rubric {result['rubric']}")
    click.echo(f"  {result['distinct_prompts']} distinct prompts, {result['cached']} cached, "
               f"{result['to_score']} to score")
    click.echo(f"  tokens: {result['input_tokens']} in, {result['output_tokens']} out "
               f"(at most {result['output_tokens_max']}); estimated as {result['token_estimate']}")
    if result["offline"]:
        click.echo("  cost: $0 (offline judge)")
    elif result["cost_usd"] is None:
        click.echo(f"  cost: unknown (add prices.{result['model']}: {{input: .., output: ..}} "
                   "in USD per million tokens to your config)")
    else:
        click.echo(f"  cost: ${result['cost_usd']:.4f} (at most ${result['cost_usd_max']:.4f})")
    for line in extra_lines(result):
        click.echo(line)


def _usd(value: float | None) -> str:
    return "unknown (no price)" if value is None else f"${value:.4f}"


def extra_lines(result: dict[str, Any]) -> list[str]:
    """The `--then` pass and the cascade's budget, when configured."""
    lines = []
    then = result.get("then")
    if then:
        bound = "at most " if then["upper_bound"] else ""
        lines.append(f"  then: judge {then['judge']} (model {then['model']}) re-scores "
                     f"{bound}{then['to_score']} prompts scored >= {then['min_score']:g} "
                     f"({then['cached']} cached); cost {bound}{_usd(then['cost_usd'])}")
    cascade = result.get("cascade")
    if cascade and cascade.get("sample") is None:
        lines.append(f"  cascade: {cascade['note']}")
    elif cascade:
        lines.append(f"  cascade: first sample {cascade['sample']} prompts, "
                     f"{_usd(cascade['sample_cost_usd'])}; at most {cascade['max_calls']} of "
                     f"{cascade['full_calls']} prompts judged, "
                     f"{_usd(cascade['max_calls_cost_usd'])}"
                     + (f" (max_cost ${cascade['max_cost']:g})" if cascade["max_cost"] else "")
                     + f"; full scoring {_usd(cascade['full_cost_usd'])}")
    return lines


def estimate_validation(run_dir: Path, config_file: Path | None, models: tuple[str, ...],
                        baseline: str | None, judge: str | None, control: str | None,
                        answers_dir: Path | None, judgments_dir: Path | None,
                        as_json: bool) -> None:
    """Print what `miner validate` would send and cost."""
    from miner.validate import Inputs
    from miner.validate import estimate_validation as price

    run, config = open_run(run_dir, config_file,
                           overrides_of(models, baseline, judge, control), save=False)
    result = price(run, config, Inputs(answers_dir, judgments_dir))
    if as_json:
        print_json(result)
        return
    questions = result["questions"]
    click.echo(f"estimate: validate {len(result['models'])} models against "
               f"{result['baseline']} on {questions['benchmark']} benchmark and "
               f"{questions['control']} control questions")
    for model, row in result["answers"].items():
        click.echo(f"  answers {model}: {row['to_answer']} to answer ({row['cached']} cached, "
                   f"{row['from_file']} from file); tokens {row['input_tokens']} in, at most "
                   f"{row['output_tokens_max']} out; cost at most {_usd(row['cost_usd_max'])}")
    judged = result["judgments"]
    click.echo(f"  judgments ({judged['judge'] or 'none needed'}): {judged['to_judge']} of "
               f"{judged['games']} games to judge ({judged['cached']} cached, "
               f"{judged['from_file']} from files); tokens {judged['input_tokens']} in, at most "
               f"{judged['output_tokens_max']} out; cost at most "
               f"{_usd(judged['cost_usd_max'])}")
    click.echo(f"  total: at most {_usd(result['cost_usd_max'])}; tokens estimated as "
               f"{result['token_estimate']}")
