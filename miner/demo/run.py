"""`miner demo` as a function: generate the log, then run the whole pipeline offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from miner.config import Config, load_config
from miner.console import info
from miner.demo.corpus import write_demo_corpus
from miner.pipeline import pipeline_summary, run_pipeline
from miner.run import Run

DEMO_CONFIG = Path(__file__).resolve().parent / "demo.yaml"
CORPUS = "demo-chat.jsonl"
DEFAULT_RUN = Path("outputs") / "demo"


def demo_config(overrides: dict[str, Any] | None = None) -> Config:
    """The default config with the demo's settings (demo.yaml) and `overrides` on top."""
    return load_config(DEMO_CONFIG, overrides)


def run_demo(
    run_dir: Path | str = DEFAULT_RUN, *, prompts: int = 3000, seed: int = 0,
    overrides: dict[str, Any] | None = None, force: bool = False,
) -> dict[str, Any]:
    """Write the generated log into the run folder, run every stage, return the summary."""
    run = Run(run_dir)
    run.path.mkdir(parents=True, exist_ok=True)
    config = demo_config(overrides)
    run.save_config(config)
    corpus = write_demo_corpus(run.file(CORPUS), prompts, seed)
    info(f"demo: generated {prompts} conversations in {corpus}")
    outcomes = run_pipeline(run, config, [corpus], force=force)
    return pipeline_summary(run, outcomes)
