"""The questions a validation asks: the benchmark's, and a seeded random control sample of the
run's distinct prompts of the same size.

A question is identified by its prompt's hash (the hash of the row it stands for through
`dup_of`); `uid` (the hash's first 32 hex digits) is the id question.jsonl and arena-hard-auto's
answer and judgment files use. `level` is the prompt's score in the run (None: unscored).
The control sample draws from every distinct prompt of the log (duplicates and
near-duplicates stand for their original), benchmark questions included: it is what "any
500 prompts of the same log" means.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from miner.artifacts import PROMPTS, SELECTION, distinct_rows, prompt_roots, read_frame
from miner.errors import MissingArtifactError
from miner.run import Run


@dataclass(frozen=True)
class Question:
    """One question: its prompt hash, uid, text (cut at max_chars) and score level."""

    hash: str
    uid: str
    text: str
    level: float | None


def _frame(run: Run):
    prompts = read_frame(run, PROMPTS, ["id", "text", "hash"], optional=["dup_of", "near_dup_of"])
    selection = read_frame(run, SELECTION, ["id", "reason", "score", "rank"])
    frame = prompts.merge(selection[["id", "reason", "score", "rank"]], on="id", how="left")
    roots = prompt_roots(frame["id"].tolist(), frame["dup_of"].tolist())
    frame["judge_hash"] = frame["hash"].to_numpy()[roots]
    return frame


def _question(row, max_chars: int) -> Question:
    text = "" if row.text is None else str(row.text)
    score = row.score
    level = None if score is None or score != score else float(score)
    return Question(row.judge_hash, str(row.judge_hash)[:32], text[:max_chars], level)


def load_questions(run: Run, *, control: bool, seed: int,
                   max_chars: int) -> tuple[list[Question], list[Question]]:
    """The benchmark's questions in selection order, and the control sample (empty when
    `control` is False)."""
    frame = _frame(run)
    chosen = frame[frame["reason"] == "selected"].sort_values("rank")
    if chosen.empty:
        raise MissingArtifactError(f"{run.file(SELECTION)}: no question is selected: run "
                                   f"`miner select --run {run.path}` first")
    benchmark = list(dict.fromkeys(_question(r, max_chars) for r in chosen.itertuples()))
    if not control:
        return benchmark, []
    roots = prompt_roots(frame["id"].tolist(), frame["dup_of"].tolist(),
                         frame["near_dup_of"].tolist())
    pool = distinct_rows(roots)
    rng = np.random.default_rng(seed)
    size = min(len(benchmark), len(pool))
    picked = np.sort(rng.choice(pool, size=size, replace=False))
    rows = frame.iloc[picked]
    return benchmark, [_question(r, max_chars) for r in rows.itertuples()]
