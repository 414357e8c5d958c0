"""`miner search "QUERY" --run DIR`: the prompts nearest a query."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from miner.cli.options import DEFAULT_RUN, json_option, open_run, print_json


@click.command("search")
@click.argument("query")
@click.option("-k", "k", type=click.IntRange(min=1), default=10, show_default=True,
              help="How many prompts to show.")
@click.option("--run", "run_dir", type=click.Path(file_okay=False, path_type=Path),
              default=DEFAULT_RUN, show_default=True, help="Run folder to search (after `index`).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="YAML file overriding configs/default.yaml (search parameters).")
@json_option
def search(query: str, k: int, run_dir: Path, config_file: Path | None, as_json: bool) -> None:
    """Print the K prompts nearest QUERY, with their cosine similarity.

    The query is embedded with the model that embedded the run. Exact duplicates are not
    repeated; --json prints full texts.
    """
    from miner.index import search as search_run

    run, config = open_run(run_dir, config_file, save=False)
    hits = search_run(run, config, query, k)
    if as_json:
        print_json(hits)
        return
    width = max(40, shutil.get_terminal_size((100, 20)).columns - 28)
    for hit in hits:
        click.echo(f"{hit['rank']:>3}  {hit['similarity']:.3f}  {hit['id']}  "
                   f"{one_line(hit['text'], width)}")


def one_line(text: str, width: int) -> str:
    """`text` on one line, unprintable characters (newlines, terminal escapes) as spaces,
    cut to `width` characters."""
    flat = " ".join("".join(ch if ch.isprintable() else " " for ch in text[:width * 4]).split())
    return flat if len(flat) <= width else flat[:width - 1] + "…"
