"""`miner demo`: the whole pipeline offline on a generated conversation log."""

from __future__ import annotations

from pathlib import Path

import click

from miner.cli.options import click_type, json_option, print_json
from miner.config import read_yaml

# The demo's config layer (miner.demo.run.DEMO_CONFIG; not imported here: it loads the pipeline).
DEMO_YAML = Path(__file__).resolve().parents[1] / "demo" / "demo.yaml"


@click.command("demo")
@click.option("--run", "run_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("outputs") / "demo", show_default=True,
              help="Run folder for the demo's log and artifacts.")
@click.option("--prompts", type=click.IntRange(min=1000), default=3000, show_default=True,
              help="Conversations in the generated log (at least 1,000: fewer leave too few "
                   "prompts per topic to cluster).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the generated log (the same seed gives the same log).")
@click.option("--top", type=click_type("select.top"), default=None,
              help=f"Benchmark size. [default: {read_yaml(DEMO_YAML)['select']['top']}, "
                   "from miner/demo/demo.yaml]")
@click.option("--force", is_flag=True, help="Redo every stage even when it is up to date.")
@json_option
def demo(run_dir: Path, prompts: int, seed: int, top: int | None, force: bool,
         as_json: bool) -> None:
    """Mine a benchmark from a generated chat log, offline, in a few minutes.

    \b
    Generates an LMSYS-Chat-1M shaped log (25 topics, easy to hard prompts, duplicates,
    other languages, flagged and redacted rows), embeds it with the local MiniLM model,
    finds topics with BERTopic, scores prompts with the offline ranker judge, selects the
    benchmark and writes the HTML report. No network, no API key. Ends by printing where
    question.jsonl and the report are.
    """
    from miner.cli.summaries import summary_lines
    from miner.demo import run_demo

    summary = run_demo(run_dir, prompts=prompts, seed=seed, overrides={"select.top": top},
                       force=force)
    if as_json:
        print_json(summary)
        return
    for line in summary_lines(summary):
        click.echo(line)
