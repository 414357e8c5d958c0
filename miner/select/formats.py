"""question.jsonl in the forms benchmark tools read.

- `v0.1`: Arena-Hard-Auto v0.1 — `{uid, category, cluster, prompt}`; `category` is the
  benchmark's name (`select.category`), `cluster` the topic label.
- `v2`: Arena-Hard v2.0 — `{uid, category, subcategory, prompt}`; `category` is
  `creative_writing` for topics matching `select.categories.creative_writing`, else
  `hard_prompt`; `subcategory` the topic label.
- `fastchat`: the older arena-hard-auto form — `{question_id, category, cluster,
  turns: [{content}]}`.
- `mt-bench`: FastChat llm_judge's MT-bench form — `{question_id, category, turns: [str]}`.

`uid`/`question_id` is the first 32 hex digits of the prompt's normalised-text hash, so the
same prompt keeps its id across runs and seeds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from miner.run import atomic_path
from miner.select.quotas import label_words, matches, quota_words

CREATIVE = "creative_writing"


def question_uid(text_hash: Any, text: str) -> str:
    """Stable 32-hex id: from the ingest hash, or from the text when no hash was recorded."""
    if isinstance(text_hash, str) and len(text_hash) >= 32:
        return text_hash[:32]
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def question_record(
    row: Mapping[str, Any], fmt: str, benchmark: str, categories: Mapping[str, list[str]]
) -> dict[str, Any]:
    """One question in format `fmt` from a selected candidate row."""
    uid = question_uid(row.get("hash"), row["text"])
    cluster = row["topic_label"]
    if fmt == "v0.1":
        return {"uid": uid, "category": benchmark, "cluster": cluster, "prompt": row["text"]}
    if fmt == "v2":
        words = label_words(cluster, row.get("category_label") or "")
        creative = matches(words, quota_words(CREATIVE, categories))
        return {"uid": uid, "category": CREATIVE if creative else "hard_prompt",
                "subcategory": cluster, "prompt": row["text"]}
    if fmt == "fastchat":
        return {"question_id": uid, "category": benchmark, "cluster": cluster,
                "turns": [{"content": row["text"]}]}
    if fmt == "mt-bench":
        return {"question_id": uid, "category": cluster, "turns": [row["text"]]}
    raise ValueError(f"unknown question format {fmt!r}")


def write_questions(
    path: Path, rows: pd.DataFrame, fmt: str, benchmark: str,
    categories: Mapping[str, list[str]],
) -> int:
    """Write the selected rows (in selection order) as JSONL, atomically; return the count."""
    records: Iterable[dict[str, Any]] = (
        question_record(row, fmt, benchmark, categories) for row in rows.to_dict("records")
    )
    count = 0
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count
