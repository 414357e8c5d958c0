"""`miner score --run DIR --judge NAME`: rate every prompt with an LLM judge's rubric."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from miner.cli.options import (
    STRATEGY_KEYS,
    config_option,
    engine_option,
    json_option,
    open_run,
    print_json,
    run_options,
    strategy_options,
)


def describe_summary(summary: dict[str, Any]) -> list[str]:
    """The score summary as a few lines for people."""
    lines = [f"score: judge {summary['judge']}, rubric {summary['rubric']}"]
    if summary.get("note"):
        lines.append(f"  note: {summary['note']}")
    lines.append(
        f"  {summary['rows']} prompt rows, {summary['distinct_prompts']} distinct texts; "
        f"scored {summary['scored']} (from cache {summary['cached']}, "
        f"called {summary['called']})"
    )
    failed = summary.get("failed") or {}
    if failed:
        lines.append("  failed: " + ", ".join(f"{k} {v}" for k, v in failed.items()))
    for error in summary.get("errors") or []:
        lines.append(f"  error x{error['count']}: {error['error']}")
    if failed.get("error"):
        lines.append("  (failed calls are not cached: rerun `miner score` to retry only them)")
    cascade = summary.get("cascade")
    if cascade:
        lines.append(f"  cascade: {cascade['passed']} of {cascade['of']} scored >= "
                     f"{cascade['min_score']:g} and were re-scored by {cascade['then']}")
    lines.extend(strategy_lines(summary.get("strategy") or {}))
    tokens = summary.get("tokens") or {}
    cost = summary.get("cost_usd")
    cost_text = "no price in config" if cost is None else f"${cost:.4f}"
    lines.append(f"  this run: {tokens.get('prompt', 0)} tokens in, "
                 f"{tokens.get('completion', 0)} out; cost {cost_text}")
    answers = summary.get("answers_cost_usd")
    if summary.get("cached") and answers is not None:
        lines.append(f"  all answers behind these scores cost ${answers:.4f}")
    return lines


def strategy_lines(strategy: dict[str, Any]) -> list[str]:
    """A cascade's calls against full scoring, cost saved and passing prompts never judged."""
    if strategy.get("strategy") != "cascade":
        return []
    lines = [f"  cascade: judged {strategy['calls']} of {strategy['full_calls']} distinct "
             f"prompts ({strategy['call_share']:.1%} of full scoring's calls) in "
             f"{len(strategy['rounds'])} rounds; stopped: {strategy['stopped']}"]
    topics = strategy.get("topics") or {}
    if topics.get("needed"):
        lines.append(f"  cascade: {topics['filled']} of {topics['needed']} topics the selection "
                     "needs hold per_topic judge-confirmed prompts")
    if strategy.get("predicted_passing_unjudged") is not None:
        lines.append(f"  cascade: the predictor expects {strategy['predicted_passing_unjudged']:g}"
                     " passing prompts among those never judged")
    if strategy.get("full_cost_usd_estimated"):
        lines.append(f"  cascade: estimated cost ${strategy['cost_usd_estimated']:.4f} against "
                     f"${strategy['full_cost_usd_estimated']:.4f} for full scoring "
                     f"(saved ${strategy['cost_usd_saved']:.4f})")
    return lines


@click.command("score")
@config_option("--judge", key="score.judge", metavar="NAME",
               help="Judge: a name under `judges:` in config, any model name (served at "
                    "$OPENAI_BASE_URL, key $OPENAI_API_KEY), `ranker` or `heuristic` (offline) "
                    "or `auto` (ranker unless an endpoint is in the environment).")
@config_option("--rubric", key="score.rubric", metavar="NAME|FILE",
               help="Rubric: benchbuilder-v1, difficulty-1to10, or the path of your own rubric "
                    "YAML file.")
@config_option("--then", "then", key="score.then", metavar="STRONG",
               help="Cascade: re-score with this judge the prompts the first judge scored at "
                    "--min-score or above.")
@config_option("--min-score", key="score.min_score", metavar="K",
               help="Cascade threshold for --then.")
@strategy_options
@click.option("--export-batch", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE",
              help="Write the requests not yet answered as OpenAI Batch API JSONL (custom_id = "
                   "cache key; `vllm run-batch` reads it too) and stop, calling nothing. With "
                   "--then, once the first judge is all answered, it writes the strong "
                   "judge's requests for the prompts that passed.")
@click.option("--import-batch", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE",
              help="Load Batch API results into the cache, then write scores from the cache "
                   "alone (prompts still unanswered get status `missing`; nothing is called).")
@engine_option
@run_options
@json_option
def score(
    judge: str | None, rubric: str | None, then: str | None, min_score: float | None,
    strategy: str | None, max_calls: int | None, max_cost: float | None,
    export_batch: Path | None, import_batch: Path | None, engine: str | None, run_dir: Path,
    config_file: Path | None, force: bool, as_json: bool,
) -> None:
    """Score each distinct prompt's difficulty with a judge and a rubric.

    Writes scores.parquet (id, judge, rubric, one column per criterion, score, status) and
    score_summary.json (scored, cached, failed by status, tokens, cost). Answers are cached
    in judge.sqlite as they arrive: a rerun calls nothing already answered, and a killed
    run resumes where it stopped.
    """
    from miner.artifacts import SCORE_SUMMARY, read_json
    from miner.judge import export_batch as write_batch
    from miner.judge import import_batch as read_batch
    from miner.judge import run_score

    overrides = {"score.judge": judge, "score.rubric": rubric, "score.then": then,
                 "score.min_score": min_score, STRATEGY_KEYS["strategy"]: strategy,
                 STRATEGY_KEYS["max_calls"]: max_calls, STRATEGY_KEYS["max_cost"]: max_cost,
                 "engine.kind": engine}
    run, config = open_run(run_dir, config_file, overrides)
    if export_batch is not None:
        judge_name, count = write_batch(run, config, export_batch)
        click.echo(f"wrote {count} requests for judge {judge_name} to {export_batch}", err=True)
        if as_json:
            print_json({"judge": judge_name, "exported": count, "file": str(export_batch)})
        return
    cache_only = False
    if import_batch is not None:
        counts = read_batch(run, config, import_batch)
        click.echo(f"imported {counts['imported']} answers from {import_batch} "
                   f"({counts['failed']} failed, {counts['unknown']} not of this run)", err=True)
        cache_only = force = True
    run_score(run, config, force=force, cache_only=cache_only)
    summary = read_json(run, SCORE_SUMMARY)
    if as_json:
        print_json(summary)
    else:
        for line in describe_summary(summary):
            click.echo(line)
