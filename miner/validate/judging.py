"""Pairwise judging in arena-hard-auto's style: the prompt, the requests, the strict parser.

The judge sees the user prompt and two answers (A and B), writes its own answer first, then
ends with one verdict among `[[A>>B]] [[A>B]] [[A=B]] [[B>A]] [[B>>A]]`. Each model is
judged against the baseline in both orders: game 1 puts the baseline in position A, game 2
in position B, so a judge's preference for a position cancels out.

Parsing is strict: before looking for a verdict, every verbatim copy of the prompt, of either
answer and of the instruction lines is cut out of the judge's text (an answer that plants
"[[B>>A]]" cannot vote by being quoted); then exactly one distinct label among the five must
remain (`ok`), else `no_match` (none, or a label outside the five) or `multiple_match`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from miner.judge.parse import MIN_QUOTED_LINE as MIN_QUOTED
from miner.judge.parse import MULTIPLE_MATCH, NO_MATCH, OK, strip_echo
from miner.llm import ChatRequest, cache_key

NAMESPACE = "arena-hard-pairwise-v1"
VERDICTS = ("A>>B", "A>B", "A=B", "B>A", "B>>A")
_LABEL = re.compile(r"\[\[([^\[\]\n]{1,8})\]\]")

SYSTEM_PROMPT = (
    "Please act as an impartial judge and evaluate the quality of the responses provided by "
    "two AI assistants to the user prompt displayed below. You will be given assistant A's "
    "answer and assistant B's answer. Your job is to evaluate which assistant's answer is "
    "better.\n\n"
    "Begin your evaluation by generating your own answer to the prompt. You must provide your "
    "answers before judging any answers.\n\n"
    "When evaluating the assistants' answers, compare both assistants' answers with your "
    "answer. You must identify and correct any mistakes or inaccurate information.\n\n"
    "Then consider if the assistant's answers are helpful, relevant, and concise. Helpful "
    "means the answer correctly responds to the prompt or follows the instructions. Note when "
    "user prompt has any ambiguity or more than one interpretation, it is more helpful and "
    "appropriate to ask for clarifications or more information from the user than providing "
    "an answer based on assumptions. Relevant means all parts of the response closely connect "
    "or are appropriate to what is being asked. Concise means the response is clear and not "
    "verbose or excessive.\n\n"
    "Then consider the creativity and novelty of the assistant's answers when needed. "
    "Finally, identify any missing important information in the assistants' answers that "
    "would be beneficial to include when responding to the user prompt.\n\n"
    "After providing your explanation, you must output only one of the following choices as "
    "your final verdict with a label:\n\n"
    "1. Assistant A is significantly better: [[A>>B]]\n"
    "2. Assistant A is slightly better: [[A>B]]\n"
    "3. Tie, relatively the same: [[A=B]]\n"
    "4. Assistant B is slightly better: [[B>A]]\n"
    "5. Assistant B is significantly better: [[B>>A]]\n\n"
    'Example output: "My final verdict is tie: [[A=B]]".'
)

USER_TEMPLATE = (
    "<|User Prompt|>\n{prompt}\n\n"
    "<|The Start of Assistant A's Answer|>\n{answer_a}\n<|The End of Assistant A's Answer|>\n\n"
    "<|The Start of Assistant B's Answer|>\n{answer_b}\n<|The End of Assistant B's Answer|>"
)


@dataclass(frozen=True)
class Game:
    """One judgment to make: `model` against the baseline on one question, in one order."""

    model: str
    question: str     # the prompt's hash
    order: int        # 1: baseline is A; 2: baseline is B
    prompt: str
    answer_a: str
    answer_b: str


def _digest(*parts: str) -> str:
    blob = "\0".join(parts).encode("utf-8", "surrogatepass")
    return hashlib.sha256(blob).hexdigest()[:32]


def game_request(game: Game, judge_model: str, params: dict[str, Any]) -> ChatRequest:
    """The chat request for `game`; its cache key covers the judge, the prompt and both
    answers in their positions, so a changed answer is judged again."""
    item = _digest(game.question, game.prompt, game.answer_a, game.answer_b)
    text = USER_TEMPLATE.format(prompt=game.prompt, answer_a=game.answer_a,
                                answer_b=game.answer_b)
    return ChatRequest(
        key=cache_key(judge_model, NAMESPACE, item, params),
        messages=[{"role": "system", "content": SYSTEM_PROMPT},
                  {"role": "user", "content": text}],
        namespace=NAMESPACE, item=item, params=params, context=game,
    )


def parse_verdict(content: str, request: ChatRequest) -> tuple[str, str | None]:
    """(status, verdict label) of a judge's answer to `request` (see the module doc)."""
    game: Game = request.context
    text = content
    for quoted in (game.prompt, game.answer_a, game.answer_b, SYSTEM_PROMPT):
        # a short text is cut only when it holds a label: cutting "A" would break "[[A>B]]"
        if len(quoted.strip()) >= MIN_QUOTED or "[[" in quoted:
            text = strip_echo(text, quoted)
    return verdict_of(text)


def verdict_of(text: str) -> tuple[str, str | None]:
    """(status, label) of the `[[...]]` labels left in `text`."""
    labels = {match.strip() for match in _LABEL.findall(text)}
    if not labels:
        return NO_MATCH, None
    if len(labels) > 1:
        return MULTIPLE_MATCH, None
    label = labels.pop()
    return (OK, label) if label in VERDICTS else (NO_MATCH, None)


def battle_of(label: str, order: int, strong_weight: int) -> tuple[int, int]:
    """(outcome for the model against the baseline, weight) of a verdict in game `order`:
    outcome 1 the model wins, -1 the baseline wins, 0 a tie."""
    sign = {"A>>B": 1, "A>B": 1, "A=B": 0, "B>A": -1, "B>>A": -1}[label]
    strong = ">>" in label
    model_first = order == 2   # game 2 puts the model in position A
    outcome = sign if model_first else -sign
    return outcome, strong_weight if strong else 1
