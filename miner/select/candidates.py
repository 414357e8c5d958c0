"""Join the run folder's artifacts into one candidate table, one row per prompt.

Columns: `id`, `row` (row in prompts.parquet and embeddings.npy), `text`, `hash`, `dup_of`,
`near_dup_of`, `dataset` (the log's own source field, or null), `topic`, `topic_label`,
`category_label`, `topic_keywords` (the topic's keywords from topic_info.json, joined by
" | "), `score`, `judge`, `source` (`judge`, or `predicted` for a cascade's predicted score),
`flagged` (the judge flagged it: a request for harm or no task).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from miner.artifacts import PROMPTS, SCORES, TOPICS, read_frame, read_topic_info, topic_labels
from miner.run import Run

OUTLIER = -1


def load_candidates(run: Run) -> pd.DataFrame:
    """Read prompts, topics, topic info and scores of `run` into the candidate table."""
    prompts = read_frame(run, PROMPTS, ["id", "text"],
                         optional=["hash", "dup_of", "near_dup_of", "dataset"])
    prompts["row"] = np.arange(len(prompts))
    prompts["id"] = prompts["id"].astype(str)

    topics = read_frame(run, TOPICS, ["id", "topic"])
    topics["id"] = topics["id"].astype(str)
    topics = topics.drop_duplicates("id", keep="last")

    scores = read_frame(run, SCORES, ["id", "score"], optional=["judge", "source", "flagged"])
    scores["id"] = scores["id"].astype(str)
    scores = scores.drop_duplicates("id", keep="last")

    frame = prompts.merge(topics, on="id", how="left").merge(scores, on="id", how="left")
    frame["topic"] = frame["topic"].fillna(OUTLIER).astype(int)
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce").astype(float)
    frame["source"] = frame["source"].fillna("judge")
    frame["flagged"] = frame["flagged"].fillna(False).astype(bool)

    info = read_topic_info(run)
    labels, categories = topic_labels(info)
    keywords = {int(t["topic"]): " | ".join(str(k) for k in t.get("keywords") or [])
                for t in info["topics"]}
    frame["topic_label"] = [
        labels.get(t, "outliers" if t == OUTLIER else f"topic {t}") for t in frame["topic"]
    ]
    frame["category_label"] = [categories.get(t, "") for t in frame["topic"]]
    frame["topic_keywords"] = [keywords.get(t, "") for t in frame["topic"]]
    return frame.reset_index(drop=True)
