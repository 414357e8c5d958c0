"""`miner judges list`: the judges a config names, how each resolves, and what it costs."""

from __future__ import annotations

from typing import Any

from miner.config import Config
from miner.judge import heuristic
from miner.judge.resolve import AUTO, resolve_judge
from miner.judge.score import price_of


def list_judges(config: Config) -> list[dict[str, Any]]:
    """One entry per judge: `auto` (what it resolves to now), `heuristic`, each `judges:`
    entry and the configured `score.judge` / `score.then`. Keys are reported as set or
    not, never shown."""
    score = config.get("score") or {}
    names = [AUTO, heuristic.NAME, *sorted(config.get("judges") or {})]
    for extra in (score.get("judge"), score.get("then")):
        if extra and extra not in names:
            names.append(extra)
    rows = []
    for name in names:
        judge = resolve_judge(config, name)
        row: dict[str, Any] = {
            "name": name,
            "resolves_to": judge.name,
            "model": judge.model,
            "offline": judge.offline,
            "base_urls": [] if judge.spec is None else list(judge.spec.base_urls),
            "api_key_env": None if judge.spec is None else judge.spec.api_key_env,
            "api_key_set": None if judge.spec is None else judge.spec.api_key() is not None,
            "concurrency": None if judge.spec is None else judge.spec.concurrency,
            "rpm": None if judge.spec is None else judge.spec.rpm,
            "tpm": None if judge.spec is None else judge.spec.tpm,
            "price": None if judge.spec is None else price_of(config, judge.model),
            "default": name == (score.get("judge") or AUTO),
        }
        rows.append(row)
    return rows
