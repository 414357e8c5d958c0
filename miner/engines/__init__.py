"""Engines: where the row-wise work of a stage runs (`engine.kind` in the config).

`local` runs every batch in this process (`miner.executor.LOCAL`); `ray` runs them as Ray
Data jobs over shards of the rows, on a local Ray instance or an existing cluster
(`miner.engines.ray_data`, the `miner[ray]` extra).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from miner.errors import ConfigError
from miner.executor import LOCAL, Executor

STAGES_WITH_GPUS = frozenset({"embed"})   # only embedding actors ask for engine.gpus_per_worker


def executor_for(config: Mapping[str, Any], stage: str) -> Executor:
    """The executor the `engine` config section names, for the row-wise work of `stage`."""
    section = config.get("engine") or {}
    kind = section.get("kind", "local")
    if kind == "local":
        return LOCAL
    if kind == "ray":
        try:
            from miner.engines.ray_data import RayExecutor
        except ImportError as exc:
            raise ConfigError(
                f"engine.kind is ray but Ray is not installed ({exc}): "
                "pip install 'miner[ray]'"
            ) from None
        gpus = float(section.get("gpus_per_worker") or 0) if stage in STAGES_WITH_GPUS else 0.0
        return RayExecutor(
            address=section.get("address"), workers=section.get("workers"),
            cpus_per_worker=float(section.get("cpus_per_worker") or 1),
            gpus_per_worker=gpus, local_cpus=section.get("local_cpus"),
            max_retries=int(section.get("max_retries", 2)),
            connect_timeout_s=float(section.get("connect_timeout_s", 15)),
        )
    raise ConfigError(f"engine.kind: {kind!r} is not one of local, ray")
