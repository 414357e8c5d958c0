"""Ingest throughput on generated LMSYS-shaped records, against plain `json.loads` of the lines.

    .venv/bin/python bench/bench_ingest.py [--rows 100000] [--detect-rows 10000]

Prints rows/s of `run_ingest` (JSONL, JSONL.gz, Parquet) and, in the same process, of the
floor every JSONL reader pays: `json.loads` of each line and nothing else. A smaller set
without a `language` field measures the offline language-detection path.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import tempfile
import time
from pathlib import Path

from miner.config import load_config
from miner.ingest import run_ingest
from miner.run import Run

CATEGORIES = ("harassment", "harassment/threatening", "hate", "hate/threatening", "self-harm",
              "self-harm/instructions", "self-harm/intent", "sexual", "sexual/minors",
              "violence", "violence/graphic")
_VOCABULARY = """python function list error data model write explain how why server query table
story poem email code loop class test memory network cache sort graph api user file time value
string number compare review improve summary translate"""
WORDS = tuple(_VOCABULARY.split())
DUPLICATE = "Explain how a hash map works, with an example?"
LANGUAGES = ("English",) * 8 + ("Chinese", "Russian")


def sentence(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high))).capitalize() + "?"


def lmsys_record(index: int, rng: random.Random, *, language: bool = True) -> dict:
    """One LMSYS-Chat-1M-shaped record: 1-3 turns, moderation per message, 2% duplicates."""
    turns = rng.randint(1, 3)
    conversation = []
    for _ in range(turns):
        prompt = DUPLICATE if rng.random() < 0.02 else sentence(rng, 4, 120)
        conversation.append({"role": "user", "content": prompt})
        conversation.append({"role": "assistant", "content": sentence(rng, 20, 200)})
    record = {
        "conversation_id": f"{index:032x}",
        "model": rng.choice(("vicuna-13b", "koala-13b", "gpt-3.5-turbo")),
        "conversation": conversation,
        "turn": turns,
        "openai_moderation": [
            {"categories": dict.fromkeys(CATEGORIES, False),
             "category_scores": {name: rng.random() / 100 for name in CATEGORIES},
             "flagged": rng.random() < 0.03}
            for _ in conversation
        ],
        "redacted": rng.random() < 0.05,
    }
    if language:
        record["language"] = rng.choice(LANGUAGES)
    return record


def write_sources(folder: Path, rows: int, detect_rows: int) -> dict[str, Path]:
    """The same records as JSONL, JSONL.gz and Parquet (written in chunks), plus a set
    without language fields."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(0)
    paths = {"jsonl": folder / "lmsys.jsonl", "jsonl.gz": folder / "lmsys.jsonl.gz",
             "parquet": folder / "lmsys.parquet", "detect": folder / "no_language.jsonl"}
    writer = None
    with open(paths["jsonl"], "w") as plain, gzip.open(paths["jsonl.gz"], "wt") as packed:
        for start in range(0, rows, 10_000):
            records = [lmsys_record(i, rng) for i in range(start, min(rows, start + 10_000))]
            lines = "".join(json.dumps(record) + "\n" for record in records)
            plain.write(lines)
            packed.write(lines)
            table = pa.Table.from_pylist(records)
            writer = writer or pq.ParquetWriter(paths["parquet"], table.schema)
            writer.write_table(table)
    if writer is not None:
        writer.close()
    paths["detect"].write_text("".join(
        json.dumps(lmsys_record(i, rng, language=False)) + "\n" for i in range(detect_rows)))
    return paths


def json_loads_floor(path: Path) -> tuple[float, float]:
    """(wall, CPU) seconds to json.loads every line: the floor every JSONL reader pays."""
    wall, cpu = time.perf_counter(), time.process_time()
    with open(path, "rb") as handle:
        for line in handle:
            json.loads(line)
    return time.perf_counter() - wall, time.process_time() - cpu


def time_ingest(folder: Path, name: str, path: Path) -> tuple[float, float, dict]:
    """(wall, CPU) seconds of one forced ingest of `path`, and its counts."""
    run = Run(folder / f"run-{name}")
    wall, cpu = time.perf_counter(), time.process_time()
    outcome = run_ingest(run, load_config(), [path], force=True)
    return time.perf_counter() - wall, time.process_time() - cpu, outcome.counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--detect-rows", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        folder = Path(tmp)
        paths = write_sources(folder, args.rows, args.detect_rows)
        size_mb = paths["jsonl"].stat().st_size / 1e6
        print(f"{args.rows:,} LMSYS-shaped records, {size_mb:,.0f} MB as JSONL")
        time_ingest(folder, "warm-up", paths["detect"])  # pays the one-off imports
        print("rows/s by wall time and by CPU time (CPU time is steadier on a shared machine)")
        floor_wall, floor_cpu = json_loads_floor(paths["jsonl"])
        print(f"  json.loads of every line (floor): {args.rows / floor_wall:>7,.0f} wall "
              f"{args.rows / floor_cpu:>7,.0f} CPU")
        for name in ("jsonl", "jsonl.gz", "parquet"):
            wall, cpu, counts = time_ingest(folder, name, paths[name])
            print(f"  miner ingest {name:<9}:        {args.rows / wall:>7,.0f} wall "
                  f"{args.rows / cpu:>7,.0f} CPU  ({cpu / floor_cpu:.2f}x the floor's CPU; "
                  f"kept {counts['kept']:,}, distinct {counts['distinct']:,})")
        wall, cpu, counts = time_ingest(folder, "detect", paths["detect"])
        print(f"  language detected ({args.detect_rows:,} rows without a language field): "
              f"{args.detect_rows / wall:,.0f} wall {args.detect_rows / cpu:,.0f} CPU "
              f"(kept {counts['kept']:,})")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the whole benchmark: {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
