"""`miner index --run DIR`: build the FAISS index and mark near-duplicates."""

from __future__ import annotations

from pathlib import Path

import click

from miner.artifacts import INDEX
from miner.cli.options import (
    config_default,
    config_option,
    json_option,
    run_options,
    run_stage_command,
)


@click.command("index")
@config_option("--kind", key="index.kind",
               help=f"auto: exact search up to index.exact_max vectors "
                    f"({config_default('index.exact_max')}), IVF above; or force flat (exact), "
                    "ivf or hnsw.")
@config_option("--threshold", key="index.near_dup_threshold",
               help="Cosine at or above which two prompts are near-duplicates.")
@run_options
@json_option
def index(
    kind: str | None, threshold: float | None, run_dir: Path, config_file: Path | None,
    force: bool, as_json: bool,
) -> None:
    """Build index.faiss over the embeddings and mark near_dup_of in prompts.parquet.

    The index holds the distinct prompts (exact duplicates are left out). Near-duplicates
    are joined into groups; each group keeps its earliest prompt, and the others get
    near_dup_of = that prompt's id (they stay in prompts.parquet, but are never selected).
    """
    from miner.index import run_index

    overrides = {"index.kind": kind, "index.near_dup_threshold": threshold}
    run_stage_command(
        run_index, run_dir, config_file, overrides, force=force, as_json=as_json,
        describe=lambda run, counts: (
            f"{run.file(INDEX)}: {counts.get('vectors', 0):,} prompts, {counts.get('kind')} "
            f"index; {counts.get('near_dup_marked', 0):,} near-duplicates marked in "
            f"{counts.get('near_dup_groups', 0):,} groups"
        ),
    )
