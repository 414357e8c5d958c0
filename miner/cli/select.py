"""`miner select --run DIR --top N`: pick the benchmark and write question.jsonl."""

from __future__ import annotations

from pathlib import Path

import click

from miner.artifacts import QUESTIONS, SELECTION_SUMMARY
from miner.cli.options import (
    config_option,
    exclude_near_files,
    exclude_near_option,
    json_option,
    open_run,
    print_json,
    run_options,
    strict_option,
)
from miner.errors import ConfigError, MinerError


def parse_quotas(values: tuple[str, ...]) -> dict[str, float] | None:
    """`coding=0.35` pairs into a {name: share} map (None when none were given)."""
    if not values:
        return None
    quotas: dict[str, float] = {}
    for value in values:
        name, sep, share = value.partition("=")
        try:
            quotas[name.strip()] = float(share)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise ConfigError(f"--quota {value!r}: expected NAME=SHARE, e.g. coding=0.35")
    return quotas


@click.command("select")
@config_option("--top", key="select.top",
               help="Benchmark size to reach (Arena-Hard-Auto's: 500).")
@config_option("--min-score", key="select.min_score",
               help="Keep prompts scoring at least this (BenchBuilder: 6 of 7).")
@config_option("--min-topic-mean", key="select.min_topic_mean",
               help="Keep prompts only from topics whose mean score is at least this.")
@config_option("--per-topic", key="select.per_topic",
               help="At most this many prompts per topic (0: no cap).")
@config_option("--max-topic-share", key="select.max_topic_share",
               help="Relaxing raises --per-topic at most to this share of --top (0.1: 50 of "
                    "500); 1 lets one topic give any number.")
@config_option("--fill", key="select.fill",
               help="rounds: every topic gives one prompt before any gives two; topics: "
                    "best-mean topics first, --per-topic each (Arena-Hard v0.1).")
@config_option("--max-similarity", key="select.max_similarity",
               help="No two selected prompts at or above this cosine.")
@click.option("--no-diversity", is_flag=True, default=False,
              help="Turn the --max-similarity rule off.")
@exclude_near_option
@config_option("--exclude-threshold", key="select.exclude_threshold",
               help="Cosine at or above which a prompt counts as near an excluded question.")
@click.option("--quota", "quotas", multiple=True, metavar="NAME=SHARE",
              help="Reserve a share of --top for a category, e.g. --quota coding=0.35 "
                   "(repeat for more; words per name in select.categories).")
@config_option("--format", "fmt", key="select.format",
               help="question.jsonl form: v0.1 (Arena-Hard-Auto), v2 (Arena-Hard v2.0), "
                    "fastchat (question_id/turns[{content}]), mt-bench (turns[str]).")
@config_option("--seed", key="select.seed", help="Seed of the tie-breaking draw.")
@strict_option
@run_options
@json_option
def select(
    top: int | None, min_score: float | None, min_topic_mean: float | None,
    per_topic: int | None, max_topic_share: float | None, fill: str | None,
    max_similarity: float | None, no_diversity: bool,
    exclude_near: tuple[str, ...], no_exclude_public: bool | None,
    exclude_threshold: float | None, quotas: tuple[str, ...],
    fmt: str | None, seed: int | None, strict: bool, run_dir: Path, config_file: Path | None,
    force: bool, as_json: bool,
) -> None:
    """Select the benchmark: BenchBuilder thresholds, then stratified sampling across topics.

    \b
    Keeps prompts scoring >= --min-score in topics with mean >= --min-topic-mean, drops
    duplicates and prompts near a public benchmark's questions (shipped; --no-exclude-public
    keeps them) or near --exclude-near questions, then takes the best prompts topic
    by topic (at most --per-topic each, none closer than --max-similarity to another) until
    --top. Writes benchmark/question.jsonl, benchmark/selection.parquet (every candidate
    with the reason it was kept or dropped) and benchmark/selection.json. When the
    thresholds leave fewer than --top, they are relaxed one recorded step at a time until
    --top is reached (select.relax: auto); with --strict they are kept, and when --top is
    not reached it says why and what relaxing each setting would give, and exits 1.
    """
    from miner.select import read_summary, run_select

    overrides = {
        "select.top": top,
        "select.min_score": min_score,
        "select.min_topic_mean": min_topic_mean,
        "select.per_topic": per_topic,
        "select.max_topic_share": max_topic_share,
        "select.fill": fill,
        "select.max_similarity": max_similarity,
        "select.exclude_near": exclude_near_files(exclude_near),
        "select.exclude_public": False if no_exclude_public else None,
        "select.exclude_threshold": exclude_threshold,
        "select.quotas": parse_quotas(quotas),
        "select.format": fmt,
        "select.seed": seed,
        "select.relax": "strict" if strict else None,
    }
    run, config = open_run(run_dir, config_file, overrides, save=False)
    if no_diversity:
        config["select"]["max_similarity"] = None
    run.path.mkdir(parents=True, exist_ok=True)
    run.save_config(config)
    outcome = run_select(run, config, force=force)
    summary = read_summary(run)
    if as_json:
        print_json({"skipped": outcome.skipped, **summary})
    else:
        print_summary(summary, run.file(QUESTIONS))
    if summary["relax"] == "strict" and not summary["reached_top"]:
        raise MinerError(strict_short(summary, run.file(SELECTION_SUMMARY)))


def strict_short(summary: dict, path: Path) -> str:
    """The one error line of a `--strict` selection short of --top."""
    kept, counts = summary["effective"], summary["counts"]
    cap = kept["per_topic"] if kept["per_topic"] is not None else "off"
    return (f"{path}: --strict selected {summary['questions']} of --top {summary['top']}: "
            f"{counts['pool']} prompts in {counts['pool_topics']} topics pass score >= "
            f"{kept['min_score']:g} and topic mean >= {kept['min_topic_mean']:g}, per_topic "
            f"{cap} (shortfall and what relaxing each setting gives: above and in that file; "
            "without --strict they are relaxed)")


def print_summary(summary: dict, questions: Path) -> None:
    """The selection in a few lines: counts, shortfall, contamination, where the file is."""
    from miner.cli.summaries import relaxed_lines, shortfall_lines

    counts = summary["counts"]
    click.echo(f"selected {summary['questions']} of --top {summary['top']} from "
               f"{counts['pool']} candidates in {counts['pool_topics']} topics "
               f"({counts['selected_topics']} topics in the benchmark)")
    dropped = ", ".join(f"{n} {reason}" for reason, n in summary["filters"].items() if n)
    if dropped:
        click.echo(f"filtered out: {dropped}")
    for line in relaxed_lines(summary) + shortfall_lines(summary):
        click.echo(line)
    contaminated = summary["contaminated"]
    if contaminated:
        click.echo(f"dropped {len(contaminated)} prompts near benchmark questions "
                   "(public benchmarks, --exclude-near):")
        for entry in contaminated[:20]:
            click.echo(f"  {entry['id']}: {entry['detail']}")
        if len(contaminated) > 20:
            click.echo(f"  ... {len(contaminated) - 20} more in benchmark/selection.json")
    datasets = summary.get("datasets") or {}
    if datasets:
        click.echo("datasets: " + ", ".join(f"{name} {entry['questions']} ({entry['share']:.0%})"
                                            for name, entry in datasets.items()))
    click.echo(f"wrote {questions} ({summary['format']})")
