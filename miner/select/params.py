"""The selection settings, read once from the `select:` config section."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from miner.errors import ConfigError

FORMATS = ("v0.1", "v2", "fastchat", "mt-bench")
FILLS = ("rounds", "topics")
RELAX = ("auto", "strict")


@dataclass(frozen=True)
class SelectParams:
    """Everything `select_benchmark` needs to know, validated."""

    top: int = 500
    min_score: float = 6.0
    min_topic_mean: float = 3.0
    per_topic: int | None = 2
    fill: str = "rounds"
    include_outliers: bool = False
    max_similarity: float | None = 0.85
    exclude_threshold: float = 0.9
    quotas: dict[str, float] = field(default_factory=dict)
    categories: dict[str, list[str]] = field(default_factory=dict)
    seed: int = 0
    relax: str = "auto"

    def relaxed(self, **changes: Any) -> SelectParams:
        """A copy with some settings changed (relaxing, or explaining a shortfall)."""
        return replace(self, **changes)


def _number(section: Mapping[str, Any], key: str, *, low: float, high: float | None = None,
            allow_none: bool = False) -> Any:
    value = section.get(key)
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"config 'select.{key}' must be a number, got {value!r}")
    if value < low or (high is not None and value > high):
        upper = f" and {high}" if high is not None else ""
        raise ConfigError(f"config 'select.{key}' must be between {low}{upper}, got {value!r}")
    return value


def params_from_config(section: Mapping[str, Any]) -> SelectParams:
    """Validate the `select:` section; each problem is one line naming the key."""
    top = _number(section, "top", low=1)
    per_topic = _number(section, "per_topic", low=0, allow_none=True) or None  # 0: no cap
    quotas = dict(section.get("quotas") or {})
    for name, share in quotas.items():
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
            raise ConfigError(
                f"config 'select.quotas.{name}' must be a share between 0 and 1, got {share!r}"
            )
    if sum(quotas.values()) > 1 + 1e-9:
        raise ConfigError(
            f"config 'select.quotas' shares add up to {sum(quotas.values()):.2f}; at most 1 allowed"
        )
    categories: dict[str, list[str]] = {}
    for name, patterns in (section.get("categories") or {}).items():
        if isinstance(patterns, str):
            patterns = [patterns]
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            raise ConfigError(
                f"config 'select.categories.{name}' must be a list of words, got {patterns!r}"
            )
        categories[str(name)] = [p.lower() for p in patterns]
    fmt = section.get("format")
    if fmt not in FORMATS:
        raise ConfigError(
            f"config 'select.format' must be one of {', '.join(FORMATS)}, got {fmt!r}"
        )
    fill = section.get("fill")
    if fill not in FILLS:
        raise ConfigError(f"config 'select.fill' must be one of {', '.join(FILLS)}, got {fill!r}")
    relax = section.get("relax", "auto")
    if relax not in RELAX:
        raise ConfigError(
            f"config 'select.relax' must be one of {', '.join(RELAX)}, got {relax!r}"
        )
    return SelectParams(
        top=int(top),
        relax=relax,
        fill=fill,
        min_score=float(_number(section, "min_score", low=float("-inf"))),
        min_topic_mean=float(_number(section, "min_topic_mean", low=float("-inf"))),
        per_topic=None if per_topic is None else int(per_topic),
        include_outliers=bool(section.get("include_outliers")),
        max_similarity=_number(section, "max_similarity", low=-1, high=1, allow_none=True),
        exclude_threshold=float(_number(section, "exclude_threshold", low=-1, high=1)),
        quotas={str(k): float(v) for k, v in quotas.items()},
        categories=categories,
        seed=int(_number(section, "seed", low=float("-inf"))),
    )
