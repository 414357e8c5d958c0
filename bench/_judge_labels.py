"""The labelled sets the offline judge is developed and measured on (from ../shared/data).

* the mix: wild_dev's English prompts of 33+ characters (as `miner ingest` keeps them, exact
  duplicates and Arena-Hard copies removed) as the unlabelled class, and the 500 Arena-Hard
  v0.1 questions as the positive class;
* the 216 WizardLM test prompts with a human difficulty rating 1-10;
* the nine worked examples of the LMSYS Hard Prompts post (Llama-3-70B's criteria).
Arena-Hard v2.0 and arena-catalog are held out and never read here.
"""

from __future__ import annotations

import gzip
import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))

from miner.ingest.languages import detect_language  # noqa: E402
from miner.ingest.text import normalise  # noqa: E402

MIN_CHARS, MAX_CHARS = 33, 10_000


@dataclass
class Labels:
    texts: list[str]            # the mix
    hard: list[bool]            # Arena-Hard membership
    sources: list[str]
    rated: list[tuple[str, int]]          # (prompt, human difficulty 1-10)
    examples: list[dict]                  # criteria_examples.jsonl rows


def require_data() -> None:
    if not (DATA / "wild_dev.jsonl.gz").is_file():
        print(f"skipped: {DATA} is absent (development data, not part of the product)")
        raise SystemExit(0)


def _records(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_labels() -> Labels:
    """Read the three labelled sets (a few seconds: language detection)."""
    require_data()
    hard = [r["prompt"] for r in _records(DATA / "arena_hard_v0.1.jsonl")]
    hard_keys = {normalise(t) for t in hard}
    texts, labels, sources = list(hard), [True] * len(hard), ["arena_hard"] * len(hard)
    seen, rated = set(), []
    for row in _records(DATA / "wild_dev.jsonl.gz"):
        text = row["prompt"].strip()
        if "difficulty_1_10" in row:
            rated.append((text, int(row["difficulty_1_10"])))
        key = normalise(text)
        if len(text) < MIN_CHARS or key in seen or key in hard_keys:
            continue
        seen.add(key)
        if detect_language(text) != "en":
            continue
        texts.append(text[:MAX_CHARS])
        labels.append(False)
        sources.append(row["source"])
    examples = _records(DATA / "criteria_examples.jsonl")
    return Labels(texts, labels, sources, rated, examples)
