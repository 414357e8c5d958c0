"""`miner run`: every stage in order over one run folder, then a summary.

Each stage decides for itself whether it is up to date (its manifest fingerprint covers its
input artifacts and its config section), so a second run with nothing changed does no work
and a change of `select.top` reruns only select and report, whose inputs changed.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from miner.artifacts import (
    FUNNEL,
    QUESTIONS,
    REPORT_PAGE,
    SCORE_SUMMARY,
    SELECTION_SUMMARY,
    TOPIC_INFO,
    read_json_if_present,
)
from miner.config import Config
from miner.console import info
from miner.run import Run, StageOutcome

# Each stage's `run_<stage>` function, imported late: each pulls in heavy libraries.
STAGE_FUNCTIONS = {
    "ingest": ("miner.ingest", "run_ingest"),
    "embed": ("miner.embed", "run_embed"),
    "index": ("miner.index", "run_index"),
    "cluster": ("miner.cluster", "run_cluster"),
    "score": ("miner.judge", "run_score"),
    "select": ("miner.select", "run_select"),
    "report": ("miner.report", "run_report"),
}
STAGES = tuple(STAGE_FUNCTIONS)


def _stage_function(stage: str) -> Callable[..., StageOutcome]:
    """The stage's `run_<stage>` function."""
    module, name = STAGE_FUNCTIONS[stage]
    return getattr(importlib.import_module(module), name)


def run_pipeline(
    run: Run, config: Config, sources: Sequence[str | Path], *, force: bool = False
) -> list[StageOutcome]:
    """Run ingest -> embed -> index -> cluster -> score -> select -> report on `run`.

    Stages whose inputs and config are unchanged are skipped; `force` redoes every stage.
    """
    outcomes = []
    for number, stage in enumerate(STAGES, start=1):
        info(f"[{number}/{len(STAGES)}] {stage}")
        function = _stage_function(stage)
        if stage == "ingest":
            outcome = function(run, config, list(sources), force=force)
        else:
            outcome = function(run, config, force=force)
        outcomes.append(outcome)
    return outcomes


def pipeline_summary(run: Run, outcomes: Sequence[StageOutcome]) -> dict[str, Any]:
    """What the run produced: funnel, topics, judge, cost, benchmark, and where files are."""
    funnel = read_json_if_present(run, FUNNEL) or []
    topic_info = read_json_if_present(run, TOPIC_INFO) or {}
    score = read_json_if_present(run, SCORE_SUMMARY) or {}
    selection = read_json_if_present(run, SELECTION_SUMMARY) or {}
    topics = [t for t in topic_info.get("topics", []) if int(t.get("topic", -1)) != -1]
    return {
        "run": str(run.path),
        "stages": [{"stage": o.name, "skipped": o.skipped, "seconds": o.seconds}
                   for o in outcomes],
        "funnel": funnel,
        "topics": {"count": len(topics), "categories": len(topic_info.get("categories") or []),
                   "outliers": topic_info.get("outliers")},
        "judge": {key: score.get(key) for key in
                  ("judge", "offline", "note", "rubric", "scored", "failed", "tokens",
                   "cost_usd", "strategy")},
        "benchmark": {key: selection.get(key) for key in
                      ("questions", "top", "reached_top", "format", "shortfall", "relax",
                       "relaxed", "relaxed_text")},
        "selected_topics": (selection.get("counts") or {}).get("selected_topics"),
        "questions": str(run.file(QUESTIONS)),
        "report": str(run.file(REPORT_PAGE)),
    }
