"""`miner report`: write the self-contained HTML report of a run."""

from __future__ import annotations

from pathlib import Path

import click

from miner.artifacts import REPORT_PAGE
from miner.cli.options import config_option, open_run, print_json, run_options


@click.command()
@run_options
@click.option(
    "--no-text",
    is_flag=True,
    help="Leave every prompt's text out of the report (ids, topics and numbers only).",
)
@config_option(
    "--map-points",
    key="report.map_points",
    help="Most prompts drawn on the 2-D map (a seeded sample above).",
)
@config_option(
    "--table-rows",
    key="report.table_rows",
    help="Most prompts in the searchable table.",
)
@click.option(
    "--screenshot",
    is_flag=True,
    default=None,
    help="Also save report/overview.png with headless Chromium.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the report's numbers as JSON (also saved as report/summary.json).",
)
def report(
    run_dir: Path,
    config_file: Path | None,
    force: bool,
    no_text: bool,
    map_points: int | None,
    table_rows: int | None,
    screenshot: bool | None,
    as_json: bool,
) -> None:
    """Write RUN/report/index.html: one file that opens from disk with no network.

    It opens on what people ask (broad categories with their largest topics and shares),
    then a labelled map, the funnel, a sortable table of all topics, difficulty by topic, the
    benchmark against the source, the judge, per-topic cards and a searchable prompt table;
    it names the artifacts still missing.
    """
    from miner.report import read_summary, run_report

    run, config = open_run(
        run_dir,
        config_file,
        {
            "report.include_text": False if no_text else None,
            "report.map_points": map_points,
            "report.table_rows": table_rows,
            "report.screenshot": screenshot,
        },
    )
    run_report(run, config, force=force)
    if as_json:
        print_json(read_summary(run))
    else:
        click.echo(str(run.file(REPORT_PAGE)))
