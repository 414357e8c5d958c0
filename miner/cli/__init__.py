"""The `miner` command line: a thin click layer over the Python API.

Each command lives in its own module under `miner/cli/` and imports heavy libraries inside
its function, so `miner --help` stays fast.
"""

from __future__ import annotations

import importlib
import sys

import click

from miner import __version__
from miner.console import printable
from miner.errors import MinerError
from miner.oserrors import os_error_line
from miner.redact import scrub

# One module per command (or command group); each defines a click command named like it.
COMMAND_MODULES: tuple[str, ...] = (
    "ingest", "embed", "index", "search", "report", "select", "score", "estimate", "judges",
    "run", "demo", "cluster", "topics", "validate",
)


class MinerGroup(click.Group):
    """A click group that turns `MinerError` (and a write the file system refused) into one
    line on stderr and exit status 1 (control characters escaped, secrets scrubbed:
    `miner.redact`)."""

    def invoke(self, ctx: click.Context):  # noqa: D102
        try:
            return super().invoke(ctx)
        except MinerError as exc:
            click.echo(f"error: {printable(scrub(str(exc), limit=None))}", err=True)
            sys.exit(1)
        except OSError as exc:   # a read-only folder, a full disk: one line; else a bug
            line = os_error_line(exc)
            if line is None:
                raise
            click.echo(f"error: {printable(scrub(line, limit=None))}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted: finished chunks are kept; rerun to resume", err=True)
            sys.exit(130)


@click.group(cls=MinerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="miner")
def main() -> None:
    """Mine a small, hard, diverse benchmark from a large log of chatbot conversations.

    \b
    The pipeline, one command per stage, all sharing a run folder (--run DIR):
      ingest   read conversation logs, filter and deduplicate prompts
      embed    embed every prompt (sentence-transformers or an embeddings API)
      index    build a FAISS index and mark near-duplicates
      cluster  find topics with BERTopic (UMAP + HDBSCAN + c-TF-IDF)
      score    rate each prompt's difficulty with an LLM judge
      select   pick the benchmark and write question.jsonl
      report   write a self-contained HTML report
      validate rate models on the benchmark beside a random control sample
    `miner run` does all of them, skipping what is up to date; `miner demo` runs the whole
    pipeline offline on a built-in sample.
    """


for _name in COMMAND_MODULES:
    _module = importlib.import_module(f"miner.cli.{_name}")
    main.add_command(getattr(_module, _name))
