"""Join the run folder's artifacts into one candidate table, one row per prompt.

Columns: `id`, `row` (row in prompts.parquet and embeddings.npy), `text`, `hash`, `dup_of`,
`near_dup_of`, `topic`, `topic_label`, `category_label`, `score`, `judge`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from miner.errors import InputError
from miner.run import Run

OUTLIER = -1


def _read_parquet(path: Path, columns: list[str], required: list[str]) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(path).names
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise InputError(f"{path}: cannot read Parquet ({exc})") from None
    missing = [c for c in required if c not in names]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
    return pq.read_table(path, columns=[c for c in columns if c in names]).to_pandas()


def read_topic_info(path: Path) -> dict[str, Any]:
    """Parse topic_info.json (topics and categories), with a one-line error when malformed."""
    try:
        info = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read topic info ({exc})") from None
    if not isinstance(info, dict) or not isinstance(info.get("topics"), list):
        raise InputError(f"{path}: expected an object with a 'topics' list")
    return info


def topic_labels(info: dict[str, Any]) -> tuple[dict[int, str], dict[int, str]]:
    """Map topic id -> its label (keywords joined when unlabelled) and -> its category label."""
    labels: dict[int, str] = {}
    for entry in info.get("topics", []):
        topic = int(entry["topic"])
        label = entry.get("label") or "_".join(str(k) for k in (entry.get("keywords") or [])[:4])
        labels[topic] = str(label or f"topic {topic}")
    categories: dict[int, str] = {}
    for entry in info.get("categories") or []:
        label = str(entry.get("label") or f"category {entry.get('category')}")
        for topic in entry.get("topics") or []:
            categories[int(topic)] = label
    return labels, categories


def load_candidates(run: Run) -> pd.DataFrame:
    """Read prompts, topics, topic info and scores of `run` into the candidate table."""
    prompts_path = run.require("prompts.parquet")
    prompts = _read_parquet(
        prompts_path, ["id", "text", "hash", "dup_of", "near_dup_of"], ["id", "text"]
    )
    for column in ("hash", "dup_of", "near_dup_of"):
        if column not in prompts:
            prompts[column] = None
    prompts["row"] = np.arange(len(prompts))
    prompts["id"] = prompts["id"].astype(str)

    topics_path = run.require("topics.parquet")
    topics = _read_parquet(topics_path, ["id", "topic"], ["id", "topic"])
    topics["id"] = topics["id"].astype(str)
    topics = topics.drop_duplicates("id", keep="last")

    scores_path = run.require("scores.parquet")
    scores = _read_parquet(scores_path, ["id", "score", "judge"], ["id", "score"])
    scores["id"] = scores["id"].astype(str)
    scores = scores.drop_duplicates("id", keep="last")
    if "judge" not in scores:
        scores["judge"] = None

    frame = prompts.merge(topics, on="id", how="left").merge(scores, on="id", how="left")
    frame["topic"] = frame["topic"].fillna(OUTLIER).astype(int)
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce").astype(float)

    labels, categories = topic_labels(read_topic_info(run.require("topic_info.json")))
    frame["topic_label"] = [
        labels.get(t, "outliers" if t == OUTLIER else f"topic {t}") for t in frame["topic"]
    ]
    frame["category_label"] = [categories.get(t, "") for t in frame["topic"]]
    return frame.reset_index(drop=True)
