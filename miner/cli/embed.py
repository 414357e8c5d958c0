"""`miner embed --run DIR`: embed every prompt into embeddings.npy."""

from __future__ import annotations

from pathlib import Path

import click

from miner.artifacts import EMBEDDINGS
from miner.cli.options import json_option, open_run, print_json, run_options


@click.command("embed")
@click.option("--backend", type=click.Choice(["sentence-transformers", "openai"]), default=None,
              help="A local sentence-transformers model (default) or an OpenAI-compatible "
                   "embeddings API (endpoint and key from $OPENAI_BASE_URL / $OPENAI_API_KEY).")
@click.option("--model", default=None, metavar="NAME|PATH",
              help="sentence-transformers model name or local path (default all-MiniLM-L6-v2, "
                   "bundled, offline); for --backend openai the API model, e.g. "
                   "text-embedding-3-small.")
@click.option("--precision", type=click.Choice(["auto", "fp32", "bf16", "fp16"]), default=None,
              help="auto (default): fp16 on a GPU, bf16 on a CPU with native bf16, else fp32.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None,
              help="Where the model runs; auto (default) uses the GPU when torch sees one.")
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="Texts per forward pass on CPU (default 64).")
@click.option("--chunk-rows", type=click.IntRange(min=1), default=None,
              help="Distinct texts per saved chunk (default 4096); a killed run resumes after "
                   "its last finished chunk.")
@run_options
@json_option
def embed(
    backend: str | None, model: str | None, precision: str | None, device: str | None,
    batch_size: int | None, chunk_rows: int | None, run_dir: Path, config_file: Path | None,
    force: bool, as_json: bool,
) -> None:
    """Embed every prompt of the run into embeddings.npy (float32, unit rows).

    Rows are aligned with prompts.parquet; identical texts are embedded once, and texts the
    run has embedded before (an earlier run, a killed run, a re-ingest's old rows) are taken
    from its cache in embed_cache/. Model, width and precision go to embeddings.json.
    """
    from miner.embed import run_embed

    overrides = {
        "embed.backend": backend,
        "embed.model": model,
        "embed.precision": precision,
        "embed.device": device,
        "embed.batch_size": batch_size,
        "embed.chunk_rows": chunk_rows,
    }
    run, config = open_run(run_dir, config_file, overrides)
    outcome = run_embed(run, config, force=force)
    counts = outcome.counts
    if as_json:
        print_json(outcome.as_json())
        return
    click.echo(
        f"{run.file(EMBEDDINGS)}: {counts.get('n', 0):,} x {counts.get('dim')} "
        f"({counts.get('model')}, {counts.get('precision')} on {counts.get('device')}; "
        f"{counts.get('embedded', 0):,} embedded, {counts.get('cached', 0):,} from cache)"
    )
