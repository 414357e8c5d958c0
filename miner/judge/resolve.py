"""Which judge scores: a name from config, a bare model name, `heuristic`, or `auto`.

`auto` (the default) is the offline `heuristic` judge unless an endpoint is in the
environment (`OPENAI_BASE_URL` or `OPENAI_API_KEY`), in which case it is `score.auto_model`
at that endpoint. Any other name is looked up under `judges:`; a name with no entry is that
model at `$OPENAI_BASE_URL` (see `miner.llm.resolve_endpoint`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from miner.judge import heuristic
from miner.llm import LLMSpec, endpoint_in_environment, resolve_endpoint

AUTO = "auto"
OFFLINE_NOTE = ("offline heuristic judge: no judge configured and no endpoint in the "
                "environment (set OPENAI_BASE_URL / OPENAI_API_KEY or pass --judge NAME)")


@dataclass(frozen=True)
class Judge:
    """A resolved judge: its name, the model that answers, and how to reach it."""

    name: str
    model: str
    spec: LLMSpec | None
    note: str = ""

    @property
    def offline(self) -> bool:
        """Whether this is the offline heuristic judge."""
        return self.spec is None

    def public(self) -> dict[str, Any]:
        """A description safe to save and print (names the key's variable, never the key)."""
        data: dict[str, Any] = {"name": self.name, "model": self.model, "offline": self.offline}
        if self.spec is not None:
            data.update(self.spec.public())
            data["name"] = self.name
        if self.note:
            data["note"] = self.note
        return data


def resolve_judge(config: Mapping[str, Any], name: str | None = None) -> Judge:
    """Resolve judge `name` (default: `score.judge`, then `auto`)."""
    score = config.get("score") or {}
    name = name or score.get("judge") or AUTO
    note = ""
    if name == AUTO:
        if not endpoint_in_environment():
            return Judge(heuristic.NAME, heuristic.MODEL, None, OFFLINE_NOTE)
        name = score.get("auto_model") or "gpt-4o-mini"
        note = "auto: endpoint found in the environment"
    if name == heuristic.NAME:
        return Judge(heuristic.NAME, heuristic.MODEL, None, "offline heuristic judge (requested)")
    spec = resolve_endpoint(config, name)
    return Judge(name, spec.model, spec, note)
