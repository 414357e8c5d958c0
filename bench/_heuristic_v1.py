"""The offline `heuristic` judge: rubric criteria from transparent text features.

It never reads instructions in the prompt, so it cannot be steered; it is a stand-in that
lets the pipeline run with no endpoint, not a substitute for an LLM judge. Each BenchBuilder
criterion is one readable rule over the prompt text (see `RULES`); a rating rubric maps the
share of the seven rules met onto its range. A criteria rubric whose criteria have no rule
here cannot be scored offline: that is one clear error.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from miner.errors import ConfigError
from miner.judge.rubric import Rubric

NAME = "heuristic"
MODEL = "heuristic-v1"   # bump when a rule changes: it is part of every cache key

_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")
_ASK = re.compile(
    r"\b(write|explain|implement|create|build|design|calculate|compute|solve|prove|derive|"
    r"compare|analy[sz]e|optimi[sz]e|debug|fix|convert|translate|summari[sz]e|generate|list|"
    r"describe|draft|plan|estimate|refactor|how|what|why|which)\b", re.I)
_DOMAIN = re.compile(
    r"\b(algorithm|api|database|sql|python|rust|java(script)?|c\+\+|kubernetes|docker|linux|"
    r"regex|compiler|neural|gradient|tensor|matrix|integral|derivative|theorem|probability|"
    r"statistic\w*|regression|protein|enzyme|molecule|quantum|thermodynamic\w*|circuit|"
    r"voltage|tax|contract|statute|liabilit\w+|diagnos\w+|clinical|dosage|accounting|"
    r"portfolio|derivatives?|encryption|cryptograph\w+|latency|concurrency|async|"
    r"microservice\w*|gdpr|pharmac\w+|genom\w+|finite|eigen\w*|polynomial|recursion)\b", re.I)
_CODE = re.compile(r"```|\bdef |\bclass |\bfunction\b|[{};]\s*$|=>|::|#include", re.M)
_MATH = re.compile(r"\d+\s*[-+*/^=<>]\s*\d+|\b[a-z]\s*=\s*\d|\$[^$]+\$|\\frac|\bsqrt\b", re.I)
_SOLVE = re.compile(
    r"\b((solv|prov|deriv|calculat|comput|debug|fix|optimi[sz]|design|implement|plan)\w*|"
    r"find the|figure out|step[- ]by[- ]step|why does|how (can|do|would|should) i)\b", re.I)
_CREATIVE = re.compile(
    r"\b(story|poem|poetry|song|lyrics|novel|fiction|character|imagine|invent|brainstorm|"
    r"creative|original|slogan|script|haiku|fantasy|metaphor|riddle|pitch)\b", re.I)
_PRECISE = re.compile(r"\b(exact(ly)?|precise(ly)?|correct|accurate|verify|unit test|"
                      r"complexity|o\(n|proof)\b", re.I)
_REAL = re.compile(
    r"\b(my (team|company|boss|client|customer|manager|app|code|project|business|website|"
    r"students?|server)|our (team|company|product|customers?|users?)|business|customer|"
    r"production|deploy\w*|budget|client|startup|workplace|job|employees?|invoice|"
    r"clinic|patients?|landlord|school)\b", re.I)
_CONSTRAINT = re.compile(
    r"\b(must|should|at least|at most|no more than|without|only|exactly|ensure|make sure|"
    r"each|every|also|and then|constraint)\b|^\s*(\d+[.)]|[-*])\s", re.I | re.M)


def _words(text: str) -> int:
    return len(_WORD.findall(text))


RULES: dict[str, Callable[[str], bool]] = {
    # asks for something particular, in enough words to say what
    "specificity": lambda t: _words(t) >= 12 and bool(_ASK.search(t) or "?" in t),
    # two or more field-specific terms, or code
    "domain_knowledge": lambda t: len(set(m.group(0).lower() for m in _DOMAIN.finditer(t))) >= 2
    or bool(_CODE.search(t)),
    # long, or several stated constraints / list items
    "complexity": lambda t: _words(t) >= 80 or len(_CONSTRAINT.findall(t)) >= 3,
    # asks to work something out, or carries arithmetic
    "problem_solving": lambda t: bool(_SOLVE.search(t) or _MATH.search(t)),
    # asks for original writing or ideas
    "creativity": lambda t: bool(_CREATIVE.search(t)),
    # the answer can be checked: code, maths, or an explicit demand for precision
    "technical_accuracy": lambda t: bool(_CODE.search(t) or _MATH.search(t) or _PRECISE.search(t)),
    # a practical situation with a stake in the answer
    "real_world": lambda t: bool(_REAL.search(t)),
}


def check_supported(rubric: Rubric) -> None:
    """Raise `ConfigError` when the heuristic judge has no rule for a criterion of `rubric`."""
    if rubric.kind != "criteria":
        return
    missing = [name for name in rubric.criteria if name not in RULES]
    if missing:
        raise ConfigError(
            f"{rubric.path}: the offline heuristic judge has no rule for criterion "
            f"'{missing[0]}' (it knows {', '.join(RULES)}); score this rubric with an LLM judge"
        )


def judge_text(text: str, rubric: Rubric) -> int | list[int]:
    """The heuristic answer for one prompt: criterion numbers met, or a rating."""
    if rubric.kind == "criteria":
        return [i for i, name in enumerate(rubric.criteria, start=1) if RULES[name](text)]
    met = sum(rule(text) for rule in RULES.values())
    return rubric.low + round((rubric.high - rubric.low) * met / len(RULES))
