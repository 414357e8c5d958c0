"""`miner topics --json`: topic_info.json with the figures the report shows per topic.

Each topic gains its `rank` by size (1 = largest), `scored` and `mean_score` (over distinct
texts, as the report counts them; null without scores), `from_outliers` (share of its
prompts the outlier step moved there) and `representatives`: the representative prompts'
ids with their text.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from miner.artifacts import PROMPTS, read_table, read_topic_info
from miner.report.inputs import load_inputs
from miner.report.samples import shorten
from miner.report.summary import moved_shares, score_bins, topic_entries, topic_scores
from miner.run import Run

# Representative prompts are cut to this many characters (full texts stay in prompts.parquet).
TEXT_CHARS = 1000
_SCORE_CONFIG = {"examples_per_topic": 0, "selected_per_topic": 0}


def _texts(run: Run, ids: list[str]) -> dict[str, str]:
    """Text of each of `ids`, read from prompts.parquet."""
    table = read_table(run, PROMPTS, ["id", "text"])
    found = table.filter(pc.is_in(table.column("id"), value_set=pa.array(ids, pa.string())))
    return {str(i): shorten(str(t or ""), TEXT_CHARS)
            for i, t in zip(found.column("id").to_pylist(), found.column("text").to_pylist(),
                            strict=True)}


def topics_json(run: Run) -> dict[str, Any]:
    """topic_info.json with rank, scored, mean score, outlier-step share and representative
    texts on every topic entry."""
    info = read_topic_info(run)
    inputs = load_inputs(run, include_text=False)
    entries = topic_entries(inputs, len(inputs.rows))
    representatives = {e["topic"]: list(e["representative_ids"]) for e in entries}
    bins = score_bins(inputs.rows["score"]) if "score" in inputs.rows else []
    topic_scores(inputs, entries, bins, _SCORE_CONFIG)
    by_topic = {e["topic"]: e for e in entries}
    moved = moved_shares(inputs)
    texts = _texts(run, [i for ids in representatives.values() for i in ids])
    for topic in info["topics"]:
        number = int(topic["topic"])
        entry = by_topic.get(number, {})
        topic["rank"] = entry.get("rank")
        topic["scored"] = entry.get("scored")
        topic["mean_score"] = entry.get("mean_score")
        topic["from_outliers"] = moved.get(number) if number >= 0 else None
        topic["representatives"] = [{"id": i, "text": texts.get(i)}
                                    for i in representatives.get(number, [])]
    return info
