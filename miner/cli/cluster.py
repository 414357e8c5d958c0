"""`miner cluster --run DIR`: find topics with BERTopic and name them."""

from __future__ import annotations

from pathlib import Path

import click

from miner.artifacts import TOPICS
from miner.cli.options import (
    config_option,
    engine_option,
    json_option,
    run_options,
    run_stage_command,
)


@click.command("cluster")
@config_option("--sample", "fit_sample", key="cluster.fit_sample",
               help="Fit BERTopic on at most this many distinct prompts, a seeded sample; "
                    "every other prompt is assigned to a topic as cluster.assign says "
                    "(default transform: BERTopic's own transform of the fitted model; "
                    "neighbours: a vote of the nearest fitted prompts).")
@config_option("--min-cluster-size", key="cluster.hdbscan.min_cluster_size",
               help="Smallest topic, in fitted prompts. Lower it for small runs, raise it for "
                    "fewer, broader topics.")
@config_option("--outliers", key="cluster.outliers",
               help="keep: prompts HDBSCAN leaves out stay in topic -1; embeddings: move them "
                    "to the nearest topic when cosine >= cluster.outlier_threshold.")
@config_option("--namer", key="cluster.namer.kind",
               help="keywords: labels from c-TF-IDF keywords, offline; llm: a judge from "
                    "`judges:` names each topic (answers cached in judge.sqlite).")
@config_option("--seed", key="cluster.seed",
               help="Seed for UMAP, the fit sample and the namer's examples.")
@engine_option
@run_options
@json_option
def cluster(
    fit_sample: int | None, min_cluster_size: int | None, outliers: str | None,
    namer: str | None, seed: int | None, engine: str | None, run_dir: Path,
    config_file: Path | None, force: bool, as_json: bool,
) -> None:
    """Find topics in the run's embeddings and write topics.parquet, topic_info.json and
    bertopic/ (BERTopic's safetensors save, loadable with BERTopic.load).

    Never re-embeds: it reads embeddings.npy. Duplicates and near-duplicates are left out of
    the fit but get the topic of the prompt they repeat. The same input and config give the
    same topics. `miner topics` prints the result.
    """
    from miner.cluster import run_cluster

    overrides = {
        "cluster.fit_sample": fit_sample,
        "cluster.hdbscan.min_cluster_size": min_cluster_size,
        "cluster.outliers": outliers,
        "cluster.namer.kind": namer,
        "cluster.seed": seed,
        "engine.kind": engine,
    }
    run_stage_command(
        run_cluster, run_dir, config_file, overrides, force=force, as_json=as_json,
        describe=lambda run, counts: (
            f"{run.file(TOPICS)}: {counts.get('prompts', 0):,} prompts in "
            f"{counts.get('topics', 0)} topics and {counts.get('categories', 0)} categories "
            f"(fitted on {counts.get('fitted', 0):,}); {counts.get('outliers', 0):,} outliers"
        ),
    )
