"""The offline `heuristic` judge: rubric criteria from transparent text features.

It never follows instructions in the prompt, so it cannot be steered; it lets the pipeline
run with no endpoint and is no substitute for an LLM judge. Each prompt is read once into
`Features` (word lists and patterns in `miner.judge.lexicon`); each BenchBuilder criterion is
one readable rule over them (`RULES`), written to grade the way an LLM judge grades this
rubric: nearly every real request has a real-world use, technical tasks meet the technical
criteria, small talk and lookups meet few. A rating rubric maps a weighted sum of the rules,
plus signs of a demanding brief, onto its range. A criteria rubric whose criteria have no
rule here is one clear error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from miner.errors import ConfigError
from miner.judge import lexicon as lx
from miner.judge.rubric import Rubric

NAME = "heuristic"
MODEL = "heuristic-v2"   # bump when a rule changes: it is part of every cache key


@dataclass(frozen=True)
class Features:
    """What the rules read from one prompt."""

    words: int
    tech: int            # distinct technical terms (languages, tools, CS concepts)
    domain: int          # distinct terms of other fields (science, law, medicine, finance)
    code: bool           # code or code-like syntax
    math: bool           # arithmetic, notation or maths vocabulary
    task: bool           # asks for something: a request verb or a question
    build: bool          # asks for an artefact to be made (code, plan, design, table ...)
    makes: bool          # has a verb asking for something to be made or done
    solve: bool          # asks to work something out (solve, debug, derive, find ...)
    how: bool            # asks how to do something
    analytic: bool       # asks to reason over a subject (compare, explain why, assess)
    questions: int       # question marks
    constraints: int     # stated conditions, quantities and list items
    creative: bool       # asks for original writing or ideas
    precise: bool        # demands exactness or detail
    chat: bool           # small talk or a greeting, and little else
    lookup: bool         # a short factual question (who/what/when is ...)
    rewrite: bool        # transforms given text (rewrite, translate, summarise) and no more
    harm: bool           # asks for harm, insults or the like

    @property
    def technical(self) -> bool:
        """Code, maths or a technical term: a prompt whose answer lives in a field."""
        return self.code or self.math or self.tech >= 1


def features(text: str) -> Features:
    """Read `text` into `Features` (pure function of the text)."""
    head = text[:lx.HEAD_CHARS]
    lowered = head.lower()
    vocabulary = lx.tokens(lowered)
    words = len(lx.WORD.findall(lowered))
    task = bool(lx.TASK.search(lowered) or "?" in head)
    return Features(
        words=words,
        tech=len(lx.TECH.found(lowered, vocabulary)),
        domain=len(lx.DOMAIN.found(lowered, vocabulary)),
        code=bool(lx.CODE.search(lowered)),
        math=bool(lx.MATH.search(lowered) or lx.MATH_WORDS.found(lowered, vocabulary)),
        task=task,
        build=bool(lx.BUILD.search(lowered)),
        makes=bool(lx.MAKE.search(lowered)),
        solve=bool(lx.SOLVE.search(lowered)),
        how=bool(lx.HOW.search(lowered)),
        analytic=bool(lx.ANALYTIC.search(lowered)),
        questions=head.count("?"),
        constraints=len(lx.CONSTRAINT.findall(lowered)),
        creative=bool(lx.CREATIVE.found(lowered, vocabulary)),
        precise=bool(lx.PRECISE.found(lowered, vocabulary)),
        chat=words < 12 and bool(lx.CHAT.search(lowered)) and not lx.BUILD.search(lowered),
        lookup=words < 14 and bool(lx.LOOKUP.match(lowered.strip())),
        rewrite=bool(lx.REWRITE.search(lowered)),
        harm=bool(lx.HARM.found(lowered, vocabulary)),
    )


def _specificity(f: Features) -> bool:
    if f.chat or (f.lookup and not f.technical):
        return False
    return (f.task or f.technical) and (f.words >= 9 or f.technical or f.constraints >= 1)


def _domain_knowledge(f: Features) -> bool:
    return f.technical or f.domain >= 1


def _complexity(f: Features) -> bool:
    if f.chat or f.lookup or f.words < 6:
        return False
    asks = f.build or f.solve or f.how or f.makes
    return (f.constraints >= 2 or f.questions >= 2 or (f.words >= 60 and f.task)
            or (f.technical and asks and f.words >= 8)
            or (f.domain >= 1 and (f.analytic or asks) and f.words >= 15))


def _problem_solving(f: Features) -> bool:
    if f.chat or f.harm or f.lookup:
        return False
    known = f.technical or f.domain >= 1
    return f.solve or (f.math and f.words >= 8) or (known and (f.build or f.how or f.analytic)) \
        or (f.technical and f.makes) or (f.code and f.task and not f.rewrite)


def _creativity(f: Features) -> bool:
    # original writing, or a technical thing to be designed and built, asked for in a brief
    # (not in a pasted document that happens to contain such words)
    if f.chat:
        return False
    return (f.creative and f.words <= 300) or (f.build and f.tech >= 2 and f.words <= 150)


def _technical_accuracy(f: Features) -> bool:
    if f.chat or f.lookup and not f.technical:
        return False
    return f.code or f.math or (f.tech >= 1 and (f.task or f.words >= 8)) \
        or (f.domain >= 1 and (f.precise or f.solve or f.how or f.build))


def _real_world(f: Features) -> bool:
    return not f.chat and f.words >= 2


RULES: dict[str, Callable[[Features], bool]] = {
    # asks for one particular result, in enough words (or terms) to say what
    "specificity": _specificity,
    # the answer lives in a field: code, maths, a technical or professional term
    "domain_knowledge": _domain_knowledge,
    # several conditions, a long brief, or a technical task that must be built or solved
    "complexity": _complexity,
    # asks to work something out or to build something technical
    "problem_solving": _problem_solving,
    # asks for original writing or ideas
    "creativity": _creativity,
    # the answer can be checked: code, maths, technical terms, a demand for precision
    "technical_accuracy": _technical_accuracy,
    # a practical request with a use for the answer (an LLM judge grants it to nearly all)
    "real_world": _real_world,
}
# a rating rubric weighs the rules (the technical ones say most about difficulty) and adds
# DEPTH for each sign of a demanding brief: reasoning asked for, several questions, a long
# brief, many conditions (human difficulty ratings reward these; docs/performance.md)
WEIGHTS = {"specificity": 1.0, "domain_knowledge": 1.5, "complexity": 2.0,
           "problem_solving": 2.0, "creativity": 0.5, "technical_accuracy": 1.5,
           "real_world": 0.5}
DEPTH = 0.5


def _depth_signs(f: Features) -> int:
    return int(f.analytic) + int(f.questions >= 2) + int(f.words >= 40) + int(f.constraints >= 3)


def check_supported(rubric: Rubric, judge: str = "heuristic") -> None:
    """Raise `ConfigError` when these rules have no rule for a criterion of `rubric` (the
    offline `judge` named in the message: the ranker lists these rules' criteria too)."""
    if rubric.kind != "criteria":
        return
    missing = [name for name in rubric.criteria if name not in RULES]
    if missing:
        raise ConfigError(
            f"{rubric.path}: the offline {judge} judge has no rule for criterion "
            f"'{missing[0]}' (it knows {', '.join(RULES)}); score this rubric with an LLM judge"
        )


def criteria_met(text: str) -> dict[str, bool]:
    """Every rule's verdict on `text`, by criterion name."""
    found = features(text)
    return {name: rule(found) for name, rule in RULES.items()}


def judge_text(text: str, rubric: Rubric) -> int | list[int]:
    """The heuristic answer for one prompt: criterion numbers met, or a rating."""
    found = features(text)
    if rubric.kind == "criteria":
        return [i for i, name in enumerate(rubric.criteria, start=1) if RULES[name](found)]
    weight = sum(WEIGHTS[name] for name, rule in RULES.items() if rule(found))
    share = (weight + DEPTH * _depth_signs(found)) / (sum(WEIGHTS.values()) + DEPTH * 4)
    return rubric.low + round((rubric.high - rubric.low) * share)
