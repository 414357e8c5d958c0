"""Topics against LMArena's own: adjusted mutual information (AMI) of miner's topics with the
Arena Explorer cluster names that ../shared/data/arena_catalog_dev.jsonl.gz carries
(`lmarena_topic`, 4,917 of its 8,828 prompts), for cluster-config variants side by side.

    .venv/bin/python bench/bench_topics_ami.py [--work DIR] [--variant NAME=KEY:VALUE,...]

The bench runs `miner ingest` and `miner embed` on the catalog once (default settings, kept
in --work), then, per variant, the cluster stage on a copy of that folder, and prints: topics,
share of outliers (-1), AMI over the prompts that have a reference topic (outliers counted
as one more topic, as a reader of topics.parquet would see them) and AMI over those of them
miner did not leave as outliers. Without the data folder it prints a note and exits 0.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from sklearn.metrics import adjusted_mutual_info_score

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "arena_catalog_dev.jsonl.gz"
MINER = [sys.executable, "-c", "from miner.cli import main; main()"]

VARIANTS = {
    "default": {},
}


def reference_topics() -> dict[str, str]:
    """Catalog id -> its LMArena topic name (rows without one are left out)."""
    with gzip.open(DATA, "rt", encoding="utf-8") as lines:
        rows = (json.loads(line) for line in lines)
        return {str(row["id"]): row["lmarena_topic"] for row in rows if row.get("lmarena_topic")}


def base_run(work: Path) -> Path:
    """The catalog ingested and embedded once (default settings)."""
    run = work / "base"
    if not (run / "embeddings.npy").exists():
        subprocess.run([*MINER, "ingest", str(DATA), "--run", str(run)], check=True)
        subprocess.run([*MINER, "embed", "--run", str(run)], check=True)
    return run


def cluster_variant(base: Path, work: Path, name: str, overrides: dict[str, str]) -> Path:
    """The cluster stage on a copy of `base` with `overrides` (dotted keys) in a config file."""
    run = work / name
    if run.exists():
        shutil.rmtree(run)
    shutil.copytree(base, run)
    config = work / f"{name}.json"
    nested: dict = {}
    for key, value in overrides.items():
        *parents, leaf = key.split(".")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = json.loads(value)
    config.write_text(json.dumps(nested))
    subprocess.run([*MINER, "cluster", "--run", str(run), "--config", str(config)], check=True,
                   stdout=subprocess.DEVNULL)
    return run


def agreement(run: Path, reference: dict[str, str]) -> dict[str, float]:
    """Topics, outlier share and AMI of `run`'s topics with the reference."""
    prompts = pd.read_parquet(run / "prompts.parquet", columns=["id", "conversation_id"])
    topics = pd.read_parquet(run / "topics.parquet", columns=["id", "topic"])
    frame = prompts.merge(topics, on="id")
    frame["reference"] = frame["conversation_id"].astype(str).map(reference)
    labelled = frame.dropna(subset=["reference"])
    placed = labelled[labelled["topic"] != -1]
    return {
        "topics": int(frame.loc[frame["topic"] != -1, "topic"].nunique()),
        "outliers": float((frame["topic"] == -1).mean()),
        "labelled": len(labelled),
        "ami": adjusted_mutual_info_score(labelled["reference"], labelled["topic"]),
        "ami_placed": adjusted_mutual_info_score(placed["reference"], placed["topic"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=ROOT / ".cache" / "bench_topics_ami")
    parser.add_argument("--variant", action="append", default=[],
                        help="NAME=KEY:VALUE,KEY:VALUE (values as JSON), repeatable")
    args = parser.parse_args()
    if not DATA.exists():
        print(f"{DATA} is absent: nothing to measure")
        return
    variants = dict(VARIANTS)
    for spec in args.variant:
        name, _, pairs = spec.partition("=")
        variants[name] = dict(pair.split(":", 1) for pair in pairs.split(",") if pair)
    args.work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    reference = reference_topics()
    base = base_run(args.work)
    print(f"load: {os.getloadavg()[0]:.1f} (1-min average) at start; reference topics: "
          f"{len(set(reference.values()))} over {len(reference):,} prompts")
    print(f"{'variant':<28}{'topics':>7}{'outliers':>10}{'AMI':>8}{'AMI placed':>12}{'time':>8}")
    for name, overrides in variants.items():
        started = time.monotonic()
        figures = agreement(cluster_variant(base, args.work, name, overrides), reference)
        print(f"{name:<28}{figures['topics']:>7}{figures['outliers']:>10.1%}"
              f"{figures['ami']:>8.3f}{figures['ami_placed']:>12.3f}"
              f"{time.monotonic() - started:>7.0f}s", flush=True)


if __name__ == "__main__":
    main()
