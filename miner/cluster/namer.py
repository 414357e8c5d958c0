"""LLM-written names, the way LMArena's Arena Explorer makes them: a judge reads a topic's
keywords and its most typical prompts (highest HDBSCAN membership probability) and answers with
a short name; a broad category is named from the names of its topics. Prompt texts in
prompts/topic-name-v2.yaml and prompts/category-name-v1.yaml; answers cached in judge.sqlite."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from miner import boundedjson
from miner.artifacts import JUDGE_CACHE
from miner.cluster.settings import ClusterSettings
from miner.config import Config
from miner.console import info
from miner.errors import ConfigError
from miner.resources import resource_dir
from miner.run import Run, file_digest

PROMPT_FILE = "topic-name-v2.yaml"
CATEGORY_PROMPT_FILE = "category-name-v1.yaml"
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


@dataclass(frozen=True)
class NamingPrompt:
    """The versioned naming prompt: system text, user template, longest accepted name."""

    id: str
    version: int
    system: str
    user: str
    max_name_chars: int
    digest: str

    @property
    def namespace(self) -> str:
        """Cache namespace: answers to another prompt version are never reused."""
        return f"{self.id}-v{self.version}"


def load_prompt(path: Path | None = None) -> NamingPrompt:
    """Read a naming prompt file (default: the topic one), checking its keys."""
    import yaml

    path = path or resource_dir("prompts") / PROMPT_FILE
    data = yaml.safe_load(path.read_text("utf-8"))
    missing = {"id", "version", "system", "user", "max_name_chars"} - set(data or {})
    if missing:
        raise ConfigError(f"{path}: missing keys {', '.join(sorted(missing))}")
    return NamingPrompt(
        id=str(data["id"]), version=int(data["version"]), system=str(data["system"]),
        user=str(data["user"]), max_name_chars=int(data["max_name_chars"]),
        digest=file_digest(path),
    )


def parse_name(content: str, max_chars: int) -> str | None:
    """The name in an answer `{"name": "..."}` (optionally in a ```json fence), or None.

    Strict: anything but a JSON object with a non-empty string `name` of at most `max_chars`
    characters (after removing control characters and collapsing whitespace) is rejected.
    """
    text = content.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    try:
        value = boundedjson.loads(text)
    except ValueError:   # malformed, nested too deep, NaN: no name (the keyword label stays)
        return None
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        return None
    name = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in value["name"])
    name = " ".join(name.split()).strip(" \"'.")
    if not name or len(name) > max_chars or not any(ch.isalnum() for ch in name):
        return None
    return name


def _example_list(texts: list[str], max_chars: int) -> str:
    if not texts:
        return "(none)"
    return "\n".join(
        f"{i}. <<<{' '.join(text.split())[:max_chars]}>>>" for i, text in enumerate(texts, 1)
    )


class LLMNamer:
    """Names topics, then categories, through one configured judge, every answer cached."""

    def __init__(self, spec: Any, cache_path: Path, settings: ClusterSettings,
                 prompt: NamingPrompt, category_prompt: NamingPrompt) -> None:
        self.spec = spec
        self.cache_path = cache_path
        self.settings = settings
        self.prompt = prompt
        self.category_prompt = category_prompt

    @classmethod
    def from_config(cls, run: Run, config: Config, settings: ClusterSettings) -> LLMNamer | None:
        """The namer for `cluster.namer.judge` (null: `score.judge`), resolved exactly as
        `miner score` resolves a judge. None when that is `auto` with no endpoint in the
        environment (the topics keep their keyword labels, and a line says so)."""
        from miner.judge.registry import AUTO, resolve_judge

        name = settings.namer_judge or (config.get("score") or {}).get("judge") or AUTO
        judge = resolve_judge(config, name)
        if judge.chat is None:
            if name == AUTO:
                info("cluster: no LLM endpoint for topic names (judge auto is offline); "
                     "topics keep their keyword labels")
                return None
            raise ConfigError(
                f"config: 'cluster.namer.kind' is llm but judge '{name}' is a {judge.kind} "
                "judge with no chat endpoint: name an LLM judge in 'cluster.namer.judge'"
            )
        return cls(judge.chat, run.file(JUDGE_CACHE), settings, load_prompt(),
                   load_prompt(resource_dir("prompts") / CATEGORY_PROMPT_FILE))

    def fingerprint_parts(self) -> dict[str, Any]:
        """What changes the names: the judge (never its key) and the prompt files."""
        public = self.spec.public()
        return {"judge": {k: public[k] for k in ("model", "temperature", "max_tokens")},
                "prompt": self.prompt.namespace, "prompt_digest": self.prompt.digest,
                "category_prompt": self.category_prompt.namespace,
                "category_prompt_digest": self.category_prompt.digest}

    def messages(self, keywords: list[str], examples: list[str]) -> list[dict]:
        """The chat messages asking for one topic's name."""
        user = self.prompt.user.format(
            keywords=", ".join(keywords) or "(none)",
            examples=_example_list(examples, self.settings.namer_max_chars),
        )
        return [{"role": "system", "content": self.prompt.system},
                {"role": "user", "content": user}]

    def category_messages(self, topics: list[tuple[str, float]]) -> list[dict]:
        """The chat messages asking for a category's name from its (topic name, share) list."""
        listed = "\n".join(f"{i}. <<<{' '.join(name.split())}>>> ({share:.0%})"
                            for i, (name, share) in enumerate(topics, 1))
        user = self.category_prompt.user.format(topics=listed or "(none)")
        return [{"role": "system", "content": self.category_prompt.system},
                {"role": "user", "content": user}]

    def name_topics(self, keywords: dict[int, list[str]],
                    examples: dict[int, list[str]]) -> dict[int, str]:
        """Names for the topics the judge answered well; the others keep their keyword label."""
        topics = sorted(examples)
        asked = {t: self.messages(keywords[t], examples[t]) for t in topics}
        return self._ask(asked, self.prompt, "topics")

    def name_categories(self, members: dict[int, list[tuple[str, float]]]) -> dict[int, str]:
        """Names for categories from their topics' names (largest first, with shares)."""
        asked = {c: self.category_messages(members[c]) for c in sorted(members)}
        return self._ask(asked, self.category_prompt, "categories")

    def _ask(self, asked: dict[int, list[dict]], prompt: NamingPrompt,
             what: str) -> dict[int, str]:
        from miner.llm import ChatRequest, LLMCache, cache_key, complete_many

        params = {"temperature": self.spec.temperature, "max_tokens": self.spec.max_tokens}
        requests = []
        for messages in asked.values():
            item = hashlib.sha256(json.dumps(messages).encode()).hexdigest()
            requests.append(ChatRequest(
                key=cache_key(self.spec.model, prompt.namespace, item, params),
                messages=messages, namespace=prompt.namespace, item=item, params=params,
                response_format={"type": "json_object"},
            ))
        limit = prompt.max_name_chars

        def parse(content: str, request: Any) -> tuple[str, Any]:
            name = parse_name(content, limit)
            return ("ok", name) if name is not None else ("bad_name", None)

        with LLMCache(self.cache_path) as cache:
            results = complete_many(self.spec, requests, cache, parse=parse,
                                    desc=f"naming {what}")
        names = {key: r.parsed for key, r in zip(asked, results, strict=True)
                 if r.status == "ok" and r.parsed}
        failed = len(asked) - len(names)
        if failed:
            info(f"cluster: the judge gave no usable name for {failed} of {len(asked)} {what}; "
                 "they keep their keyword labels")
        return names


def typical_examples(embeddings: np.ndarray, topics: np.ndarray, probabilities: np.ndarray,
                     centroids: np.ndarray, texts: list[str], count: int) -> dict[int, list[str]]:
    """Each topic's `count` most typical fitted prompts: highest HDBSCAN membership probability
    first, ties (HDBSCAN gives many members 1.0) broken by closeness to the topic centroid."""
    examples = {}
    for topic in range(len(centroids)):
        members = np.flatnonzero(topics == topic)
        similarity = embeddings[members] @ centroids[topic]
        order = np.lexsort((members, -similarity, -probabilities[members]))
        examples[topic] = [texts[i] for i in members[order[:count]]]
    return examples
