"""The hygiene screen: readable rules that say why a prompt does not belong in a benchmark.

Two groups of rules, each naming the rule that fired (`group:rule`):

- `harm:<kind>`: a request for harm. A phrase of the kind's word list occurs (`violence`,
  `doxxing`, `weapons`, `self_harm`, `jailbreak`, `crime`, `hate`), or one sentence holds both
  a sexual word and a word for a child (`minors`).
- `no_task:<kind>`: nothing to answer. `greeting`: the prompt is greeting words only;
  `continue`: only "continue" or the like; `url`: only links; `persona`: a persona or a set
  of rules for the assistant (a `persona` opener in its first 300 characters) with nothing
  to work on ("my first request is", "here is", quoted or pasted text) that ends waiting for
  the real request (a `waiting` phrase in its last 300 characters), announces the input it
  will give later ("I will provide ...", "you will be asked ...") or, outside the
  sentences describing the role ("you will ...", "I will ..."), holds no question and no
  `request` word.

The word lists are data, one YAML file per language under `miner/hygiene/words/`
(`en`, `de`, `es`, `fr`, `ru`, `zh`); every prompt is read against all of them (an English
jailbreak wrapper appears in prompts of any language, and each list's phrases are its own
language's words). `screen(text)` is a pure function of the text.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from miner.config import read_yaml
from miner.errors import ConfigError

WORDS_DIR = Path(__file__).resolve().parent / "words"
HARM_KINDS = ("violence", "doxxing", "weapons", "self_harm", "minors", "jailbreak", "crime",
              "hate")
NO_TASK_KINDS = ("greeting", "continue", "url", "persona")
_LIST_KEYS = {"harm": (*[k for k in HARM_KINDS if k != "minors"], "minors_sexual",
                       "minors_young"),
              "no_task": ("greeting", "continue", "persona", "request", "waiting")}
MAX_CHARS = 1_000         # the part of a prompt the harm and persona rules read
_EDGE = 300               # persona openers are looked for this far in, waiting phrases this
                          # far from the end
# a set-up announcing the input it will give later (and giving none now) has no task yet
_LATER = re.compile(
    r"(?<!\w)((i will|i'll|i am going to|i'm going to|i shall) (then )?(provide|give|send|type|"
    r"describe|share|paste|write|tell|ask|feed|supply|input)|you will be (asked|given|provided|"
    r"sent|shown)|when i (give|send|provide|type|ask|paste|write|share))(?!\w)")
# sentences that describe the role or announce later input, not a request made now
_DESCRIBES = re.compile(
    r"(?<!\w)(you will|you'll|you would|you should|you must|you can|you may|you are to|you need to"
    r"|your (task|job|role|goal|aim|purpose|output|answers?|responses?) (is|are|will|should)"
    r"|i will|i'll|i am going to|i'm going to|when i)"
    r"[^.!?\n]*")
_URL = re.compile(r"(https?://|www\.)\S+", re.IGNORECASE)
_PUNCTUATION = re.compile(r"[\W_]+", re.UNICODE)
_SENTENCE = re.compile(r"(?<=[.!?。！？\n])\s*")
_PAYLOAD = re.compile(
    r"\bmy first (\w+ )?(request|command|question|sentence|prompt|task|message|topic|word|"
    r"input|suggestion|query)\b|\bhere (is|are)\b|\bhere's\b|\bthe following\b|:\s*\n"
    r"|\"[^\"]{40,}\"|“[^”]{40,}”|```", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    """Why the screen drops a prompt: the rule (`harm:violence`) and the words that matched."""

    rule: str
    match: str

    @property
    def group(self) -> str:
        """`harm` or `no_task`."""
        return self.rule.split(":", 1)[0]


@dataclass(frozen=True)
class _Rules:
    """The compiled word lists of every language."""

    harm: dict[str, re.Pattern[str]]   # by list name (minors: minors_sexual, minors_young)
    # per harm list, literal strings one of which every match contains (None: no such set):
    # a prompt holding none of them is not searched with the list's pattern
    gates: dict[str, tuple[str, ...] | None]
    # per harm list, each entry on its own with its own gate: only entries whose literals
    # occur are searched
    entries: dict[str, list[tuple[re.Pattern[str], tuple[str, ...] | None]]]
    greeting: re.Pattern[str]
    continue_: re.Pattern[str]
    persona: re.Pattern[str]
    request: re.Pattern[str]
    waiting: re.Pattern[str]
    languages: tuple[str, ...]


def _alternation(entries: list[str]) -> str:
    return "|".join(f"(?:{entry})" for entry in entries)


def _compile(entries: list[str]) -> re.Pattern[str]:
    """One pattern for a list, matched against lower-cased text (IGNORECASE is twice as
    slow)."""
    return re.compile(_alternation(entries))


def _read_lists(path: Path) -> dict[str, list[str]]:
    """A language's lists by name, each entry wrapped in word boundaries unless the file
    says `word_boundaries: false` (languages written without spaces)."""
    data = read_yaml(path)
    bounded = data.get("word_boundaries", True)
    lists: dict[str, list[str]] = {}
    for group, keys in _LIST_KEYS.items():
        section = data.get(group) or {}
        unknown = sorted(set(section) - set(keys))
        if unknown:
            raise ConfigError(f"{path}: unknown list '{group}.{unknown[0]}' "
                              f"(known: {', '.join(keys)})")
        for key, entries in section.items():
            if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
                raise ConfigError(f"{path}: '{group}.{key}' must be a list of patterns")
            for entry in entries:
                try:
                    re.compile(entry)
                except re.error as exc:
                    raise ConfigError(f"{path}: '{group}.{key}': bad pattern {entry!r} "
                                      f"({exc})") from None
            lists[key] = [rf"(?<!\w)(?:{e})(?!\w)" if bounded else e for e in entries]
    return lists


@functools.lru_cache(maxsize=1)
def load_rules() -> _Rules:
    """Every language's word lists, compiled once per process."""
    merged: dict[str, list[str]] = {}
    whole: dict[str, list[str]] = {}     # greeting and continue: unbounded (whole-prompt)
    languages = []
    for path in sorted(WORDS_DIR.glob("*.yaml")):
        languages.append(path.stem)
        data = read_yaml(path)
        for key, entries in _read_lists(path).items():
            merged.setdefault(key, []).extend(entries)
        for key in ("greeting", "continue"):
            whole.setdefault(key, []).extend((data.get("no_task") or {}).get(key) or [])
    harm = {kind: _compile(merged[kind]) for kind in _LIST_KEYS["harm"] if merged.get(kind)}
    gates = {kind: _gate(merged[kind]) for kind in harm}
    entries = {kind: [(re.compile(entry), _gate([entry])) for entry in merged[kind]]
               for kind in harm}
    return _Rules(
        harm=harm,
        gates=gates,
        entries=entries,
        greeting=re.compile(rf"^(?:(?:{_alternation(whole['greeting'])})(?:\s+|$))+$"),
        continue_=re.compile(rf"^(?:{_alternation(whole['continue'])})$"),
        persona=_compile(merged["persona"]),
        request=_compile(merged["request"]),
        waiting=_compile(merged["waiting"]),
        languages=tuple(languages),
    )


