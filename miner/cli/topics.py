"""`miner topics --run DIR`: the topic table of a clustered run."""

from __future__ import annotations

from pathlib import Path

import click

from miner.cli.options import DEFAULT_RUN, json_option, print_json


@click.command("topics")
@click.option("--run", "run_dir", type=click.Path(file_okay=False, path_type=Path),
              default=DEFAULT_RUN, show_default=True, help="Run folder that `miner cluster` wrote.")
@click.option("--categories", "by_category", is_flag=True,
              help="Print the broad categories instead of the topics.")
@click.option("--keywords", "n_keywords", type=click.IntRange(min=0), default=5,
              show_default=True, help="Keywords shown per row in the table.")
@json_option
def topics(run_dir: Path, by_category: bool, n_keywords: int, as_json: bool) -> None:
    """Print each topic's size, share, category, label and keywords, largest first.

    --json prints all of topic_info.json (topics, categories, outlier counts) and, per topic,
    its rank by size, scored prompts and mean score (as the report counts them), the share
    of its prompts the outlier step moved there, and its representative prompts' texts.
    """
    from miner.artifacts import read_topic_info
    from miner.cluster.table import format_table
    from miner.run import Run

    if as_json:
        from miner.report.topics_json import topics_json

        print_json(topics_json(Run(run_dir)))
        return
    info = read_topic_info(Run(run_dir))
    click.echo(format_table(info, by_category=by_category, n_keywords=n_keywords))
