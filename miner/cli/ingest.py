"""`miner ingest SOURCE... --run DIR`: read conversation logs into prompts.parquet."""

from __future__ import annotations

from pathlib import Path

import click

from miner.artifacts import FUNNEL, PROMPTS
from miner.cli.options import (
    config_option,
    json_option,
    language_option,
    open_run,
    print_json,
    run_options,
)


@click.command("ingest")
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@config_option("--turns", key="ingest.turns",
               help="Which user turns become prompts: the first, all joined into one (as "
                    "BenchBuilder), or each as its own prompt.")
@config_option("--text-field", key="ingest.text_field", metavar="NAME",
               help="Read this field of each record as the prompt (for schemas not "
                    "recognised).")
@language_option
@config_option("--min-chars", key="ingest.min_chars",
               help="Drop prompts shorter than this many characters.")
@config_option("--max-chars", key="ingest.max_chars",
               help="Cut prompts longer than this many characters.")
@click.option("--keep-flagged", is_flag=True, default=None,
              help="Keep rows that a moderation field flags (dropped by default).")
@click.option("--keep-redacted", is_flag=True, default=None,
              help="Keep rows marked redacted (dropped by default).")
@click.option("--no-screen", is_flag=True, default=None,
              help="Keep requests for harm and prompts with no task (the hygiene screen drops "
                   "them by default; ingest.screen).")
@click.option("--no-dedup", is_flag=True, default=None,
              help="Do not mark exact duplicates with dup_of.")
@config_option("--on-error", key="ingest.on_error",
               help="What a malformed line or row does: stop with its location (fail), or "
                    "skip it and count it.")
@run_options
@json_option
def ingest(
    sources: tuple[str, ...], turns: str | None, text_field: str | None,
    languages: list[str] | None, min_chars: int | None, max_chars: int | None,
    keep_flagged: bool | None, keep_redacted: bool | None, no_screen: bool | None,
    no_dedup: bool | None,
    on_error: str | None, run_dir: Path, config_file: Path | None, force: bool, as_json: bool,
) -> None:
    """Read conversation logs into the run's prompts.parquet and print the funnel.

    \b
    SOURCE is a file (.jsonl, .json array, .parquet, .csv, each optionally .gz), a folder,
    a glob ('logs/*.jsonl.gz'), a folder written by datasets' save_to_disk, or a Hugging
    Face hub id (needs `datasets` and network). Records are recognised by their fields:
    LMSYS-Chat-1M, WildChat, Chatbot Arena battles, ShareGPT, OpenAI `messages`, Arena-Hard
    and MT-bench question files, and flat prompt/text/instruction/question records.
    """
    from miner.ingest import read_funnel, run_ingest
    from miner.ingest.filters import format_funnel

    overrides = {
        "ingest.turns": turns,
        "ingest.text_field": text_field,
        "ingest.languages": languages,
        "ingest.min_chars": min_chars,
        "ingest.max_chars": max_chars,
        "ingest.drop_flagged": False if keep_flagged else None,
        "ingest.drop_redacted": False if keep_redacted else None,
        "ingest.screen": False if no_screen else None,
        "ingest.dedup": False if no_dedup else None,
        "ingest.on_error": on_error,
    }
    run, config = open_run(run_dir, config_file, overrides)
    outcome = run_ingest(run, config, list(sources), force=force)
    funnel = read_funnel(run)
    if as_json:
        print_json({"skipped": outcome.skipped, "counts": outcome.counts, "funnel": funnel})
        return
    click.echo(f"funnel ({run.file(FUNNEL)}):")
    click.echo(format_funnel(funnel))
    if not outcome.skipped:
        click.echo(f"wrote {run.file(PROMPTS)}")