def _gate(entries: list[str]) -> tuple[str, ...] | None:
    """Literal strings one of which every match of `entries` contains, or None."""
    import re._parser as parser

    found: set[str] = set()
    for entry in entries:
        anchors = _sequence_anchors(list(parser.parse(entry)))
        if not anchors:
            return None
        found |= anchors
    return tuple(sorted(found))


# words too common to be worth gating on: a rarer literal of the same pattern is preferred
_COMMON = frozenset((
    "how", "way", "ways", "best", "get", "make", "into", "without", "rules", "mode", "people",
    "life", "names", "info", "number", "numbers", "tips", "advice", "buy", "sell", "grow",
    "cook", "create", "build", "print", "faire", "hacer", "comment", "como", "cómo", "meine",
    "easiest", "quickest", "hit", "find", "home", "house", "personal", "can", "mean", "for",
    "about", "son", "end", "die", "help me", "give me", "you are", "things to say", "to call",
))


def _long_enough(run: str) -> bool:
    return len(run.strip()) >= (3 if run.isascii() else 2)


def _sequence_anchors(sequence: list) -> set[str] | None:
    """Literal strings one of which every match of a parsed sequence contains: of its literal
    runs (3+ characters) and groups whose every branch has such strings, the one whose
    shortest string is longest (the rarest, roughly)."""
    import re._constants as sre

    candidates: list[set[str]] = []
    run = ""
    for op, value in [*sequence, (None, None)]:
        if op is sre.LITERAL:
            run += chr(value)
            continue
        if _long_enough(run):
            candidates.append({run.strip()})
        run = ""
        if op is sre.SUBPATTERN:
            found = _sequence_anchors(list(value[3]))
        elif op is sre.BRANCH:
            found = set()
            for branch in value[1]:
                anchors = _sequence_anchors(list(branch))
                if not anchors:
                    found = None
                    break
                found |= anchors
        else:
            found = None
        if found:
            candidates.append(found)
    if not candidates:
        return None
    return max(candidates, key=lambda found: (not found & _COMMON, min(map(len, found)),
                                              sum(map(len, found)) / len(found)))


