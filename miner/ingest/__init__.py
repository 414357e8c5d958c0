"""The ingest stage: read conversation logs in many formats into `prompts.parquet`.

`run_ingest` is the stage; `read_prompt_texts` reads prompt texts from any source ingest
understands, turn policy applied and no filters (for exclusion lists and contamination checks).
"""

from miner.ingest.prompts import read_prompt_texts
from miner.ingest.stage import read_funnel, run_ingest

__all__ = ["read_funnel", "read_prompt_texts", "run_ingest"]
