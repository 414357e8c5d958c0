"""Layered configuration: `configs/default.yaml` < `--config FILE` < CLI flags.

Every key a user may set exists in `default.yaml` and is declared in `miner/schema.py` with
what it accepts. Each layer is checked against the schema as it loads (unknown keys, wrong
types, values out of range: one line naming the layer, the dotted key, the value and what
is allowed), then the rules joining two keys are checked on the merged config. A few
sections are open maps whose keys the user chooses (judge names, price tables, quotas);
each of their entries is checked against the declaration of one entry.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import yaml

from miner import schema
from miner.errors import ConfigError
from miner.resources import resource_dir

Config = dict[str, Any]
# A config file, its aliases expanded, holds at most this many values (the shipped default
# holds about 200): a "billion laughs" file of nested aliases is refused before anything
# walks it.
MAX_EXPANDED_VALUES = 100_000


def _check_expansion(root: yaml.Node, limit: int) -> None:
    """Refuse a document whose aliases expand to more than `limit` nodes (each node is
    visited once, a shared one counted once per use), naming the line of the smallest value
    that goes over, and an alias inside its own anchor (a value that contains itself)."""
    sizes: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            if sizes[key] > limit:
                raise yaml.constructor.ConstructorError(
                    None, None, f"its aliases expand to more than {limit:,} values (an alias "
                    "bomb?)", node.start_mark)
            active.discard(key)
            continue
        if key in sizes:
            continue
        if key in active:
            raise yaml.constructor.ConstructorError(
                None, None, "an alias refers to the value that holds it", node.start_mark)
        active.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when built
    """A safe YAML loader that refuses a key repeated in one mapping (YAML keeps the last)
    and a document whose aliases expand past `MAX_EXPANDED_VALUES` values."""

    def construct_document(self, node: yaml.Node) -> Any:  # noqa: D102
        _check_expansion(node, MAX_EXPANDED_VALUES)
        return super().construct_document(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:  # noqa: D102
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *base` keys may be overridden: that is what merging is for
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, Hashable):
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key '{key}'", key_node.start_mark
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def default_config_path() -> Path:
    """Path of the shipped `default.yaml`."""
    return resource_dir("configs") / "default.yaml"


def read_yaml(path: Path) -> Config:
    """Read a YAML mapping, with one-line errors for unreadable, non-UTF-8 or malformed files
    and for a key given twice in one mapping."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}: line {line} is not UTF-8 text (byte "
                          f"0x{raw[exc.start]:02x}); save the file as UTF-8") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}:{where} {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config file must hold a mapping, not {type(data).__name__}")
    return data


def _merge(base: Config, layer: Mapping[str, Any]) -> None:
    """Merge a checked `layer` into `base` in place, mapping by mapping (a judge entry of a
    file keeps the keys the file does not set)."""
    for key, value in layer.items():
        if isinstance(base.get(key), dict) and isinstance(value, dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)


def set_dotted(layer: Config, dotted: str, value: Any) -> None:
    """Set `a.b.c = value` in a nested mapping, creating levels as needed."""
    node = layer
    *parents, leaf = dotted.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value


def load_config(
    config_file: Path | None = None, overrides: Mapping[str, Any] | None = None
) -> Config:
    """Build the effective config: defaults, then `config_file`, then dotted `overrides`.

    Overrides whose value is None are ignored (an unset CLI flag).
    """
    path = default_config_path()
    config = schema.check_tree((), read_yaml(path), str(path))
    if config_file is not None:
        _merge(config, schema.check_tree((), read_yaml(Path(config_file)), str(config_file)))
    flags: Config = {}
    for dotted, value in (overrides or {}).items():
        if value is not None:
            set_dotted(flags, dotted, value)
    _merge(config, schema.check_tree((), flags, "command line"))
    schema.check_rules(config)
    return config


def fingerprint(value: Any) -> str:
    """Stable short hash of any JSON-serialisable value (config sections, input digests)."""
    blob = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
