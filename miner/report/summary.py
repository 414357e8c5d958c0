"""The report's numbers: funnel, topics, scores, judge and benchmark, as plain JSON values.

`summarize` never puts prompt text in its result: the same dict is written as
`report/summary.json`, and the HTML adds texts separately (unless they are left out).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from miner import __version__
from miner.artifacts import SCORE_SUMMARY, SCORES
from miner.report.inputs import ReportInputs

OUTLIER = -1
# A criterion met (or missed) by more than this share of scored prompts does not tell them apart.
UNDISCRIMINATING = 0.95


def _number(value: Any) -> float | int | None:
    """A JSON-safe number: NaN and None become None, numpy scalars become Python ones."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    value = float(value)
    return None if math.isnan(value) else round(value, 4)


def _share(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


def score_bins(scores: pd.Series) -> list[int]:
    """Integer histogram bins spanning every score in the run."""
    scored = scores.dropna()
    if scored.empty:
        return []
    return list(range(math.floor(scored.min() + 0.5), math.floor(scored.max() + 0.5) + 1))


def histogram(scores: pd.Series, bins: list[int]) -> list[int]:
    """Counts of scores rounded to the nearest integer, one per bin."""
    if not bins:
        return []
    rounded = np.floor(scores.dropna().to_numpy(dtype=float) + 0.5).astype(int)
    counts = np.bincount(rounded - bins[0], minlength=len(bins))
    return [int(c) for c in counts[: len(bins)]]


def _categories(info: dict[str, Any] | None, total: int) -> tuple[list[dict], dict[int, Any]]:
    """Broad categories from topic_info.json, and each topic's category id."""
    if not info:
        return [], {}
    categories, topic_category = [], {}
    for entry in info.get("categories", []):
        members = [int(t) for t in entry.get("topics", [])]
        size = int(entry.get("size", 0))
        categories.append(
            {
                "category": entry.get("category"),
                "label": str(entry.get("label", entry.get("category"))),
                "topics": members,
                "size": size,
                "share": _number(entry.get("share")) if "share" in entry else _share(size, total),
            }
        )
        for topic in members:
            topic_category[topic] = entry.get("category")
    for topic in info.get("topics", []):
        if int(topic["topic"]) not in topic_category and topic.get("parent") is not None:
            topic_category[int(topic["topic"])] = topic["parent"]
    categories.sort(key=lambda c: (-c["size"], str(c["label"])))
    return categories, topic_category


def topic_entries(inputs: ReportInputs, total: int) -> list[dict[str, Any]]:
    """One entry per topic (outliers included as topic -1), largest first."""
    info = {int(t["topic"]): t for t in (inputs.topic_info or {}).get("topics", [])}
    rows = inputs.rows
    counted = rows["topic"].dropna().astype(int).value_counts().to_dict() if "topic" in rows else {}
    entries = []
    for topic in sorted(set(info) | set(counted)):
        meta = info.get(topic, {})
        size = int(counted.get(topic, meta.get("size", 0)))
        default_label = "outliers (no topic)" if topic == OUTLIER else f"topic {topic}"
        keywords = meta.get("keywords") or []
        entries.append(
            {
                "topic": int(topic),
                "label": str(meta.get("label") or default_label),
                "keywords": [str(k[0] if isinstance(k, (list, tuple)) else k) for k in keywords],
                "size": size,
                "share": _share(size, total),
                "representative_ids": [str(i) for i in meta.get("representative_ids") or []],
            }
        )
    entries.sort(key=lambda e: (e["topic"] == OUTLIER, -e["size"], e["topic"]))
    moved = moved_shares(inputs)
    for rank, entry in enumerate(entries, start=1):
        entry["rank"] = None if entry["topic"] == OUTLIER else rank
        entry["from_outliers"] = moved.get(entry["topic"]) if entry["topic"] != OUTLIER else None
    return entries


def moved_shares(inputs: ReportInputs) -> dict[int, float]:
    """Per topic, the share of its prompts that the outlier step put there.

    HDBSCAN gives every member of a cluster a probability above 0; the outlier step
    (`cluster.outliers: embeddings`) moves a prompt HDBSCAN left out to the nearest topic
    with probability 0, so a topic's members with probability 0 came from that step.
    """
    rows = inputs.rows
    if "probability" not in rows or "topic" not in rows:
        return {}
    placed = rows[rows["topic"].notna() & rows["probability"].notna()]
    moved = (placed["probability"] <= 0).groupby(placed["topic"].astype(int)).mean()
    return {int(t): round(float(v), 4) for t, v in moved.items()}


def topic_scores(inputs: ReportInputs, entries: list[dict], bins: list[int], config: dict) -> None:
    """Add score, criteria, benchmark and example figures to each topic entry in place."""
    rows = inputs.rows
    has_topic, has_score = "topic" in rows, "score" in rows
    has_selected = "selected" in rows
    groups = dict(tuple(rows.groupby("topic", sort=False))) if has_topic else {}
    rates = _criteria_rates(inputs) if has_topic and has_score else None
    for entry in entries:
        group = groups.get(entry["topic"], rows.iloc[0:0])
        # Every key is always there (None or empty when its artifact is missing).
        entry.update(scored=None, mean_score=None, score_histogram=[], criteria={})
        entry.update(selected=None, selected_ids=[])
        if has_score:
            scores = group.loc[~group["exact_dup"], "score"]
            entry["scored"] = int(scores.notna().sum())
            entry["mean_score"] = _number(scores.mean()) if entry["scored"] else None
            entry["score_histogram"] = histogram(scores, bins)
            known = rates is not None and entry["topic"] in rates.index
            entry["criteria"] = {
                name: _number(rates.at[entry["topic"], name]) if known else None
                for name in inputs.criteria
            }
        if has_selected:
            taken = group[group["selected"]]
            if has_score:
                taken = taken.sort_values("score", ascending=False, kind="stable")
            entry["selected"] = len(taken)
            entry["selected_ids"] = list(taken["id"][: config["selected_per_topic"]])
        entry["example_ids"] = _examples(entry, group, config["examples_per_topic"])


def _criteria_rates(inputs: ReportInputs) -> pd.DataFrame:
    """Per topic (index), the share of its scored prompts meeting each criterion (columns)."""
    rows = inputs.rows
    scored = rows[rows["score"].notna() & ~rows["exact_dup"]]
    return scored[inputs.criteria].astype(float).groupby(scored["topic"]).mean()


def _examples(entry: dict, group: pd.DataFrame, limit: int) -> list[str]:
    """The topic's representative prompts, topped up with its most probable members."""
    known = set(group["id"])
    chosen = [i for i in entry.pop("representative_ids") if i in known][:limit]
    if len(chosen) < limit and len(group):
        ranked = group
        if "probability" in group:
            ranked = group.sort_values("probability", ascending=False, kind="stable")
        for candidate in ranked["id"]:
            if len(chosen) >= limit:
                break
            if candidate not in chosen:
                chosen.append(candidate)
    return chosen


def _category_scores(
    inputs: ReportInputs, categories: list[dict], topic_category: dict[int, Any]
) -> None:
    """Add each category's scored count and mean score (over its topics' prompts) in place."""
    rows = inputs.rows
    for category in categories:
        category.update(scored=None, mean_score=None)
    if "score" not in rows or "topic" not in rows or not categories:
        return
    of_row = rows["topic"].map(topic_category)
    grouped = rows["score"].where(~rows["exact_dup"]).groupby(of_row, dropna=True)
    counts, means = grouped.count(), grouped.mean()
    for category in categories:
        scored = int(counts.get(category["category"], 0))
        category["scored"] = scored
        category["mean_score"] = _number(means.get(category["category"])) if scored else None


def _cascade(strategy: dict[str, Any]) -> dict[str, Any] | None:
    """A cascade's calls against full scoring, cost saved, passing prompts never judged."""
    if strategy.get("strategy") != "cascade":
        return None
    return {key: strategy.get(key) for key in
            ("calls", "full_calls", "call_share", "cost_usd_estimated",
             "full_cost_usd_estimated", "cost_usd_saved", "predicted_passing_unjudged",
             "stopped")}


def _judge(inputs: ReportInputs) -> dict[str, Any] | None:
    rows, summary = inputs.rows, inputs.score_summary or {}
    if "score" not in rows and not summary:
        return None
    texts = rows[~rows["exact_dup"]]          # the judge saw each distinct text once
    by_status: dict[str, int] = {}
    if "status" in rows:
        counts = texts.loc[texts["status"].notna(), "status"].astype(str).value_counts()
        by_status = {str(k): int(v) for k, v in counts.items()}
    name = summary.get("judge") or ", ".join(inputs.judges) or None
    rubric = summary.get("rubric") or ", ".join(inputs.rubrics) or None
    heuristic = bool(summary.get("offline")) or "heuristic" in str(name or "").lower()
    scored = int(texts["score"].notna().sum()) if "score" in rows else summary.get("scored")
    rated = int(texts["status"].notna().sum()) if "status" in rows else None
    return {
        "name": None if name is None else str(name),
        "rubric": None if rubric is None else str(rubric),
        "heuristic": heuristic,
        "note": str(summary["note"]) if summary.get("note") else None,
        "scored": scored,
        "failed": (rated - scored) if rated is not None and scored is not None else None,
        "by_status": by_status,
        # What every answer behind these scores cost, cached ones included (score_summary.json).
        "tokens": summary.get("answers_tokens"),
        "cost": summary.get("answers_cost_usd"),
        "summary": {k: v for k, v in summary.items() if isinstance(v, (str, int, float, bool))},
        "cascade": _cascade(summary.get("strategy") or {}),
        "source": SCORE_SUMMARY.name if inputs.score_summary else SCORES.name,
    }


def _scores(inputs: ReportInputs, bins: list[int]) -> dict[str, Any] | None:
    if "score" not in inputs.rows:
        return None
    rows = inputs.rows[~inputs.rows["exact_dup"]]     # distinct texts, as the judge saw them
    scored = rows["score"].notna()
    criteria = {
        name: _number(rows.loc[scored, name].astype(float).mean()) for name in inputs.criteria
    }
    return {
        "scored": int(scored.sum()),
        "unscored": int((~scored).sum()),
        "not_judged": int(rows["status"].isna().sum()) if "status" in rows else None,
        "mean": _number(rows["score"].mean()),
        "bins": bins,
        "histogram": histogram(rows["score"], bins),
        "criteria": criteria,
        "undiscriminating": {
            name: "nearly every prompt meets it" if rate > UNDISCRIMINATING
            else "nearly no prompt meets it"
            for name, rate in criteria.items()
            if rate is not None and (rate > UNDISCRIMINATING or rate < 1 - UNDISCRIMINATING)
        },
    }


def _benchmark(inputs: ReportInputs, topics: list[dict], bins: list[int]) -> dict[str, Any] | None:
    rows = inputs.rows
    if "selected" not in rows:
        return None
    taken = rows[rows["selected"]]
    n_taken = len(taken)
    shortfall = (inputs.selection_summary or {}).get("shortfall") or []
    result: dict[str, Any] = {
        "questions": inputs.n_questions,
        "top": (inputs.selection_summary or {}).get("top"),
        "shortfall": [str(line) for line in shortfall] if isinstance(shortfall, list) else [],
        "relaxed": str((inputs.selection_summary or {}).get("relaxed_text") or ""),
        "matched_prompts": n_taken,
        "reasons": inputs.selection_reasons,
        "topic_shares": [
            {
                "topic": t["topic"],
                "rank": t["rank"],
                "label": t["label"],
                "source": t["share"],
                "benchmark": _share(t["selected"] or 0, n_taken),
            }
            for t in topics
        ],
    }
    has_scores = "score" in rows and n_taken > 0
    result["mean_score"] = _number(taken["score"].mean()) if has_scores else None
    result["score_histogram"] = histogram(taken["score"], bins) if "score" in rows else []
    return result


def _funnel(inputs: ReportInputs) -> list[dict[str, Any]]:
    """funnel.json's steps, continued through dedup, scoring and selection.

    After dedup every step counts distinct texts only (exact duplicates once, the way the
    judge sees them), so the funnel never widens and its `scored` step is the one count of
    scored prompts the whole report (cards, judge table, topics) uses.
    """
    rows = inputs.rows
    steps = list(inputs.funnel or [{"step": "prompts", "count": len(rows)}])
    texts = ~rows["exact_dup"]
    if int(texts.sum()) < steps[-1]["count"]:
        steps.append({"step": "distinct texts", "count": int(texts.sum())})
    candidates = texts & ~rows["near_dup"]
    if "score" in rows:
        steps.append({"step": "scored", "count": int((texts & rows["score"].notna()).sum())})
        candidates &= rows["score"].notna()
    if int(candidates.sum()) < steps[-1]["count"]:
        steps.append({"step": "not a near-duplicate", "count": int(candidates.sum())})
    if inputs.n_questions is not None:
        steps.append({"step": "benchmark questions", "count": inputs.n_questions})
    return steps


def _sources(inputs: ReportInputs, total: int) -> list[dict[str, Any]]:
    """Per value of prompts.parquet's `source` (when it has two or more): prompts, share,
    scored distinct texts, their mean score and the benchmark questions taken; largest first."""
    rows = inputs.rows
    if "source" not in rows or rows["source"].nunique(dropna=True) < 2:
        return []
    result = []
    for name, group in rows.groupby(rows["source"].fillna("(none)").astype(str), sort=False):
        texts = group[~group["exact_dup"]]
        scored = int(texts["score"].notna().sum()) if "score" in group else None
        result.append({
            "source": name,
            "size": len(group),
            "share": _share(len(group), total),
            "scored": scored,
            "mean_score": _number(texts["score"].mean()) if scored else None,
            "selected": int(group["selected"].sum()) if "selected" in group else None,
        })
    result.sort(key=lambda r: (-r["size"], r["source"]))
    return result


def summarize(inputs: ReportInputs, config: dict[str, Any]) -> dict[str, Any]:
    """Every number the report shows, JSON-ready and free of prompt text."""
    rows = inputs.rows
    total = len(rows)
    bins = score_bins(rows["score"]) if "score" in rows else []
    topics = topic_entries(inputs, total)
    topic_scores(inputs, topics, bins, config)
    categories, topic_category = _categories(inputs.topic_info, total)
    labels = {c["category"]: c["label"] for c in categories}
    for topic in topics:
        category = topic_category.get(topic["topic"])
        topic["category"] = category
        topic["category_label"] = labels.get(category)
    _category_scores(inputs, categories, topic_category)
    scores = _scores(inputs, bins)
    return {
        "miner": __version__,
        "include_text": bool(config["include_text"]),
        "missing": inputs.missing,
        "prompts": {
            "total": total,
            "exact_duplicates": int(rows["exact_dup"].sum()),
            "near_duplicates": int((rows["near_dup"] & ~rows["exact_dup"]).sum()),
        },
        "funnel": _funnel(inputs),
        "sources": _sources(inputs, total),
        "categories": categories,
        "topics": topics,
        "scores": scores,
        "judge": _judge(inputs),
        "benchmark": _benchmark(inputs, topics, bins),
    }
