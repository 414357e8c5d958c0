"""Value constraints for config keys: what a key accepts, and how to say so in one line.

In the style of scikit-learn's `_parameter_constraints`: a key is declared with a list of
alternatives, and a value is valid when any one of them accepts it (`None` in the list means
the key may be null). Each constraint can say what it allows ("an integer >= 1"), so every
error about a config value reads the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


class Constraint:
    """What one alternative of a key accepts."""

    def accepts(self, value: Any) -> bool:
        """Whether `value` satisfies this constraint."""
        raise NotImplementedError

    def describe(self) -> str:
        """What is allowed, as a phrase: "an integer >= 1"."""
        raise NotImplementedError

    def plural(self) -> str:
        """What is allowed, for a list's items: "strings"."""
        return f"items that are each {self.describe()}"

    def convert(self, value: Any) -> Any:
        """The value as stored once accepted (an integer key given `5.0` stores 5)."""
        return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class Interval(Constraint):
    """An integer (`kind=int`) or a real number (`kind=float`) within optional bounds.

    `closed` says which bounds are included: "both", "left", "right" or "neither".
    """

    kind: type
    low: float | None = None
    high: float | None = None
    closed: str = "both"

    def accepts(self, value: Any) -> bool:  # noqa: D102
        if not _is_number(value) or not math.isfinite(value):
            return False
        if self.kind is int and not float(value).is_integer():
            return False
        left = self.closed in ("both", "left")
        right = self.closed in ("both", "right")
        if self.low is not None and (value < self.low or (not left and value == self.low)):
            return False
        return self.high is None or not (value > self.high or (not right and value == self.high))

    def convert(self, value: Any) -> Any:  # noqa: D102
        return int(value) if self.kind is int else value

    def describe(self) -> str:  # noqa: D102
        noun = "an integer" if self.kind is int else "a number"
        return f"{noun}{self._bounds()}"

    def plural(self) -> str:  # noqa: D102
        noun = "integers" if self.kind is int else "numbers"
        return f"{noun}{self._bounds()}"

    def _bounds(self) -> str:
        left = self.closed in ("both", "left")
        right = self.closed in ("both", "right")
        if self.low is not None and self.high is not None:
            return f" in {'[' if left else '('}{self.low:g}, {self.high:g}{']' if right else ')'}"
        if self.low is not None:
            return f" {'>=' if left else '>'} {self.low:g}"
        if self.high is not None:
            return f" {'<=' if right else '<'} {self.high:g}"
        return ""


@dataclass(frozen=True)
class Options(Constraint):
    """One of a fixed set of strings."""

    values: tuple[str, ...]

    def __init__(self, *values: str) -> None:
        object.__setattr__(self, "values", values)

    def accepts(self, value: Any) -> bool:  # noqa: D102
        return isinstance(value, str) and value in self.values

    def describe(self) -> str:  # noqa: D102
        return "one of " + ", ".join(self.values)


@dataclass(frozen=True)
class Boolean(Constraint):
    """true or false (never 0/1 or a string)."""

    def accepts(self, value: Any) -> bool:  # noqa: D102
        return isinstance(value, bool)

    def describe(self) -> str:  # noqa: D102
        return "true or false"


@dataclass(frozen=True)
class Text(Constraint):
    """A non-empty string; `what` names what it holds ("a file path")."""

    what: str = "a non-empty string"
    what_plural: str = "non-empty strings"

    def accepts(self, value: Any) -> bool:  # noqa: D102
        return isinstance(value, str) and value.strip() != ""

    def describe(self) -> str:  # noqa: D102
        return self.what

    def plural(self) -> str:  # noqa: D102
        return self.what_plural


PATH = Text("a file path (a non-empty string)", "file paths (non-empty strings)")


@dataclass(frozen=True)
class ListOf(Constraint):
    """A list whose every item satisfies `item`; `nonempty` refuses `[]`."""

    item: Constraint
    nonempty: bool = False

    def accepts(self, value: Any) -> bool:  # noqa: D102
        return (isinstance(value, list) and (bool(value) or not self.nonempty)
                and all(self.item.accepts(v) for v in value))

    def convert(self, value: Any) -> Any:  # noqa: D102
        return [self.item.convert(v) for v in value]

    def describe(self) -> str:  # noqa: D102
        return f"a {'non-empty ' if self.nonempty else ''}list of {self.item.plural()}"


Alternatives = list[Constraint | None]


def accepted(alternatives: Alternatives, value: Any) -> tuple[bool, Any]:
    """(True, the value as stored) when an alternative accepts `value`, else (False, value)."""
    for alternative in alternatives:
        if alternative is None:
            if value is None:
                return True, None
        elif alternative.accepts(value):
            return True, alternative.convert(value)
    return False, value


def describe(alternatives: Alternatives) -> str:
    """All alternatives as one phrase: "an integer >= 1 or null"."""
    words = [("null" if a is None else a.describe()) for a in alternatives]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
