"""`miner judges list`: the judges a config names, how each resolves, and what it costs."""

from __future__ import annotations

from typing import Any

from miner.config import Config
from miner.judge.registry import AUTO, JudgePluginError, judge_kinds, resolve_judge
from miner.judge.score import price_of


def list_judges(config: Config) -> list[dict[str, Any]]:
    """One entry per judge: `auto` (what it resolves to now), every registered judge kind
    that needs no settings, each `judges:` entry and the configured `score.judge` /
    `score.then`. Keys are reported as set or not, never shown. A judge whose plugin
    cannot be loaded or built is listed with `broken` saying why (null for the others)."""
    score = config.get("score") or {}
    standalone = [kind for kind in judge_kinds() if kind not in ("openai", "batch")]
    names = [AUTO, *standalone, *sorted(config.get("judges") or {})]
    for extra in (score.get("judge"), score.get("then")):
        if extra and extra not in names:
            names.append(extra)
    rows = []
    for name in names:
        try:
            judge = resolve_judge(config, name)
        except JudgePluginError as exc:
            rows.append({"name": name, "broken": str(exc),
                         "default": name == (score.get("judge") or AUTO)})
            continue
        spec = judge.chat
        rows.append({
            "name": name,
            "broken": None,
            "resolves_to": judge.name,
            "kind": judge.kind,
            "model": judge.model,
            "offline": judge.offline,
            "base_urls": [] if spec is None else spec.public()["base_urls"],
            "api_key_env": None if spec is None else spec.api_key_env,
            "api_key_set": None if spec is None else spec.api_key() is not None,
            "concurrency": None if spec is None else spec.concurrency,
            "rpm": None if spec is None else spec.rpm,
            "tpm": None if spec is None else spec.tpm,
            "price": None if judge.offline else price_of(config, judge.model),
            "default": name == (score.get("judge") or AUTO),
        })
    return rows
