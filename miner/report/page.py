"""Turn the summary and samples into the page's template context and embedded data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from miner.artifacts import artifact
from miner.report import figures
from miner.report.inputs import ReportInputs
from miner.report.samples import map_sample, placed_count, score_order, shorten, table_sample
from miner.report.summary import OUTLIER


def _figures(inputs: ReportInputs, summary: dict[str, Any], config: dict[str, Any]) -> dict:
    specs: dict[str, Any] = {"funnel": figures.funnel_figure(summary["funnel"])}
    topics = summary["topics"]
    if summary["categories"]:
        specs["categories"] = figures.category_figure(summary["categories"])
    if any(t["topic"] != OUTLIER for t in topics):
        specs["treemap"] = figures.treemap_figure(topics, summary["categories"], summary["scores"])
        specs["topics"] = figures.topic_figure(topics, summary["categories"], config["topic_bars"])
    if any(t["topic"] != OUTLIER and t["mean_score"] is not None for t in topics):
        specs["difficulty"] = figures.difficulty_figure(topics, summary["scores"]["mean"])
    positions = map_sample(inputs, config["map_points"], config["seed"])
    if len(positions):
        texts = inputs.text_at(positions.tolist()) if config["include_text"] else None
        specs["map"] = figures.map_figure(inputs.rows, positions, texts, topics, config)
    benchmark, scores = summary["benchmark"], summary["scores"]
    if benchmark and topics:
        specs["shares"] = figures.share_figure(benchmark, config["topic_bars"])
    if scores and scores["bins"]:
        specs["scores"] = figures.score_figure(
            scores["bins"],
            scores["histogram"],
            benchmark["score_histogram"] if benchmark else None,
        )
    return specs


def _table(inputs: ReportInputs, config: dict[str, Any]) -> dict[str, Any]:
    """Column arrays of the prompt table (benchmark questions first, highest score first)."""
    rows = inputs.rows
    positions = table_sample(inputs, config["table_rows"], config["seed"])
    if "selected" in rows:
        chosen = rows["selected"].to_numpy(dtype=bool)[positions]
        positions = np.concatenate(
            [score_order(rows, positions[chosen]), score_order(rows, positions[~chosen])]
        )
    else:
        positions = score_order(rows, positions)
    table: dict[str, Any] = {
        "total": len(rows),
        "id": rows["id"].to_numpy()[positions].tolist(),
        "topic": (
            [
                None if pd.isna(v) else int(v)
                for v in rows["topic"].to_numpy(dtype=object)[positions]
            ]
            if "topic" in rows
            else None
        ),
        "score": (
            [
                None if np.isnan(v) else round(float(v), 3)
                for v in rows["score"].to_numpy(dtype=float)[positions]
            ]
            if "score" in rows
            else None
        ),
        "selected": rows["selected"].to_numpy(dtype=bool)[positions].tolist()
        if "selected" in rows
        else None,
    }
    if config["include_text"]:
        table["text"] = [
            shorten(t, config["text_chars"]) for t in inputs.text_at(positions.tolist())
        ]
    return table


def _card_ids(summary: dict[str, Any]) -> set[str]:
    """Ids of every prompt a topic card lists (examples and benchmark questions)."""
    wanted: set[str] = set()
    for topic in summary["topics"]:
        wanted.update(topic.get("example_ids", []), topic.get("selected_ids", []))
    return wanted


def _example_texts(inputs: ReportInputs, summary: dict[str, Any], config: dict[str, Any]) -> dict:
    """Shortened text of every prompt a topic card shows, by id."""
    if not config["include_text"]:
        return {}
    rows = inputs.rows
    positions = np.flatnonzero(rows["id"].isin(_card_ids(summary)).to_numpy()).tolist()
    texts = inputs.text_at(positions)
    return {
        rows["id"].iat[p]: shorten(text, config["text_chars"])
        for p, text in zip(positions, texts, strict=True)
    }


def _row_facts(inputs: ReportInputs, summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Score and selection of every prompt a topic card lists, by id."""
    rows = inputs.rows[inputs.rows["id"].isin(_card_ids(summary))]
    facts = {}
    for record in rows.to_dict("records"):
        score = record.get("score")
        facts[record["id"]] = {
            "score": None if pd.isna(score) else round(float(score), 2),
            "selected": bool(record.get("selected", False)),
        }
    return facts


def build_page(
    inputs: ReportInputs, summary: dict[str, Any], config: dict[str, Any]
) -> tuple[dict, dict]:
    """The template context and the JSON data embedded for the page's scripts."""
    topic_names = {t["topic"]: t["label"] for t in summary["topics"]}
    specs = _figures(inputs, summary, config)
    map_total = placed_count(inputs)
    data = {
        "figures": specs,
        "table": _table(inputs, config),
        "topics": [[t, name] for t, name in topic_names.items()],
    }
    context = {
        "summary": summary,
        "config": config,
        "texts": _example_texts(inputs, summary, config),
        "facts": _row_facts(inputs, summary),
        "missing": [(name, artifact(name).stage) for name in summary["missing"]],
        "figure_names": sorted(specs),
        "map_total": map_total,
        "map_sampled": map_total > config["map_points"],
        "table_shown": len(data["table"]["id"]),
    }
    return context, data