@functools.lru_cache(maxsize=1)
def rules_digest() -> str:
    """A digest of the rules and word lists: part of ingest's stage config and of the
    offline judge's answer keys, so a changed list reruns what it screened."""
    import hashlib

    digest = hashlib.sha256(Path(__file__).read_bytes())
    for path in sorted(WORDS_DIR.glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _words_only(text: str) -> str:
    """Lower-cased words separated by single spaces, punctuation and emoji removed."""
    return " ".join(_PUNCTUATION.sub(" ", text.replace("'", "").replace("’", "")).split()).lower()


def _harm(flat: str, rules: _Rules) -> Finding | None:
    for kind in HARM_KINDS:
        if kind == "minors":
            found = _minors(flat, rules)
        elif kind not in rules.harm or not _may_match(flat, rules.gates[kind]):
            found = None
        else:
            found = None
            for pattern, gate in rules.entries[kind]:
                hit = pattern.search(flat) if _may_match(flat, gate) else None
                if hit is not None:
                    found = Finding(f"harm:{kind}", hit.group(0))
                    break
        if found is not None:
            return found
    return None


def _may_match(flat: str, gate: tuple[str, ...] | None) -> bool:
    return gate is None or any(anchor in flat for anchor in gate)


def _minors(flat: str, rules: _Rules) -> Finding | None:
    if (not _may_match(flat, rules.gates["minors_sexual"])
            or not rules.harm["minors_sexual"].search(flat)):
        return None
    for sentence in _SENTENCE.split(flat):
        sexual = rules.harm["minors_sexual"].search(sentence)
        young = sexual and rules.harm["minors_young"].search(sentence)
        if sexual and young:
            return Finding("harm:minors", f"{sexual.group(0)} ... {young.group(0)}")
    return None


def _no_task(text: str, flat: str, rules: _Rules) -> Finding | None:
    words = "" if len(text) > 600 else _words_only(text)  # greetings, "continue", links: short
    if words and len(words) <= 120 and rules.greeting.match(words):
        return Finding("no_task:greeting", words[:80])
    if words and len(words) <= 80 and rules.continue_.match(words):
        return Finding("no_task:continue", words)
    if words and _URL.search(text) and not _PUNCTUATION.sub("", _URL.sub("", text)):
        return Finding("no_task:url", text[:80])
    opener = rules.persona.search(flat[:_EDGE])
    if opener is None:
        return None
    tail = " ".join(text[-_EDGE:].split()).lower()
    waiting = rules.waiting.search(tail)
    if waiting is not None and not _PAYLOAD.search(text):
        return Finding("no_task:persona", f"{opener.group(0)} ... {waiting.group(0)}")
    if _PAYLOAD.search(text):
        return None
    later = _LATER.search(flat)
    if later is not None:
        return Finding("no_task:persona", f"{opener.group(0)} ... {later.group(0)}")
    rest = _DESCRIBES.sub(" ", flat[:opener.start()] + " " + flat[opener.end():])
    if "?" in rest or "？" in rest or rules.request.search(rest):
        return None
    return Finding("no_task:persona", f"{opener.group(0)} (no question or request)")


def screen(text: str) -> Finding | None:
    """The first rule `text` breaks (harm rules first), or None for a prompt that may stay."""
    rules = load_rules()
    head = text[:MAX_CHARS]
    flat = " ".join(head.split()).lower()
    return _harm(flat, rules) or _no_task(text, flat, rules)
