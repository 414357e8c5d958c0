"""Turn the summary and samples into the page's template context and embedded data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from miner.artifacts import artifact
from miner.report import figures
from miner.report.inputs import ReportInputs
from miner.report.mapplot import map_figure
from miner.report.samples import map_sample, placed_count, score_order, shorten, table_sample
from miner.report.summary import OUTLIER


def _figures(inputs: ReportInputs, summary: dict[str, Any], config: dict[str, Any],
             store: _Store) -> dict:
    specs: dict[str, Any] = {"funnel": figures.funnel_figure(summary["funnel"])}
    topics = summary["topics"]
    if any(t["topic"] != OUTLIER and t["mean_score"] is not None for t in topics):
        specs["difficulty"] = figures.difficulty_figure(topics, summary["scores"]["mean"])
    positions = map_sample(inputs, config["map_points"], config["seed"])
    if len(positions):
        specs["map"] = map_figure(inputs.rows, positions, store.add(positions, "map"), topics,
                                  summary["categories"], config)
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


class _Store:
    """The page's one copy of each prompt it shows (map points and table rows): id, topic,
    score, benchmark flag and text, cut to `text_chars` for table rows and to `hover_chars`
    for prompts only on the map. Figures and the table refer to prompts by store index."""

    def __init__(self, inputs: ReportInputs, config: dict[str, Any]) -> None:
        self.inputs, self.config = inputs, config
        self.index: dict[int, int] = {}
        self.positions: list[int] = []
        self.in_table: set[int] = set()

    def add(self, positions: np.ndarray, use: str) -> np.ndarray:
        """Store indices of `positions`, adding the prompts not stored yet."""
        result = np.empty(len(positions), dtype=np.int64)
        for i, position in enumerate(positions.tolist()):
            if position not in self.index:
                self.index[position] = len(self.positions)
                self.positions.append(position)
            if use == "table":
                self.in_table.add(position)
            result[i] = self.index[position]
        return result

    def columns(self) -> dict[str, Any]:
        rows, where = self.inputs.rows, np.array(self.positions, dtype=np.int64)
        store: dict[str, Any] = {
            "id": rows["id"].to_numpy()[where].tolist(),
            "topic": [None if pd.isna(v) else int(v)
                      for v in rows["topic"].to_numpy(dtype=object)[where]]
            if "topic" in rows else None,
            "score": [None if np.isnan(v) else round(float(v), 3)
                      for v in rows["score"].to_numpy(dtype=float)[where]]
            if "score" in rows else None,
            "selected": [int(v) for v in rows["selected"].to_numpy(dtype=bool)[where]]
            if "selected" in rows else None,
        }
        if self.config["include_text"]:
            texts = self.inputs.text_at(self.positions)
            store["text"] = [
                shorten(text, self.config["text_chars"] if p in self.in_table
                        else self.config["hover_chars"])
                for p, text in zip(self.positions, texts, strict=True)
            ]
        return store


def _table(inputs: ReportInputs, config: dict[str, Any], store: _Store) -> list[int]:
    """Store indices of the prompt table's rows (benchmark questions first, highest score
    first)."""
    rows = inputs.rows
    positions = table_sample(inputs, config["table_rows"], config["seed"])
    if "selected" in rows:
        chosen = rows["selected"].to_numpy(dtype=bool)[positions]
        positions = np.concatenate(
            [score_order(rows, positions[chosen]), score_order(rows, positions[~chosen])]
        )
    else:
        positions = score_order(rows, positions)
    return store.add(positions, "table").tolist()


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


def _answer(summary: dict[str, Any], per_category: int) -> list[dict[str, Any]]:
    """The first screen: each broad category (largest first) with its share, a one-line
    summary and its largest topics; without categories, one block of the largest topics."""
    topics = [t for t in summary["topics"] if t["topic"] != OUTLIER]
    mean = (summary["scores"] or {}).get("mean")
    groups = [(c, [t for t in topics if t["category"] == c["category"]])
              for c in summary["categories"]]
    if not groups and topics:
        groups = [({"label": "all topics", "share": sum(t["share"] for t in topics),
                    "size": sum(t["size"] for t in topics), "mean_score": None}, topics)]
    blocks = []
    for category, members in groups:
        if not members:
            continue
        blocks.append({
            "label": category["label"],
            "share": category["share"],
            "size": category["size"],
            "line": category_line(category, members, mean),
            "topics": members[:per_category],
            "more": max(len(members) - per_category, 0),
        })
    return blocks


def category_line(category: dict[str, Any], members: list[dict[str, Any]],
                  mean: float | None) -> str:
    """One line about a category: its size, how hard it is against the run, and how much of
    the benchmark it gave."""
    line = f"{len(members)} topic{'s' if len(members) != 1 else ''} · {category['size']:,} prompts"
    score = category.get("mean_score")
    if score is not None and mean is not None:
        side = "above" if score > mean + 0.05 else "below" if score < mean - 0.05 else "at"
        line += f" · score {score:.2f}, {side} the {mean:.2f} mean"
    taken = [t["selected"] for t in members if t.get("selected") is not None]
    if taken:
        line += f" · {sum(taken):,} in the benchmark"
    return line


OPEN_PER_CATEGORY = 5


def build_page(
    inputs: ReportInputs, summary: dict[str, Any], config: dict[str, Any]
) -> tuple[dict, dict]:
    """The template context and the JSON data embedded for the page's scripts."""
    store = _Store(inputs, config)
    specs = _figures(inputs, summary, config, store)
    table = _table(inputs, config, store)
    map_total = placed_count(inputs)
    data = {
        "figures": specs,
        "prompts": store.columns(),
        "table": table,
        "total": len(inputs.rows),
        "hover_chars": config["hover_chars"],
        "topics": [[t["topic"], t["rank"], t["label"]] for t in summary["topics"]],
    }
    context = {
        "summary": summary,
        "config": config,
        "answer": _answer(summary, OPEN_PER_CATEGORY),
        "texts": _example_texts(inputs, summary, config),
        "facts": _row_facts(inputs, summary),
        "missing": [(name, artifact(name).stage) for name in summary["missing"]],
        "figure_names": sorted(specs),
        "map_total": map_total,
        "map_sampled": map_total > config["map_points"],
        "table_shown": len(table),
    }
    return context, data
