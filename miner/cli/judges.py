"""`miner judges list` and `miner judges compare A B`."""

from __future__ import annotations

from pathlib import Path

import click

from miner.cli.options import DEFAULT_RUN, config_option, json_option, open_run, print_json


@click.group("judges")
def judges() -> None:
    """List the configured judges, or compare two judges' scores."""


_config_option = click.option(
    "--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="YAML file overriding configs/default.yaml.",
)


@judges.command("list")
@_config_option
@json_option
def list_command(config_file: Path | None, as_json: bool) -> None:
    """List judges: auto, heuristic, and every entry under `judges:` (keys: set or not)."""
    from miner.config import load_config
    from miner.judge import list_judges

    rows = list_judges(load_config(config_file))
    if as_json:
        print_json(rows)
        return
    for row in rows:
        where = "offline" if row["offline"] else "at " + ", ".join(row["base_urls"])
        key = "" if row["offline"] else (
            f"; key ${row['api_key_env']} {'set' if row['api_key_set'] else 'not set'}")
        mark = " (default)" if row["default"] else ""
        arrow = f" -> {row['resolves_to']}" if row["resolves_to"] != row["name"] else ""
        click.echo(f"{row['name']}{mark}{arrow}: model {row['model']} {where}{key}")


@judges.command("compare")
@click.argument("a")
@click.argument("b")
@config_option("--rubric", key="score.rubric", metavar="NAME|FILE",
               help="Rubric both judges scored with.")
@click.option("--run", "run_dir", type=click.Path(file_okay=False, path_type=Path),
              default=DEFAULT_RUN, show_default=True, help="Run folder holding judge.sqlite.")
@_config_option
@json_option
def compare(a: str, b: str, rubric: str | None, run_dir: Path, config_file: Path | None,
            as_json: bool) -> None:
    """Per-criterion agreement and Cohen's kappa of judges A and B on the prompts both scored."""
    from miner.judge import compare_judges

    run, config = open_run(run_dir, config_file, {"score.rubric": rubric}, save=False)
    result = compare_judges(run, config, a, b)
    if as_json:
        print_json(result)
        return
    click.echo(f"{result['a']} vs {result['b']} on {result['prompts']} prompts "
               f"({result['rubric']}; only {result['a']}: {result['only_a']}, "
               f"only {result['b']}: {result['only_b']})")
    click.echo(f"  {'criterion':<20} {'agree':>6} {'kappa':>6} {'rate A':>7} {'rate B':>7}")
    rows = [(c["criterion"], c["agreement"], c["kappa"], c["rate_a"], c["rate_b"])
            for c in result["criteria"]]
    rows.append(("score", result["score"]["agreement"], result["score"]["kappa"],
                 result["score"]["mean_a"], result["score"]["mean_b"]))
    for name, agree, kappa, rate_a, rate_b in rows:
        kappa_text = "n/a" if kappa is None else f"{kappa:.3f}"
        click.echo(f"  {name:<20} {agree:>6.3f} {kappa_text:>6} {rate_a:>7.3f} {rate_b:>7.3f}")
