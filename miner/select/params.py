"""The selection settings, read once from the `select:` config section."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from miner import schema

FORMATS = schema.choices("select.format")


@dataclass(frozen=True)
class SelectParams:
    """Everything `select_benchmark` needs to know, validated."""

    top: int = 500
    min_score: float = 6.0
    min_topic_mean: float = 3.0
    min_topic_mean_floor: float = 2.5
    per_topic: int | None = 2
    max_topic_share: float = 0.1
    fill: str = "rounds"
    include_outliers: bool = False
    max_similarity: float | None = 0.85
    exclude_threshold: float = 0.9
    quotas: dict[str, float] = field(default_factory=dict)
    categories: dict[str, list[str]] = field(default_factory=dict)
    seed: int = 0
    relax: str = "auto"
    allow_predicted: bool = False
    # set by relaxing when it lowers min_score: prompts at this score or more are all taken
    # (within the caps) before any lower one pads the rest
    prefer_score: float | None = None

    def relaxed(self, **changes: Any) -> SelectParams:
        """A copy with some settings changed (relaxing, or explaining a shortfall)."""
        return replace(self, **changes)

    @property
    def topic_limit(self) -> int:
        """The most prompts relaxing lets one topic give: `max_topic_share` of `top` (at
        least 1), or the asked `per_topic` when that is higher (the user's own choice)."""
        share = max(1, int(self.max_topic_share * self.top + 1e-9))
        return max(share, self.per_topic or 0)


def params_from_config(section: Mapping[str, Any]) -> SelectParams:
    """The `select:` section as typed settings, checked against the schema (a section built
    by hand gets the same one-line errors as a config file)."""
    section = schema.check_tree(("select",), section)
    schema.check_quota_total(section.get("quotas") or {})
    categories = {
        str(name): [p.lower() for p in ([words] if isinstance(words, str) else words)]
        for name, words in (section.get("categories") or {}).items()
    }
    return SelectParams(
        top=section["top"],
        relax=section.get("relax", "auto"),
        allow_predicted=bool(section.get("allow_predicted", False)),
        fill=section["fill"],
        min_score=float(section["min_score"]),
        min_topic_mean=float(section["min_topic_mean"]),
        min_topic_mean_floor=float(section["min_topic_mean_floor"]),
        per_topic=section["per_topic"] or None,  # 0: no cap
        max_topic_share=float(section["max_topic_share"]),
        include_outliers=section["include_outliers"],
        max_similarity=section["max_similarity"],
        exclude_threshold=float(section["exclude_threshold"]),
        quotas={str(k): float(v) for k, v in (section.get("quotas") or {}).items()},
        categories=categories,
        seed=section["seed"],
    )
