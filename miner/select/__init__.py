"""SELECT: the BenchBuilder selection that turns scored topics into `question.jsonl`.

Python API: `run_select(run, config, *, force)` is the stage; `load_candidates(run)` and
`select_benchmark(frame, params, vectors, contamination)` are the pure parts a notebook can
call with its own thresholds (`params_from_config(config["select"])`).
"""

from miner.select.candidates import load_candidates
from miner.select.params import FORMATS, SelectParams, params_from_config
from miner.select.sampling import REASONS, Selection, select_benchmark
from miner.select.stage import OUTPUTS, read_summary, run_select

__all__ = [
    "FORMATS", "OUTPUTS", "REASONS", "SelectParams",
    "Selection", "load_candidates", "params_from_config", "read_summary", "run_select",
    "select_benchmark",
]
