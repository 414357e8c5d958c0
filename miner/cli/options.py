"""Option bundles shared by the commands, and the run/config loading they feed."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click

from miner import schema
from miner.config import Config, default_config_path, load_config, read_yaml
from miner.constraints import Interval, Options
from miner.errors import ConfigError, InputError
from miner.run import Run

DEFAULT_RUN = Path("outputs") / "run"


def run_options(func: Callable) -> Callable:
    """`--run DIR`, `--config FILE` and `--force`: what every stage command takes."""
    return click.option("--force", is_flag=True,
                        help="Redo the stage even when it is up to date.")(run_folder_options(func))


def run_folder_options(func: Callable) -> Callable:
    """`--run DIR` and `--config FILE`: what every command reading a run folder takes."""

    @click.option(
        "--run", "run_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_RUN,
        show_default=True, help="Run folder holding this pipeline's artifacts.",
    )
    @click.option(
        "--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
        help="YAML file overriding configs/default.yaml (CLI flags override it in turn).",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


def run_stage_command(stage: Callable[..., Any], run_dir: Path, config_file: Path | None,
                      overrides: Mapping[str, Any], *, force: bool, as_json: bool,
                      describe: Callable[[Run, dict[str, Any]], str]) -> None:
    """Open the run with `overrides`, run `stage` and print its outcome: JSON with `--json`,
    else the line `describe(run, counts)`."""
    run, config = open_run(run_dir, config_file, overrides)
    outcome = stage(run, config, force=force)
    if as_json:
        print_json(outcome.as_json())
    else:
        click.echo(describe(run, outcome.counts))


def json_option(func: Callable) -> Callable:
    """`--json`: print machine-readable JSON instead of a table."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(
        func
    )


def open_run(
    run_dir: Path,
    config_file: Path | None,
    overrides: Mapping[str, Any] | None = None,
    *,
    save: bool = True,
) -> tuple[Run, Config]:
    """Load the effective config and open the run folder.

    Stage commands `save` the effective config into the run folder; read-only commands
    (search, topics) leave it alone.
    """
    config = load_config(config_file, overrides)
    run = Run(run_dir)
    if save:
        run.path.mkdir(parents=True, exist_ok=True)
        run.save_config(config)
    return run, config


def print_json(value: Any) -> None:
    """Print `value` as indented JSON on stdout."""
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def language_option(func: Callable) -> Callable:
    """`--language CODE` (repeatable; `all` keeps every language): the command receives the
    `ingest.languages` override (`language_override`)."""
    return click.option(
        "--language", "languages", multiple=True, metavar="CODE",
        callback=lambda _ctx, _param, value: language_override(value),
        help="Keep prompts in this ISO 639-1 language (repeat for more; 'all' keeps every "
             "language). Keywords and labels are made in the languages kept. "
             f"[default: {config_default('ingest.languages')}; config ingest.languages]",
    )(func)


def language_override(languages: tuple[str, ...]) -> list[str] | None:
    """The `ingest.languages` override for `--language` (None when not given; [] for all)."""
    if not languages:
        return None
    codes = [code.strip().lower() for code in languages]
    if "all" in codes:
        return []
    for code in codes:
        if not re.fullmatch(r"[a-z]{2}", code):
            raise ConfigError(f"--language: {schema.shown(code)} is not an ISO 639-1 code "
                              "(two letters) or 'all'")
    return codes


def exclude_near_option(func: Callable) -> Callable:
    """`--exclude-near FILE` (repeatable): a benchmark whose questions the selection avoids;
    `--no-exclude-public`: keep prompts near the shipped public benchmarks."""
    func = click.option(
        "--no-exclude-public", "no_exclude_public", is_flag=True, default=None,
        help="Keep prompts near the public benchmarks shipped with miner (MT-bench, "
             "Arena-Hard v0.1, IFEval, AlpacaEval, WizardLM, Koala, self-instruct); they are "
             "dropped by default (select.exclude_public).",
    )(func)
    return click.option(
        "--exclude-near", "exclude_near", multiple=True, metavar="FILE",
        help="Drop prompts near a question of this benchmark file (any format ingest reads: "
             "MT-bench, Arena-Hard, ...). Repeat for more files.",
    )(func)


