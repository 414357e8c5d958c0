"""The `report` stage: read what the run has, write report/index.html and report/summary.json."""

from __future__ import annotations

from typing import Any

from miner.artifacts import REPORT_PAGE, REPORT_SCREENSHOT, REPORT_SUMMARY, VALIDATION, read_json
from miner.console import info
from miner.report.inputs import REPORT_INPUTS, load_inputs
from miner.report.page import build_page
from miner.report.render import TEMPLATES, render_page
from miner.report.screenshot import take_screenshot
from miner.report.summary import summarize
from miner.report.validation import validation_section
from miner.run import Run, StageOutcome, file_digest, write_json
from miner.select.stage import require_current_benchmark


def _input_digests(run: Run) -> dict[str, str | None]:
    """Digest of every artifact the report reads (None for those not written yet), and of the
    templates, so a new page design redraws old reports."""
    digests = {item.name: run.digest(item) if run.has(item) else None
               for item in (*REPORT_INPUTS, VALIDATION)}
    return {**digests, "templates": file_digest(TEMPLATES)}


def write_report(run: Run, config: dict[str, Any]) -> dict[str, Any]:
    """Write report/index.html and report/summary.json; return the summary.

    `config` is the `report` section. Does no fingerprinting: `run_report` wraps it.
    """
    inputs = load_inputs(run, include_text=config["include_text"])
    found = sum(inputs.present.values())
    info(f"report: {len(inputs.rows):,} prompts, {found} of {len(inputs.present)} other artifacts")
    summary = summarize(inputs, config)
    context, data = build_page(inputs, summary, config)
    context["validation"] = validation_section(run)
    page = render_page(context, data)
    run.output(REPORT_PAGE).write_text(page, "utf-8")
    write_json(run.output(REPORT_SUMMARY), summary)
    if config["screenshot"]:
        take_screenshot(run.file(REPORT_PAGE), run.output(REPORT_SCREENSHOT))
    return summary


def run_report(run: Run, config: dict[str, Any], *, force: bool = False) -> StageOutcome:
    """Stage `report`: the self-contained HTML report of whatever artifacts the run holds.

    `config` is the full effective config; its `report` section sets caps, seed and
    `include_text` (False leaves every prompt's text out).
    """
    section = config["report"]
    require_current_benchmark(run)   # never the old benchmark against new topics
    outputs = [REPORT_PAGE, REPORT_SUMMARY] + ([REPORT_SCREENSHOT] if section["screenshot"] else [])

    def body() -> dict[str, Any]:
        summary = write_report(run, section)
        size = run.file(REPORT_PAGE).stat().st_size
        info(f"report: wrote {run.path / REPORT_PAGE.name} ({size / 1e6:.1f} MB)")
        for name in summary["missing"]:
            info(f"report: {name} is missing; its sections are left out")
        return {
            "prompts": summary["prompts"]["total"],
            "topics": len(summary["topics"]),
            "bytes": size,
            "missing": summary["missing"],
        }

    return run.run_stage(
        "report",
        inputs=_input_digests(run),
        config=section,
        outputs=outputs,
        body=body,
        force=force,
    )


def read_summary(run: Run) -> dict[str, Any]:
    """The summary.json of the latest report."""
    return read_json(run, REPORT_SUMMARY)
