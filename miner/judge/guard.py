"""What a judge hands back is checked before anything uses it.

A judge plugin is someone else's code: its `judge()` may raise (with a key in the message),
or return None, a string, criteria `[99, -1, 'x']` or a NaN rating. `judged` runs a judge's
pass and returns its verdicts checked and normalised (criteria as sorted distinct numbers
of the rubric, a rating as a whole number in its range); anything else is one
`JudgePluginError` line naming the plugin (or the judge), the prompt and the value. Items the
judge gave no verdict for are left out here; the score stage counts them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from miner.brief import brief
from miner.judge.base import Item, Judge, PassStats, Verdict
from miner.judge.parse import OK
from miner.judge.registry import JudgePluginError, plugin_message, plugin_origin

if TYPE_CHECKING:
    from miner.judge.rubric import Rubric
    from miner.llm import LLMCache


def _whole(value: Any) -> int | None:
    """`value` as an int when it is a whole number (not a bool, not NaN), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        return None
    return int(value)


def _value(value: Any, rubric: Rubric) -> Any:
    """The verdict value as stored, or None when it is not one the rubric allows."""
    if rubric.kind == "criteria":
        if not isinstance(value, (list, tuple)):
            return None
        numbers = [_whole(v) for v in value]
        if any(n is None or not 1 <= n <= len(rubric.criteria) for n in numbers):
            return None
        return sorted(set(numbers))   # type: ignore[type-var]
    number = _whole(value)
    return number if number is not None and rubric.low <= number <= rubric.high else None


def _expected(rubric: Rubric) -> str:
    if rubric.kind == "criteria":
        return f"a list of criterion numbers 1..{len(rubric.criteria)}"
    return f"a whole number in {rubric.low}..{rubric.high}"


def _checked(who: str, item: Item, verdict: Any, rubric: Rubric) -> Verdict:
    where = f"{who}: its verdict for prompt {item.hash[:12]}"
    if not isinstance(verdict, Verdict):
        raise JudgePluginError(f"{where} is {brief(verdict)}, not a miner.judge.Verdict")
    if not isinstance(verdict.status, str) or not verdict.status:
        raise JudgePluginError(f"{where} has status {brief(verdict.status)}, not a name")
    if verdict.error is not None and not isinstance(verdict.error, str):
        raise JudgePluginError(f"{where} has error {brief(verdict.error)}, not text")
    tokens = verdict.tokens
    if (not isinstance(tokens, (tuple, list)) or len(tokens) != 2
            or any(_whole(t) is None or t < 0 for t in tokens)):
        raise JudgePluginError(f"{where} has tokens {brief(tokens)}, not two counts >= 0")
    value = verdict.value
    if verdict.status == OK:
        value = _value(verdict.value, rubric)
        if value is None:
            raise JudgePluginError(f"{where} is ok with value {brief(verdict.value)}, not "
                                   f"{_expected(rubric)} ({rubric.label})")
    return dataclasses.replace(verdict, value=value, cached=bool(verdict.cached),
                               tokens=(int(tokens[0]), int(tokens[1])))


def judged(judge: Judge, rubric: Rubric, items: list[Item], cache: LLMCache, *,
           max_chars: int, stats: PassStats) -> dict[str, Verdict]:
    """`judge.judge(...)`, its verdicts checked: by item hash, for the items it answered.

    A plugin's exception becomes one `JudgePluginError` naming it, its message scrubbed of
    secrets; a built-in judge's exception is a bug and propagates.
    """
    origin = plugin_origin(judge)
    who = origin or f"judge '{judge.name}'"
    if origin is None:
        verdicts = judge.judge(rubric, items, cache, max_chars=max_chars, stats=stats)
    else:
        try:
            verdicts = judge.judge(rubric, items, cache, max_chars=max_chars, stats=stats)
        except Exception as exc:  # noqa: BLE001 - a plugin's failure is one line naming it
            raise JudgePluginError(f"{who}: judge() failed on {len(items):,} prompts: "
                                   f"{plugin_message(exc)}") from None
    if not isinstance(verdicts, Mapping):
        raise JudgePluginError(f"{who}: judge() returned {brief(verdicts)}, not a mapping of "
                               "prompt hash to Verdict")
    return {item.hash: _checked(who, item, verdicts[item.hash], rubric)
            for item in items if item.hash in verdicts}
