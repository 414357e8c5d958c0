"""`miner ingest SOURCE... --run DIR`: read conversation logs into prompts.parquet."""

from __future__ import annotations

from pathlib import Path

import click

from miner.cli.options import (
    json_option,
    language_option,
    language_override,
    open_run,
    print_json,
    run_options,
)


@click.command("ingest")
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option("--turns", type=click.Choice(["first", "joined", "each"]), default=None,
              help="Which user turns become prompts: the first (default), all joined into one "
                   "(as BenchBuilder), or each as its own prompt.")
@click.option("--text-field", default=None, metavar="NAME",
              help="Read this field of each record as the prompt (for schemas not recognised).")
@language_option
@click.option("--min-chars", type=int, default=None,
              help="Drop prompts shorter than this many characters. Config default: 33.")
@click.option("--max-chars", type=int, default=None,
              help="Cut prompts longer than this many characters. Config default: 10000.")
@click.option("--keep-flagged", is_flag=True, default=None,
              help="Keep rows that a moderation field flags (dropped by default).")
@click.option("--keep-redacted", is_flag=True, default=None,
              help="Keep rows marked redacted (dropped by default).")
@click.option("--no-dedup", is_flag=True, default=None,
              help="Do not mark exact duplicates with dup_of.")
@click.option("--on-error", type=click.Choice(["fail", "skip"]), default=None,
              help="What a malformed line or row does: stop with its location (default), or "
                   "skip it and count it.")
@run_options
@json_option
def ingest(
    sources: tuple[str, ...], turns: str | None, text_field: str | None,
    languages: tuple[str, ...], min_chars: int | None, max_chars: int | None,
    keep_flagged: bool | None, keep_redacted: bool | None, no_dedup: bool | None,
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
        "ingest.languages": language_override(languages),
        "ingest.min_chars": min_chars,
        "ingest.max_chars": max_chars,
        "ingest.drop_flagged": False if keep_flagged else None,
        "ingest.drop_redacted": False if keep_redacted else None,
        "ingest.dedup": False if no_dedup else None,
        "ingest.on_error": on_error,
    }
    run, config = open_run(run_dir, config_file, overrides)
    outcome = run_ingest(run, config, list(sources), force=force)
    funnel = read_funnel(run)
    if as_json:
        print_json({"skipped": outcome.skipped, "counts": outcome.counts, "funnel": funnel})
        return
    click.echo(f"funnel ({run.file('funnel.json')}):")
    click.echo(format_funnel(funnel))
    if not outcome.skipped:
        click.echo(f"wrote {run.file('prompts.parquet')}")
