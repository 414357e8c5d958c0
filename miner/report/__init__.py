"""The self-contained HTML report: funnel, topics, map, judge, benchmark and a prompt table.

`run_report(run, config, force=...)` is the stage; `write_report(run, section)` does the work
without fingerprinting. Modules: `inputs` reads artifacts, `summary` computes the numbers
(also written as report/summary.json), `samples` bounds what the page embeds, `figures`
builds plotly specs, `page` assembles the template context, `render` writes the safe HTML.
"""

from miner.report.stage import read_summary, run_report, write_report

__all__ = ["read_summary", "run_report", "write_report"]
