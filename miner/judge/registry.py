"""Which judge scores: one registry of judge kinds, and one way to resolve a judge name.

Kinds: `ranker` and `heuristic` (offline), `openai` (any OpenAI-compatible chat endpoint), `batch`
(answers imported from a Batch API file), and any a package registers through the
`miner.judges` entry point group: the entry point's name is the kind, its object a `Judge`
subclass with a `from_config(name, config, note="")` class method. For example, in a
plugin's pyproject.toml::

    [project.entry-points."miner.judges"]
    echo = "miner_echo:EchoJudge"

A plugin is imported only when its kind is named (a plugin that cannot be imported fails
only the commands that use it, `heuristic` and every other judge work), and whatever it
raises or returns that is not a judge or a verdict is one line naming it
(`JudgePluginError`; verdicts are checked by `miner.judge.guard`).

A judge name resolves the same way for `score`, `estimate`, `judges` and the topic namer:

- `auto` (the default) is the offline `ranker` judge unless an endpoint is in the
  environment (`OPENAI_BASE_URL` or `OPENAI_API_KEY`), then `score.auto_model` there;
- a name under `judges:` is that entry, of its `kind` (default `openai`);
- the name of a registered kind is that kind with no settings (`ranker`, `heuristic`, a
  plugin's);
- any other name is that model at `$OPENAI_BASE_URL`, keyed by `$OPENAI_API_KEY`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from importlib import metadata
from typing import Any

from miner.errors import ConfigError
from miner.judge.base import Judge
from miner.llm import endpoint_in_environment
from miner.redact import scrub

AUTO = "auto"
ENTRY_POINT_GROUP = "miner.judges"
DEFAULT_KIND = "openai"
BUILTIN = "built-in"
OFFLINE_JUDGE = "ranker"
OFFLINE_NOTE = ("offline ranker judge: no judge configured and no endpoint in the "
                "environment (set OPENAI_BASE_URL / OPENAI_API_KEY or pass --judge NAME)")
MAX_PLUGIN_MESSAGE = 300

_KINDS: dict[str, type[Judge]] = {}
_PLUGIN_CLASSES: dict[type, str] = {}   # loaded plugin class -> how messages name it


class JudgePluginError(ConfigError):
    """A judge plugin could not be loaded, raised, or returned something unusable."""


def register_judge(kind: str) -> Callable[[type[Judge]], type[Judge]]:
    """Class decorator: make a `Judge` subclass available as judge kind `kind`."""
    def add(cls: type[Judge]) -> type[Judge]:
        _KINDS[kind] = cls
        return cls
    return add


@functools.cache
def _plugin_entry_points() -> dict[str, metadata.EntryPoint]:
    """The installed plugins' entry points by kind, read from package metadata (no plugin is
    imported here); a built-in kind's name cannot be taken by a plugin."""
    import miner.judge.backends  # noqa: F401  (registers the built-in kinds)

    found: dict[str, metadata.EntryPoint] = {}
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if entry.name not in _KINDS:
            found.setdefault(entry.name, entry)
    return found


def judge_kinds() -> dict[str, str]:
    """Every judge kind and where it comes from (`built-in`, or a plugin's `module:Class`),
    without importing any plugin."""
    import miner.judge.backends  # noqa: F401  (registers the built-in kinds)

    kinds = {kind: BUILTIN for kind in _KINDS}
    kinds.update({kind: entry.value for kind, entry in _plugin_entry_points().items()
                  if kind not in kinds})
    return kinds


def plugin_message(exc: BaseException) -> str:
    """What a plugin's exception says, on one bounded line, scrubbed of secrets."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return scrub(text, limit=MAX_PLUGIN_MESSAGE)


def plugin_origin(judge: Judge) -> str | None:
    """How messages name the plugin behind `judge` (`judge plugin '<kind>' (<module:Class>)`),
    or None for a built-in judge."""
    return _PLUGIN_CLASSES.get(type(judge))


def judge_class(kind: str) -> type[Judge]:
    """The class of judge kind `kind`; a plugin's package is imported here, the first time
    its kind is named, so a broken plugin fails only the commands that use it."""
    import miner.judge.backends  # noqa: F401  (registers the built-in kinds)

    if kind in _KINDS:
        return _KINDS[kind]
    entry = _plugin_entry_points().get(kind)
    if entry is None:
        raise ConfigError(f"unknown judge kind {kind!r} (known: "
                          f"{', '.join(sorted(judge_kinds()))})")
    origin = f"judge plugin '{kind}' ({entry.value})"
    try:
        cls = entry.load()
    except Exception as exc:  # noqa: BLE001 - a broken plugin is one line, not a crash
        raise JudgePluginError(f"{origin} failed to load: {plugin_message(exc)}") from None
    if not (isinstance(cls, type) and issubclass(cls, Judge)):
        raise JudgePluginError(f"{origin} is not a miner.judge.Judge subclass")
    _KINDS[kind] = cls
    _PLUGIN_CLASSES[cls] = origin
    return cls


def _build(cls: type[Judge], name: str, config: Mapping[str, Any], note: str) -> Judge:
    """`cls.from_config(...)`; for a plugin, whatever it raises or returns other than a
    judge is one `JudgePluginError` naming it."""
    origin = _PLUGIN_CLASSES.get(cls)
    if origin is None:
        return cls.from_config(name, config, note)
    try:
        judge = cls.from_config(name, config, note)
    except Exception as exc:  # noqa: BLE001 - a plugin's failure is one line naming it
        raise JudgePluginError(f"{origin}: from_config failed for judge '{name}': "
                               f"{plugin_message(exc)}") from None
    if not isinstance(judge, Judge):
        raise JudgePluginError(f"{origin}: from_config returned {type(judge).__name__}, "
                               "not a miner.judge.Judge")
    return judge


def resolve_judge(config: Mapping[str, Any], name: str | None = None) -> Judge:
    """Resolve judge `name` (default: `score.judge`, then `auto`)."""
    score = config.get("score") or {}
    name = name or score.get("judge") or AUTO
    note = ""
    if name == AUTO:
        if not endpoint_in_environment():
            return _build(judge_class(OFFLINE_JUDGE), OFFLINE_JUDGE, config, OFFLINE_NOTE)
        name = score.get("auto_model") or "gpt-4o-mini"
        note = "auto: endpoint found in the environment"
    kinds = judge_kinds()
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
    return _build(judge_class(kind), name, config, note)
