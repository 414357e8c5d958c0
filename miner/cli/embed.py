"""`miner embed --run DIR`: embed every prompt into embeddings.npy."""

from __future__ import annotations

from pathlib import Path

import click

from miner.artifacts import EMBEDDINGS
from miner.cli.options import (
    config_option,
    engine_option,
    json_option,
    run_options,
    run_stage_command,
)


@click.command("embed")
@config_option("--backend", key="embed.backend",
               help="A local sentence-transformers model or an OpenAI-compatible embeddings "
                    "API (endpoint and key from $OPENAI_BASE_URL / $OPENAI_API_KEY).")
@config_option("--model", key="embed.model", metavar="NAME|PATH",
               help="sentence-transformers model name or local path (all-MiniLM-L6-v2 is "
                    "bundled, offline); for --backend openai the API model, e.g. "
                    "text-embedding-3-small.")
@config_option("--precision", key="embed.precision",
               help="auto: fp16 on a GPU, bf16 on a CPU with native bf16, else fp32.")
@config_option("--device", key="embed.device",
               help="Where the model runs; auto uses the GPU when torch sees one.")
@config_option("--batch-size", key="embed.batch_size", help="Texts per forward pass on CPU.")
@config_option("--chunk-rows", key="embed.chunk_rows",
               help="Distinct texts per saved chunk; a killed run resumes after its last "
                    "finished chunk.")
@engine_option
@run_options
@json_option
def embed(
    backend: str | None, model: str | None, precision: str | None, device: str | None,
    batch_size: int | None, chunk_rows: int | None, engine: str | None, run_dir: Path,
    config_file: Path | None, force: bool, as_json: bool,
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
        "engine.kind": engine,
    }
    run_stage_command(
        run_embed, run_dir, config_file, overrides, force=force, as_json=as_json,
        describe=lambda run, counts: (
            f"{run.file(EMBEDDINGS)}: {counts.get('n', 0):,} x {counts.get('dim')} "
            f"({counts.get('model')}, {counts.get('precision')} on {counts.get('device')}; "
            f"{counts.get('embedded', 0):,} embedded, {counts.get('cached', 0):,} from cache)"
        ),
    )
