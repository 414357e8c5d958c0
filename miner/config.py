"""Layered configuration: `configs/default.yaml` < `--config FILE` < CLI flags.

Every key a user may set exists in `default.yaml`; a key that does not is an error naming
its dotted path. A few sections are open maps whose keys the user chooses (judge names,
price tables, quotas); their entries are still checked one level down where a template
exists.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from miner.errors import ConfigError
from miner.resources import resource_dir

Config = dict[str, Any]

# Dotted paths whose children are user-named entries rather than fixed keys.
OPEN_MAPS = frozenset({"judges", "prices", "select.quotas", "select.categories"})


def default_config_path() -> Path:
    """Path of the shipped `default.yaml`."""
    return resource_dir("configs") / "default.yaml"


def read_yaml(path: Path) -> Config:
    """Read a YAML mapping, with one-line errors for unreadable or malformed files."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror or exc})") from None
    try:
        data = yaml.safe_load(text)
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


def _merge(base: Config, layer: Mapping[str, Any], origin: str, prefix: str = "") -> None:
    """Merge `layer` into `base` in place, rejecting keys that `base` does not define."""
    for key, value in layer.items():
        path = f"{prefix}{key}"
        if prefix.rstrip(".") in OPEN_MAPS:
            if isinstance(base.get(key), dict) and isinstance(value, dict):
                base[key] = {**base[key], **value}
            else:
                base[key] = copy.deepcopy(value)
            continue
        if key not in base:
            known = ", ".join(sorted(base)) or "none"
            raise ConfigError(f"{origin}: unknown config key '{path}' (known here: {known})")
        current = base[key]
        if isinstance(current, dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{origin}: '{path}' must be a mapping, got {value!r}")
            _merge(current, value, origin, f"{path}.")
        else:
            base[key] = _check_type(path, current, value, origin)


def _check_type(path: str, default: Any, value: Any, origin: str) -> Any:
    """Accept `value` when it has the default's type (None defaults accept anything)."""
    if default is None or value is None:
        return value
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, (int, float)):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if ok and isinstance(default, int) and isinstance(value, float) and not value.is_integer():
            ok = False
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise ConfigError(
            f"{origin}: '{path}' must be {type(default).__name__}, got {value!r}"
        )
    return value


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
    config = read_yaml(default_config_path())
    if config_file is not None:
        _merge(config, read_yaml(Path(config_file)), str(config_file))
    flags: Config = {}
    for dotted, value in (overrides or {}).items():
        if value is not None:
            set_dotted(flags, dotted, value)
    _merge(config, flags, "command line")
    return config


def fingerprint(value: Any) -> str:
    """Stable short hash of any JSON-serialisable value (config sections, input digests)."""
    blob = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
