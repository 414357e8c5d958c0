"""Rebuild miner/data/public_benchmarks.jsonl.gz, the public benchmarks `select` excludes by
default (`select.exclude_public`), from ../shared/data.

    python bench/build_public_benchmarks.py [--data ../shared/data]

Shipped (all Apache-2.0, ../shared/data/README.md): MT-bench's first turns
(mt_bench_question.jsonl), Arena-Hard v0.1 (arena_hard_v0.1.jsonl), and the IFEval,
AlpacaEval, WizardLM, Koala and self-instruct test-set prompts (the rows of
wild_dev.jsonl.gz whose `source` names them). Arena-Hard v2.0 is not shipped: it is held out
for this project's own evaluation. One JSON line per prompt: `{benchmark, id, prompt}`,
sorted, gzip with a fixed mtime, so the same data gives the same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "miner" / "data" / "public_benchmarks.jsonl.gz"
WILD_SOURCES = {
    "ifeval": "ifeval",
    "alpaca_eval": "alpaca-eval",
    "wizardlm_testset": "wizardlm",
    "koala_test_set": "koala",
    "self_instruct_seed_tasks": "self-instruct",
}


def rows(data: Path) -> list[dict[str, str]]:
    """Every shipped prompt as {benchmark, id, prompt}."""
    found = []
    for line in (data / "mt_bench_question.jsonl").read_text("utf-8").splitlines():
        record = json.loads(line)
        found.append({"benchmark": "mt-bench", "id": str(record["question_id"]),
                      "prompt": record["turns"][0]})
    for line in (data / "arena_hard_v0.1.jsonl").read_text("utf-8").splitlines():
        record = json.loads(line)
        found.append({"benchmark": "arena-hard-v0.1", "id": record["uid"],
                      "prompt": record["prompt"]})
    with gzip.open(data / "wild_dev.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            name = WILD_SOURCES.get(record["source"])
            if name is not None:
                found.append({"benchmark": name, "id": str(record["id"]),
                              "prompt": record["prompt"]})
    return sorted(found, key=lambda r: (r["benchmark"], r["id"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    found = rows(args.data)
    text = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in found)
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, compresslevel=9) as handle:
        handle.write(text.encode("utf-8"))
    OUT.write_bytes(buffer.getvalue())
    counts: dict[str, int] = {}
    for r in found:
        counts[r["benchmark"]] = counts.get(r["benchmark"], 0) + 1
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes): {counts}")


if __name__ == "__main__":
    main()
