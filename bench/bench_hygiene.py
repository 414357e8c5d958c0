"""The hygiene screen and the public-benchmark exclusion, measured on real prompts.

    .venv/bin/python bench/bench_hygiene.py screen [--data ../shared/data]
        every wild_dev prompt through strip_residue + screen: prompts per second, and what
        each rule drops per source dataset
    .venv/bin/python bench/bench_hygiene.py audit RUN_DIR [RUN_DIR ...]
        a run folder's benchmark: questions per dataset (prompts.parquet `dataset`, else the
        source named by the row's provenance), Anthropic red-team and public-benchmark rows
        selected, and every selected prompt that opens with a persona or a greeting, printed
        for reading by hand

Skips cleanly when ../shared/data is absent.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PUBLIC_SOURCES = {"ifeval", "alpaca_eval", "wizardlm_testset", "koala_test_set",
                  "self_instruct_seed_tasks"}
RED_TEAM = "hh_rlhf_harmless_base_test"
PERSONA = re.compile(r"^\W*(i want you to act|act as|you are (a|an|my|the)\b|pretend|imagine you"
                     r"|from now on|you will act|let'?s play|roleplay)", re.IGNORECASE)
GREETING = re.compile(r"^\W*(hi|hey|hello|greetings|good (morning|afternoon|evening)|dear)\b",
                      re.IGNORECASE)


def screen_bench(data: Path) -> None:
    from miner.hygiene import screen, strip_residue

    path = data / "wild_dev.jsonl.gz"
    if not path.exists():
        print(f"{path} not found: skipped")
        return
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    screen("warm up: compile the word lists")
    started = time.perf_counter()
    found = collections.Counter()
    stripped = 0
    for row in rows:
        text = strip_residue(row["prompt"].strip())
        stripped += text != row["prompt"].strip()
        finding = screen(text)
        if finding is not None:
            found[(row["source"], finding.rule)] += 1
    seconds = time.perf_counter() - started
    print(f"{len(rows):,} prompts in {seconds:.1f} s ({len(rows) / seconds:,.0f} prompts/s); "
          f"residue stripped from {stripped}")
    totals = collections.Counter(row["source"] for row in rows)
    for source, total in totals.most_common():
        rules = {rule: n for (s, rule), n in sorted(found.items()) if s == source}
        print(f"  {source:28} {total:6,}  dropped {sum(rules.values()):5,}  {rules}")


def audit(run_dir: Path, data: Path) -> None:
    import pandas as pd

    prompts = pd.read_parquet(run_dir / "prompts.parquet")
    selection = pd.read_parquet(run_dir / "benchmark" / "selection.parquet")
    chosen = selection[selection["reason"] == "selected"].merge(
        prompts[["id", "text", "dataset"]] if "dataset" in prompts else prompts[["id", "text"]],
        on="id", suffixes=("_sel", ""))
    if "dataset" not in chosen or chosen["dataset"].isna().all():
        chosen["dataset"] = _datasets_by_text(chosen["text"], data)
    n = len(chosen)
    print(f"{run_dir}: {n} questions")
    for name, count in chosen["dataset"].value_counts().items():
        print(f"  {name:28} {count:4}  {count / n:6.1%}")
    print(f"  red-team ({RED_TEAM}): {(chosen['dataset'] == RED_TEAM).sum()}")
    print(f"  public-benchmark rows ({', '.join(sorted(PUBLIC_SOURCES))}): "
          f"{chosen['dataset'].isin(PUBLIC_SOURCES).sum()}")
    residue = chosen["text"].str.contains(r"(^|\s)\d{1,2} / \d{1,2}\s*$|^\d{1,2} / \d{1,2}\S",
                                          regex=True)
    print(f"  ShareGPT '1 / 1' residue left: {int(residue.sum())}")
    for label, pattern in (("persona openers", PERSONA), ("greeting openers", GREETING)):
        hits = chosen[chosen["text"].str.match(pattern)]
        print(f"  {label}: {len(hits)} (read them below)")
        for text in hits["text"]:
            print("    - " + " ".join(text.split())[:300])
    contaminated = selection[selection["reason"] == "contaminated"]
    if len(contaminated):
        print(f"  contaminated (not selected): {len(contaminated)}; by benchmark "
              f"{contaminated['near_file'].value_counts().to_dict()}")
    flagged = selection[selection["reason"] == "flagged"]
    print(f"  flagged by the judge (not selected): {len(flagged)}")


def _datasets_by_text(texts, data: Path):
    """The wild_dev source of each text (for run folders ingested before `dataset`)."""
    from miner.ingest.text import text_hash

    path = data / "wild_dev.jsonl.gz"
    by_hash = {}
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            by_hash.setdefault(text_hash(row["prompt"].strip()), row["source"])
    return [by_hash.get(text_hash(t), "(unknown)") for t in texts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["screen", "audit"])
    parser.add_argument("runs", nargs="*", type=Path)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    if args.what == "screen":
        screen_bench(args.data)
    else:
        if not args.runs:
            sys.exit("audit: name at least one run folder")
        for run_dir in args.runs:
            audit(run_dir, args.data)


if __name__ == "__main__":
    main()
