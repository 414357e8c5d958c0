"""Rebuild the offline ranker's model (miner/judge/ranker-v1.json) from the development data.

    python scripts/build_ranker.py [--data ../shared/data] [--out miner/judge/ranker-v1.json]
    python scripts/build_ranker.py --positives hard.jsonl --background log.jsonl --out m.json

Positives: Arena-Hard v0.1's questions (`arena_hard_v0.1.jsonl`); background: the
development half of arena-catalog (`arena_catalog_dev.jsonl.gz`); both Chatbot Arena prompts,
so what the model learns is not a source's style. `--positives`/`--background` take any
JSONL files with a `prompt` field instead. Texts are stripped, cut at 10,000 characters (as
`miner ingest` cuts them), kept from 33 characters and deduplicated, in file order. The fit
is deterministic (lbfgs, no sampling): the same files give the same bytes. Nothing held out
(Arena-Hard v2.0, arena-catalog's other half) is read.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from miner.judge.ranker import MODEL_FILE, to_json  # noqa: E402
from miner.judge.ranker_fit import C_DEFAULT, fit_ranker  # noqa: E402

MIN_CHARS, MAX_CHARS = 33, 10_000


def read_records(path: Path) -> list[dict]:
    """The rows of a JSONL file (.gz too) the ranker is fitted on: `prompt` stripped and cut,
    rows under 33 characters and repeated texts left out, file order kept."""
    opener = gzip.open if path.suffix == ".gz" else open
    rows, seen = [], set()
    with opener(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                text = str(row["prompt"]).strip()[:MAX_CHARS]
            except (ValueError, KeyError, TypeError):
                raise SystemExit(f"{path}: row {number}: no JSON object with a 'prompt'") from None
            if len(text) >= MIN_CHARS and text not in seen:
                seen.add(text)
                rows.append({**row, "prompt": text})
    return rows


def read_prompts(path: Path) -> list[str]:
    """The texts of `read_records(path)`."""
    return [row["prompt"] for row in read_records(path)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--positives", type=Path, help="JSONL of hard prompts (default: "
                        "DATA/arena_hard_v0.1.jsonl)")
    parser.add_argument("--background", type=Path, help="JSONL of ordinary prompts (default: "
                        "DATA/arena_catalog_dev.jsonl.gz)")
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    parser.add_argument("--c", type=float, default=C_DEFAULT, help="inverse L2 strength")
    args = parser.parse_args()
    positives_path = args.positives or args.data / "arena_hard_v0.1.jsonl"
    background_path = args.background or args.data / "arena_catalog_dev.jsonl.gz"
    for path in (positives_path, background_path):
        if not path.is_file():
            raise SystemExit(f"{path}: not found (development data: see ../shared/data)")
    positives = read_prompts(positives_path)
    background = [t for t in read_prompts(background_path) if t not in set(positives)]
    model = fit_ranker(positives, background, c=args.c,
                       info={"positives_file": positives_path.name,
                             "background_file": background_path.name})
    args.out.write_text(json.dumps(to_json(model), indent=1) + "\n", "utf-8")
    print(f"wrote {args.out}: {len(positives)} positives, {len(background)} background "
          f"prompts, {len(model.coef)} features")


if __name__ == "__main__":
    main()
