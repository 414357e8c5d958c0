"""`miner judges list`, `miner judges compare A B` and `miner judges eval JUDGE --labels FILE`."""

from __future__ import annotations

from pathlib import Path

import click

from miner.cli.options import DEFAULT_RUN, config_option, json_option, open_run, print_json


@click.group("judges")
def judges() -> None:
    """List the configured judges, compare two judges' scores, or check one against labels."""


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
    from miner.console import printable
    from miner.judge import list_judges

    rows = list_judges(load_config(config_file))
    if as_json:
        print_json(rows)
        return
    for row in rows:
        mark = " (default)" if row["default"] else ""
        if row["broken"]:
            click.echo(f"{row['name']}{mark}: broken: {printable(row['broken'])}")
            continue
        where = "offline" if row["offline"] else "at " + ", ".join(row["base_urls"])
        key = "" if row["offline"] else (
            f"; key ${row['api_key_env']} {'set' if row['api_key_set'] else 'not set'}")
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


def _cell(value: float | None, fmt: str = "{:.3f}") -> str:
    return "n/a" if value is None else fmt.format(value)


@judges.command("eval")
@click.argument("judge")
@click.option("--labels", "labels_file", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="JSON Lines: `prompt` and any of `hard` (bool), `score`, `criteria` (names).")
@click.option("--rubric", default=None, metavar="NAME|FILE",
              help="Rubric the judge scores with. Default: score.rubric.")
@click.option("--k", "k", type=click.IntRange(min=1), default=100, show_default=True,
              help="Precision is measured among the judge's k highest scores.")
@click.option("--threshold", type=float, default=None,
              help="Score at which a prompt counts as hard, for kappa. Default: select.min_score.")
@click.option("--run", "run_dir", type=click.Path(file_okay=False, path_type=Path),
              default=DEFAULT_RUN, show_default=True,
              help="Run folder whose judge.sqlite caches the answers.")
@_config_option
@json_option
def evaluate(judge: str, labels_file: Path, rubric: str | None, k: int,
             threshold: float | None, run_dir: Path, config_file: Path | None,
             as_json: bool) -> None:
    """Score a labelled prompt file with JUDGE and measure it against the labels.

    Check a judge on a few hundred prompts you trust before paying for a million calls:
    ROC AUC and precision at k against `hard`, Spearman against `score`, per-criterion
    agreement against `criteria`, Cohen's kappa at the threshold. Answers are cached.
    """
    from miner.judge.evaluate import evaluate_judge

    run, config = open_run(run_dir, config_file, {"score.rubric": rubric}, save=False)
    result = evaluate_judge(run, config, judge, labels_file, k=k, threshold=threshold)
    if as_json:
        print_json(result)
        return
    calls = result["calls"]
    failed = ", ".join(f"{n} {s}" for s, n in result["failed"].items()) or "none"
    click.echo(f"{result['judge']} (model {result['model']}, {result['rubric']}) on "
               f"{result['prompts']} labelled prompts from {result['labels']}: "
               f"{result['answered']} answered (failed: {failed}); "
               f"{calls['called']} calls, {calls['cached']} from the cache")
    click.echo(f"  threshold: score >= {result['threshold']:g}")
    hard = result["hard"]
    if hard:
        click.echo(f"  hard ({hard['prompts']} prompts, {hard['positives']} hard, base rate "
                   f"{hard['base_rate']:.1%}): ROC AUC {_cell(hard['auc'])}, precision at "
                   f"{hard['k']} {_cell(hard['precision_at_k'], '{:.1%}')} "
                   f"({_cell(hard['lift_at_k'], '{:.2f}')}x base), kappa "
                   f"{_cell(hard['kappa'])}, agreement {_cell(hard['agreement'])}")
    score = result["score"]
    if score:
        click.echo(f"  score ({score['prompts']} prompts): Spearman {_cell(score['spearman'])}, "
                   f"mean label {score['mean_label']:.2f} vs judge {score['mean_judge']:.2f}, "
                   f"kappa {_cell(score['kappa'])}, agreement {_cell(score['agreement'])}")
    if result["criteria"]:
        click.echo(f"  {'criterion':<20} {'agree':>6} {'kappa':>6} {'label':>6} {'judge':>6}")
        for row in result["criteria"]:
            click.echo(f"  {row['criterion']:<20} {row['agreement']:>6.3f} "
                       f"{_cell(row['kappa']):>6} {row['rate_label']:>6.3f} "
                       f"{row['rate_judge']:>6.3f}")
