"""Which judge scores: one registry of judge kinds, and one way to resolve a judge name.

Kinds: `ranker` and `heuristic` (offline), `openai` (any OpenAI-compatible chat endpoint), `batch`
(answers imported from a Batch API file), and any a package registers through the
`miner.judges` entry point group: the entry point's name is the kind, its object a `Judge`
subclass with a `from_config(name, config, note="")` class method. For example, in a
plugin's pyproject.toml::

    [project.entry-points."miner.judges"]
    echo = "miner_echo:EchoJudge"

A judge name resolves the same way for `score`, `estimate`, `judges` and the topic namer:

- `auto` (the default) is the offline `ranker` judge unless an endpoint is in the
  environment (`OPENAI_BASE_URL` or `OPENAI_API_KEY`), then `score.auto_model` there;
- a name under `judges:` is that entry, of its `kind` (default `openai`);
- the name of a registered kind is that kind with no settings (`ranker`, `heuristic`, a
  plugin's);
- any other name is that model at `$OPENAI_BASE_URL`, keyed by `$OPENAI_API_KEY`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import metadata
from typing import Any

from miner.errors import ConfigError
from miner.judge.base import Judge
from miner.llm import endpoint_in_environment

AUTO = "auto"
ENTRY_POINT_GROUP = "miner.judges"
DEFAULT_KIND = "openai"
OFFLINE_JUDGE = "ranker"
OFFLINE_NOTE = ("offline ranker judge: no judge configured and no endpoint in the "
                "environment (set OPENAI_BASE_URL / OPENAI_API_KEY or pass --judge NAME)")

_KINDS: dict[str, type[Judge]] = {}
_plugins_loaded = False


def register_judge(kind: str) -> Callable[[type[Judge]], type[Judge]]:
    """Class decorator: make a `Judge` subclass available as judge kind `kind`."""
    def add(cls: type[Judge]) -> type[Judge]:
        _KINDS[kind] = cls
        return cls
    return add


def judge_kinds() -> dict[str, type[Judge]]:
    """Every judge kind: the built-in ones and those of installed plugins."""
    global _plugins_loaded
    import miner.judge.backends  # noqa: F401  (registers the built-in kinds)

    if not _plugins_loaded:
        _plugins_loaded = True
        for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
            try:
                cls = entry.load()
            except Exception as exc:  # noqa: BLE001 - a broken plugin is one line, not a crash
                raise ConfigError(f"judge plugin '{entry.name}' ({entry.value}) failed to "
                                  f"load: {type(exc).__name__}: {exc}") from None
            if not (isinstance(cls, type) and issubclass(cls, Judge)):
                raise ConfigError(f"judge plugin '{entry.name}' ({entry.value}) is not a "
                                  "miner.judge.Judge subclass")
            _KINDS.setdefault(entry.name, cls)
    return dict(_KINDS)


def resolve_judge(config: Mapping[str, Any], name: str | None = None) -> Judge:
    """Resolve judge `name` (default: `score.judge`, then `auto`)."""
    score = config.get("score") or {}
    name = name or score.get("judge") or AUTO
    kinds = judge_kinds()
    note = ""
    if name == AUTO:
        if not endpoint_in_environment():
            return kinds[OFFLINE_JUDGE].from_config(OFFLINE_JUDGE, config, OFFLINE_NOTE)
        name = score.get("auto_model") or "gpt-4o-mini"
        note = "auto: endpoint found in the environment"
    entry = (config.get("judges") or {}).get(name)
    if isinstance(entry, Mapping) and "kind" in entry:
        kind = entry["kind"]
    elif entry is None and name in kinds:
        kind = name
    else:
        kind = DEFAULT_KIND
    if kind not in kinds:
        raise ConfigError(f"judges.{name}.kind: unknown judge kind {kind!r} (known: "
                          f"{', '.join(sorted(kinds))})")
    return kinds[kind].from_config(name, config, note)
