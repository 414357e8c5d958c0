"""Human-readable summaries the commands print: the end of `miner run` and `miner demo`, and
why `miner select` fell short of --top. (The stages return data; wording lives here.)"""

from __future__ import annotations

from typing import Any

from miner.select.explain import describe_relaxation


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
        from miner.cli.score import strategy_lines

        lines.extend(strategy_lines(judge.get("strategy") or {}))
        if judge.get("offline"):
            lines.append(f"judge note: the OFFLINE {judge['judge']} judge scored these prompts "
                         "(no endpoint configured); scores are text-feature estimates, not an "
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


def shortfall_lines(summary: dict[str, Any]) -> list[str]:
    """Human lines: why --top was not reached and what relaxing would give."""
    if summary.get("reached_top", True):
        return []
    lines = [f"selected {summary['questions']} of --top {summary['top']}:"]
    lines += [f"  - {line}" for line in summary["shortfall"]]
    if summary["relaxations"]:
        lines.append("  relaxing would give:")
        lines += [f"    {describe_relaxation(r)}" for r in summary["relaxations"]]
    return lines


def relaxed_lines(summary: dict[str, Any]) -> list[str]:
    """Human lines: each `relax: auto` step and the sentence that sums them up."""
    steps = summary.get("relaxed") or []
    if not steps:
        return []
    lines = [f"{summary['relaxed_text']} (select.relax: auto; --strict keeps the thresholds):"]
    for step in steps:
        lines.append(f"  - {step['setting']} {step['from']:g} -> {step['to']:g}: "
                     f"{step['selected']} selected from {step['pool']} candidates")
    return lines