def exclude_near_files(files: tuple[str, ...]) -> list[str] | None:
    """The `select.exclude_near` override for `--exclude-near` (None when not given).

    A name that is not a file is one `InputError` line, before any stage runs.
    """
    for file in files:
        if not Path(file).is_file():
            problem = "is a folder, not a file" if Path(file).is_dir() else "does not exist"
            raise InputError(f"{file}: --exclude-near file {problem}")
    return [str(Path(f).resolve()) for f in files] or None


def click_type(key: str) -> click.ParamType | None:
    """The click type of config key `key`: its choices or its range from the schema (None:
    a plain string)."""
    alternatives = [a for a in schema.KEYS[key] if a is not None]
    only = alternatives[0] if len(alternatives) == 1 else None
    if isinstance(only, Options):
        return click.Choice(only.values)
    if isinstance(only, Interval) and only.low is None and only.high is None:
        return click.INT if only.kind is int else click.FLOAT
    if isinstance(only, Interval):
        kind = click.IntRange if only.kind is int else click.FloatRange
        return kind(only.low, only.high, min_open=only.closed in ("right", "neither"),
                    max_open=only.closed in ("left", "neither"))
    return None


@functools.lru_cache(maxsize=1)
def _defaults() -> Config:
    return read_yaml(default_config_path())


def config_default(key: str) -> str:
    """The default of config key `key` in default.yaml, written as YAML writes it."""
    value: Any = _defaults()
    for part in key.split("."):
        value = value[part]
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "[]"
    return str(value)


def config_option(*param_decls: str, key: str, help: str, **kwargs: Any) -> Callable:
    """A flag that sets config key `key`. Its choices or range come from the schema and the
    default it quotes in --help from default.yaml; left unset, it changes nothing."""
    return click.option(
        *param_decls, type=click_type(key), default=None,
        help=f"{help} [default: {config_default(key)}; config {key}]", **kwargs,
    )


def strict_option(func: Callable) -> Callable:
    """`--strict`: keep the selection thresholds even when they leave fewer than --top."""
    return click.option(
        "--strict", is_flag=True, default=False,
        help="Keep --min-score, --min-topic-mean and --per-topic even when they leave fewer "
             "than --top (select.relax: strict); by default they are relaxed step by step.",
    )(func)


STRATEGY_KEYS = {"strategy": "score.strategy", "max_calls": "score.max_calls",
                 "max_cost": "score.max_cost"}


def strategy_options(func: Callable) -> Callable:
    """`--strategy full|cascade`, `--max-calls N` and `--max-cost USD` (score.*)."""
    func = config_option("--max-cost", "max_cost", key="score.max_cost", metavar="USD",
                         help="Cascade budget in USD (priced from `prices:`).")(func)
    func = config_option("--max-calls", "max_calls", key="score.max_calls", metavar="N",
                         help="Cascade budget: at most N prompts judged.")(func)
    return config_option(
        "--strategy", key="score.strategy",
        help="full: judge every distinct prompt; cascade: judge in rounds what a ranker "
             "(started from the offline judge, refitted on the answers) ranks likeliest to "
             "pass, until a round's yield drops or the selection is filled.")(func)


def engine_option(func: Callable) -> Callable:
    """`--engine local|ray`: where the stage's row-wise work runs (config engine.kind)."""
    return config_option(
        "--engine", key="engine.kind",
        help="local: this process; ray: Ray Data jobs on $RAY_ADDRESS or engine.address, else "
             "a local Ray instance (needs the miner[ray] extra).",
    )(func)
