"""Where row-wise work runs: the seam between a stage and the engine that runs its batches.

Embedding, heuristic judging and topic assignment hand their rows to an executor as
`map_batches(work, rows, batch_size)`: `work(batch, progress)` computes one batch (advancing
`progress`, a tqdm-like bar, by the rows it finished, or ignoring it when None) and the
results come back in row order, one per batch, with the slice of `rows` they cover. The
local executor runs the batches in this process under one progress bar; another engine
(Ray Data, say) can run them elsewhere without the stages changing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

from miner.console import progress

Row = TypeVar("Row")
Result = TypeVar("Result")
Work = Callable[[Any, Any], Result]


class Executor(Protocol):
    """Runs `work` over `rows` in batches; yields `(slice of rows, result)` in row order."""

    name: str

    def map_batches(self, work: Work, rows: Sequence[Row], batch_size: int, *, desc: str,
                    unit: str = "prompt") -> Iterator[tuple[slice, Any]]: ...


class LocalExecutor:
    """Every batch in this process, one after another, under one progress bar."""

    name = "local"

    def map_batches(self, work: Work, rows: Sequence[Row], batch_size: int, *, desc: str,
                    unit: str = "prompt") -> Iterator[tuple[slice, Any]]:
        """Yield `(slice, work(batch, bar))` per batch of `batch_size` rows, in order."""
        with progress(total=len(rows), desc=desc, unit=unit) as bar:
            for start in range(0, len(rows), batch_size):
                batch = rows[start:start + batch_size]
                done_before = bar.n
                result = work(batch, bar)
                bar.update(len(batch) - (bar.n - done_before))   # whatever work left undone
                yield slice(start, start + len(batch)), result


LOCAL = LocalExecutor()
