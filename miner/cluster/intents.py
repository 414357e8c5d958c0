"""What a topic's prompts ask for: the task verb most of them open with ("write", "explain",
"fix"), so an offline label can say "Writing: story, memoir" instead of only nouns.

A prompt's intent is the first task verb among its opening words, after polite or framing
lead-ins ("please", "can you", "I want you to", "help me"); a prompt that opens as a question
("how do I", "what is") has none: asking is what most prompts do, and a "Questions on:"
prefix only pushed the topic's words out of view. A topic's intent is the one at least
`MIN_SHARE` of its prompts share; a topic without one keeps its keyword label. English only:
other languages' topics keep keyword labels (their verbs are not listed here).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

import numpy as np

# Task verb -> the label's opening word. Verbs of one task share a label ("fix", "debug").
TASK_VERBS: dict[str, str] = {
    "write": "Writing", "rewrite": "Rewriting", "paraphrase": "Rewriting",
    "rephrase": "Rewriting", "edit": "Editing", "proofread": "Editing",
    "improve": "Improving", "explain": "Explaining", "describe": "Describing",
    "summarize": "Summarising", "summarise": "Summarising", "translate": "Translating",
    "create": "Creating", "generate": "Generating", "make": "Making", "design": "Designing",
    "build": "Building", "implement": "Implementing", "code": "Coding", "develop": "Developing",
    "fix": "Fixing", "debug": "Fixing", "correct": "Correcting", "optimize": "Optimising",
    "optimise": "Optimising", "refactor": "Refactoring", "convert": "Converting",
    "solve": "Solving", "calculate": "Calculating", "compute": "Calculating",
    "find": "Finding", "count": "Counting", "compare": "Comparing", "list": "Listing",
    "give": "Suggesting", "suggest": "Suggesting", "recommend": "Suggesting",
    "plan": "Planning", "analyze": "Analysing", "analyse": "Analysing",
    "classify": "Classifying", "extract": "Extracting", "tell": "Telling",
    "act": "Role-play", "pretend": "Role-play", "imagine": "Imagining", "roleplay": "Role-play",
    "compose": "Writing", "draft": "Writing", "outline": "Outlining", "review": "Reviewing",
    "prove": "Proving", "answer": "Answering", "guess": "Guessing", "predict": "Predicting",
    "sort": "Sorting", "play": "Playing", "draw": "Drawing", "continue": "Continuing",
}
QUESTION_OPENERS = frozenset({
    "what", "how", "why", "who", "when", "where", "which", "is", "are", "can", "does", "do",
    "should", "would", "could", "will", "was", "were", "whats", "what's",
})
# Lead-ins skipped before the verb: "please", "can you", "i want you to", "help me" ...
LEAD_INS = frozenset({
    "please", "pls", "kindly", "can", "could", "would", "will", "you", "u", "i", "want",
    "need", "like", "to", "help", "me", "us", "let's", "lets", "now", "then",
    "also", "hey", "hi", "hello", "ok", "okay", "so", "and", "just", "quickly", "briefly",
})
MIN_SHARE = 0.3     # a topic's intent: the one this share of its prompts open with
OPENING_WORDS = 8   # the verb is looked for among a prompt's first words (after lead-ins)
_WORD = re.compile(r"[a-z][a-z']*")


def prompt_intent(text: str) -> str | None:
    """The label word of what `text` asks for, or None when no task verb opens it."""
    words = _WORD.findall(text[:300].lower())[:OPENING_WORDS + 6]
    if not words:
        return None
    if words[0] in QUESTION_OPENERS and not _asks_a_task(words):
        return None
    skipped = 0
    for word in words:
        if word in TASK_VERBS:
            return TASK_VERBS[word]
        if word not in LEAD_INS:
            skipped += 1
            if skipped > 1:      # past the opening: a verb later on is not the request
                return None
    return None


def _asks_a_task(words: list[str]) -> bool:
    """'can you write ...', 'could you explain ...': a request phrased as a question."""
    return len(words) > 2 and words[1] in {"you", "u"} and words[2] in TASK_VERBS


def topic_intent(texts: Iterable[str]) -> str | None:
    """The intent at least MIN_SHARE of `texts` share, or None."""
    intents = [prompt_intent(text) for text in texts]
    if not intents:
        return None
    counts = Counter(intent for intent in intents if intent)
    if not counts:
        return None
    intent, count = counts.most_common(1)[0]
    return intent if count / len(intents) >= MIN_SHARE else None


def topic_intents(texts: list[str], topics: np.ndarray, n_topics: int) -> dict[int, str | None]:
    """Each topic's intent, from the texts of its fitted prompts."""
    members: dict[int, list[str]] = {t: [] for t in range(n_topics)}
    for text, topic in zip(texts, topics.tolist(), strict=True):
        if topic >= 0:
            members[topic].append(text)
    return {t: topic_intent(members[t]) for t in range(n_topics)}


def intent_label(intent: str | None, keyword_label: str) -> str:
    """'Writing: story, memoir' (or the keyword label alone, without an intent)."""
    return f"{intent}: {keyword_label}" if intent else keyword_label
