"""`miner run SOURCE... --run DIR`: every stage in order, skipping what is up to date."""

from __future__ import annotations

from pathlib import Path

import click

from miner.cli.options import (
    STRATEGY_KEYS,
    config_option,
    engine_option,
    exclude_near_files,
    exclude_near_option,
    json_option,
    language_option,
    open_run,
    print_json,
    run_options,
    strategy_options,
    strict_option,
)


@click.command("run")
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@config_option("--top", key="select.top", help="Benchmark size.")
@config_option("--judge", key="score.judge", metavar="NAME",
               help="Judge for the score stage: ranker or heuristic (offline), a name under "
                    "judges:, a model at $OPENAI_BASE_URL, or auto (the offline ranker unless "
                    "an endpoint is in the environment).")
@language_option
@strategy_options
@exclude_near_option
@strict_option
@engine_option
@run_options
@json_option
def run(sources: tuple[str, ...], top: int | None, judge: str | None,
        languages: list[str] | None, strategy: str | None, max_calls: int | None,
        max_cost: float | None, exclude_near: tuple[str, ...], no_exclude_public: bool | None,
        strict: bool, engine: str | None,
        run_dir: Path,
        config_file: Path | None, force: bool, as_json: bool) -> None:
    """Run ingest, embed, index, cluster, score, select and report over SOURCE files.

    \b
    Each stage is skipped when its inputs and config are unchanged (see manifest.json), so
    running again does no work, and changing only --top reruns only select and report.
    --force redoes every stage. Ends with a summary: funnel, topics, judge and cost, and
    where question.jsonl and the report are.
    """
    from miner.cli.summaries import summary_lines
    from miner.pipeline import pipeline_summary, run_pipeline

    overrides = {"select.top": top, "score.judge": judge,
                 "ingest.languages": languages,
                 "select.exclude_near": exclude_near_files(exclude_near),
                 "select.exclude_public": False if no_exclude_public else None,
                 "select.relax": "strict" if strict else None,
                 STRATEGY_KEYS["strategy"]: strategy, STRATEGY_KEYS["max_calls"]: max_calls,
                 STRATEGY_KEYS["max_cost"]: max_cost, "engine.kind": engine}
    run_folder, config = open_run(run_dir, config_file, overrides)
    outcomes = run_pipeline(run_folder, config, list(sources), force=force)
    summary = pipeline_summary(run_folder, outcomes)
    if as_json:
        print_json(summary)
        return
    for line in summary_lines(summary):
        click.echo(line)
