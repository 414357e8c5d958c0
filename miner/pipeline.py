"""`miner run`: every stage in order over one run folder, then a summary.

Each stage decides for itself whether it is up to date (its manifest fingerprint covers its
input artifacts and its config section), so a second run with nothing changed does no work
and a change of `select.top` reruns only select and report, whose inputs changed.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

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
QUESTIONS = "benchmark/question.jsonl"
REPORT = "report/index.html"


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


def _read_json(run: Run, name: str) -> Any:
    path = run.file(name)
    return json.loads(path.read_text("utf-8")) if path.exists() else None


def pipeline_summary(run: Run, outcomes: Sequence[StageOutcome]) -> dict[str, Any]:
    """What the run produced: funnel, topics, judge, cost, benchmark, and where files are."""
    funnel = _read_json(run, "funnel.json") or []
    topic_info = _read_json(run, "topic_info.json") or {}
    score = _read_json(run, "score_summary.json") or {}
    selection = _read_json(run, "benchmark/selection.json") or {}
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
                   "cost_usd")},
        "benchmark": {key: selection.get(key) for key in
                      ("questions", "top", "reached_top", "format", "shortfall", "relax",
                       "relaxed", "relaxed_text")},
        "selected_topics": (selection.get("counts") or {}).get("selected_topics"),
        "questions": str(run.file(QUESTIONS)),
        "report": str(run.file(REPORT)),
    }


def _funnel_line(funnel: list[dict[str, Any]]) -> str:
    return " -> ".join(f"{step.get('step')} {step.get('count')}" for step in funnel)


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """The end-of-run summary as lines for a person."""
    ran = [s["stage"] for s in summary["stages"] if not s["skipped"]]
    seconds = sum(s["seconds"] for s in summary["stages"])
    lines = [f"stages run: {', '.join(ran) or 'none (all up to date)'} ({seconds:.1f} s)"]
    if summary["funnel"]:
        lines.append(f"funnel: {_funnel_line(summary['funnel'])}")
    topics = summary["topics"]
    lines.append(f"topics: {topics['count']} in {topics['categories']} categories"
                 + (f", {topics['outliers']} outlier prompts" if topics.get("outliers") else ""))
    judge = summary["judge"]
    if judge.get("judge"):
        failed = sum((judge.get("failed") or {}).values())
        cost = judge.get("cost_usd")
        tokens = judge.get("tokens") or {}
        lines.append(
            f"judge: {judge['judge']} ({judge.get('rubric')}): {judge.get('scored')} scored, "
            f"{failed} failed, {sum(tokens.values())} tokens, cost "
            + ("unknown (no price for this model)" if cost is None else f"${cost:.4f}")
        )
        if judge.get("offline"):
            lines.append("judge note: the OFFLINE heuristic judge scored these prompts (no "
                         "endpoint configured); scores are text-feature estimates, not an "
                         "LLM's judgment")
    bench = summary["benchmark"]
    if bench.get("questions") is not None:
        lines.append(f"benchmark: {bench['questions']} of --top {bench['top']} questions from "
                     f"{summary.get('selected_topics')} topics ({bench['format']})")
        if bench.get("relaxed_text"):
            lines.append(f"  {bench['relaxed_text']} ({len(bench['relaxed'])} step(s), "
                         "listed in benchmark/selection.json; --strict keeps the thresholds)")
        if not bench.get("reached_top"):
            lines += [f"  - {line}" for line in bench.get("shortfall") or []]
            strict = " --strict" if bench.get("relax") == "strict" else ""
            lines.append(f"  (`miner select --run RUN{strict}` prints what relaxing each setting "
                         "gives)")
    lines.append(f"questions: {summary['questions']}")
    lines.append(f"report: {summary['report']}")
    return lines
