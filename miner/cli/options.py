"""Option bundles shared by the commands, and the run/config loading they feed."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click

from miner.config import Config, load_config
from miner.run import Run

DEFAULT_RUN = Path("outputs") / "run"


def run_options(func: Callable) -> Callable:
    """`--run DIR`, `--config FILE` and `--force`: what every stage command takes."""

    @click.option(
        "--run", "run_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_RUN,
        show_default=True, help="Run folder holding this pipeline's artifacts.",
    )
    @click.option(
        "--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
        help="YAML file overriding configs/default.yaml (CLI flags override it in turn).",
    )
    @click.option("--force", is_flag=True, help="Redo the stage even when it is up to date.")
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


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
    """`--language CODE` (repeatable; `all` keeps every language): the `ingest.languages` kept."""
    return click.option(
        "--language", "languages", multiple=True, metavar="CODE",
        help="Keep prompts in this ISO 639-1 language (repeat for more; 'all' keeps every "
             "language). Keywords and labels are made in the languages kept. Config default: en.",
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
            raise click.BadParameter(f"{code!r} is not an ISO 639-1 code (two letters) or 'all'",
                                     param_hint="'--language'")
    return codes


def exclude_near_option(func: Callable) -> Callable:
    """`--exclude-near FILE` (repeatable): a benchmark whose questions the selection avoids."""
    return click.option(
        "--exclude-near", "exclude_near", multiple=True, metavar="FILE",
        type=click.Path(exists=True, dir_okay=False),
        help="Drop prompts near a question of this benchmark file (any format ingest reads: "
             "MT-bench, Arena-Hard, ...). Repeat for more files.",
    )(func)


def exclude_near_files(files: tuple[str, ...]) -> list[str] | None:
    """The `select.exclude_near` override for `--exclude-near` (None when not given)."""
    return [str(Path(f).resolve()) for f in files] or None
