"""`miner validate`: show that the mined benchmark separates models, beside a random control.

    from miner.validate import Inputs, run_validate, estimate_validation
    run_validate(run, config, Inputs(answers=None, judgments=None, reference=Path("lb.csv")))

Modules: questions (benchmark and control sample), answers (model answers: files or
endpoints), judging (arena-hard-auto's pairwise prompt and strict verdict parser), games
(judgments from the judge or files, battles), ratings (Bradley-Terry + bootstrap), metrics
(separability, reference agreement, per-level gaps), files (arena-hard-auto answer and
judgment files, reference leaderboards), stage (validation.json), estimate (cost first).
"""

from miner.validate.estimate import estimate_validation
from miner.validate.stage import Inputs, run_validate, validate

__all__ = ["Inputs", "estimate_validation", "run_validate", "validate"]
