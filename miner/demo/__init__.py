"""`miner demo`: the whole pipeline offline on a generated conversation log.

`run_demo(run_dir, prompts=3000, seed=0)` writes the log (`corpus.write_demo_corpus`) into the
run folder and runs every stage with `demo.yaml`'s settings; `demo_records` yields the log.
"""

from miner.demo.corpus import demo_records, write_demo_corpus
from miner.demo.run import DEFAULT_RUN, demo_config, run_demo

__all__ = ["DEFAULT_RUN", "demo_config", "demo_records", "run_demo", "write_demo_corpus"]
