"""`miner estimate --run DIR --judge NAME`: prompts, tokens and cost before any call."""

from __future__ import annotations

from pathlib import Path

import click

from miner.cli.options import config_option, json_option, open_run, print_json, run_folder_options


@click.command("estimate")
@click.option("--judge", default=None, metavar="NAME",
              help="The judge to price (as for `miner score --judge`). Default: score.judge.")
@config_option("--rubric", key="score.rubric", metavar="NAME|FILE",
               help="Rubric (as for `miner score --rubric`).")
@run_folder_options
@json_option
def estimate(judge: str | None, rubric: str | None, run_dir: Path, config_file: Path | None,
             as_json: bool) -> None:
    """Estimate what `miner score` would send and cost, calling nothing.

    Counts the distinct prompts not yet in the cache, their input tokens (characters / 4 of
    the exact messages) and output tokens (the rubric's typical answer length; `max` is the
    max_tokens worst case), priced from `prices:` in config.
    """
    from miner.judge import estimate as estimate_cost

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
        click.echo("  cost: $0 (offline heuristic judge)")
    elif result["cost_usd"] is None:
        click.echo(f"  cost: unknown (add prices.{result['model']}: {{input: .., output: ..}} "
                   "in USD per million tokens to your config)")
    else:
        click.echo(f"  cost: ${result['cost_usd']:.4f} (at most ${result['cost_usd_max']:.4f})")
