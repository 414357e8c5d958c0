"""Stop paying for a judge that does not answer the rubric.

A judge's early answers decide whether the rest is worth sending: when `SHARE` (90%) or
more of the first `FIRST` (100) answers that came back are unusable (`no_match`,
`multiple_match`, `too_large`, or a status a plugin made up), judging stops with one line
saying so and showing what came back. Transport errors and answers missing from a batch are
not answers: they are retried on the next run and reported by the score stage itself. The
first judged answers decide alone (`UsableGuard.add` sees them in judging order), so a
rerun from the cache decides the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from miner.errors import MinerError
from miner.judge.base import MISSING, Item, Judge, PassStats, Verdict
from miner.judge.parse import OK
from miner.judge.rubric import Rubric
from miner.llm import LLMCache

FIRST = 100     # answers the decision reads
SHARE = 0.9     # unusable share of them that stops the judge
MIN_ANSWERS = 20   # fewer answers (a tiny run) are too few to judge the judge by
NOT_ANSWERS = ("error", MISSING)
SAMPLE_CHARS = 160


class UnusableJudgeError(MinerError):
    """The judge's early answers were nearly all unusable."""


class UsableGuard:
    """Watches a judge's first answers; `add` raises `UnusableJudgeError` when they fail."""

    def __init__(self, judge: Judge, rubric: Rubric, cache: LLMCache, max_chars: int) -> None:
        self.judge, self.rubric, self.cache, self.max_chars = judge, rubric, cache, max_chars
        self.seen: list[tuple[Item, Verdict]] = []
        self.decided = False

    def add(self, items: Iterable[Item], verdicts: dict[str, Verdict], final: bool = False
            ) -> None:
        """Read the answers of `items` (in judging order); `final`: no more will come."""
        if self.decided:
            return
        for item in items:
            verdict = verdicts.get(item.hash)
            if verdict is not None and verdict.status not in NOT_ANSWERS \
                    and len(self.seen) < FIRST:
                self.seen.append((item, verdict))
        if len(self.seen) < FIRST and not final:
            return
        self.decided = True
        bad = [(i, v) for i, v in self.seen if v.status != OK]
        if len(self.seen) >= MIN_ANSWERS and len(bad) >= SHARE * len(self.seen):
            raise UnusableJudgeError(self.message(bad))

    def message(self, bad: list[tuple[Item, Verdict]]) -> str:
        """One line: how many, which statuses, and a sample of what came back."""
        counts = Counter(v.status for _, v in bad)
        shown = ", ".join(f"{status} {n}" for status, n in counts.most_common())
        return (f"score: judge {self.judge.name} gave no usable answer to {len(bad)} of its "
                f"first {len(self.seen)} ({shown}); stopped before sending the rest. It "
                f"answered: {self.sample(*bad[0])}. Check the judge's model, rubric "
                f"({self.rubric.label}) and max_tokens")

    def sample(self, item: Item, verdict: Verdict) -> str:
        """What the judge sent back for `item`, bounded to one line."""
        text = verdict.error or ""
        if not text:
            key, _ = self.judge.answer_key(self.rubric, item, self.max_chars)
            hit = self.cache.get_many([key]).get(key)
            text = (hit.content if hit is not None else None) or f"(status {verdict.status})"
        flat = " ".join(str(text).split())
        return repr(flat[:SAMPLE_CHARS] + ("..." if len(flat) > SAMPLE_CHARS else ""))


def guarded_judge_items(judge: Judge, rubric: Rubric, items: list[Item], cache: LLMCache, *,
                        max_chars: int) -> tuple[dict[str, Verdict], PassStats]:
    """`judge_items` over the first `FIRST` items, the guard's decision, then the rest (an
    offline judge costs nothing: it judges all at once, then the guard decides)."""
    from miner.judge.base import judge_items
    from miner.judge.cascade_run import merge_stats

    guard = UsableGuard(judge, rubric, cache, max_chars)
    head = items if judge.offline else items[:FIRST]
    verdicts, stats = judge_items(judge, rubric, head, cache, max_chars=max_chars)
    guard.add(head, verdicts, final=True)
    if len(items) > len(head):
        rest, more = judge_items(judge, rubric, items[FIRST:], cache, max_chars=max_chars)
        verdicts.update(rest)
        merge_stats(stats, more)
    return verdicts, stats
