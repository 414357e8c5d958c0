"""The LLM judge: rubrics as data, strict parsing, the offline heuristic judge, the score
stage with cascade, batch files, cost estimates and judge agreement.

Python API (what the pipeline and the CLI call):
    run_score(run, config, *, force=False, cache_only=False) -> StageOutcome
    resolve_judge(config, name) -> Judge;  register_judge(kind) decorates a Judge subclass
    estimate(run, config, judge=None) -> dict
    export_batch(run, config, path) -> (judge name, count);  import_batch(run, config, path) -> dict
    compare_judges(run, config, a, b) -> dict;  list_judges(config) -> list[dict]
"""

from miner.judge.base import Item, Judge, PassStats, Verdict
from miner.judge.batch import export_batch, import_batch
from miner.judge.compare import cohen_kappa, compare_judges
from miner.judge.estimate import estimate
from miner.judge.listing import list_judges
from miner.judge.registry import judge_kinds, register_judge, resolve_judge
from miner.judge.rubric import Rubric, available_rubrics, load_rubric
from miner.judge.score import run_score

__all__ = [
    "Item",
    "Judge",
    "PassStats",
    "Rubric",
    "available_rubrics",
    "cohen_kappa",
    "compare_judges",
    "estimate",
    "export_batch",
    "import_batch",
    "list_judges",
    "load_rubric",
    "judge_kinds",
    "register_judge",
    "resolve_judge",
    "run_score",
    "Verdict",
]
