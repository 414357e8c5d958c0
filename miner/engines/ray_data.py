"""The Ray engine: a stage's batches as one Ray Data job, results back in row order.

`RayExecutor.map_batches` puts the rows and the stage's `work` into Ray's object store once,
makes a dataset of shard descriptors (one shard = one batch of the local engine, so both
engines compute the same batches) and maps it through a pool of actors: each actor
deserialises `work` once (an embedding actor loads its model once, on its first shard) and
computes whole shards. Results stream back to the driver in shard order, so a stage caches
each finished shard as it would a local batch, and a killed run loses at most the shards in
flight. A failing shard is retried row by row inside the actor to name the row at fault.

Read-only memory-mapped arrays (embeddings.npy) travel as their path and are opened again
by the worker: the run folder must be on storage every node reads.
"""

from __future__ import annotations

import logging
import mmap
import os
import pickle
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import ray

from miner.console import info, progress
from miner.errors import MinerError
from miner.executor import Work


class EngineError(MinerError):
    """A shard of a Ray job failed; the message names the job, the shard and the row."""


def connect(address: str | None = None, local_cpus: int | None = None) -> None:
    """Join the Ray cluster at `address` (or $RAY_ADDRESS), else start a local instance;
    a no-op when this process is already connected (a test's or a notebook's instance)."""
    if not ray.is_initialized():
        target = address or os.environ.get("RAY_ADDRESS") or None
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                   "logging_level": logging.WARNING}
        if target is None:
            options["num_cpus"] = local_cpus
        try:
            ray.init(address=target, **options)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            raise EngineError(
                f"engine: cannot connect to Ray at {target or 'local'}: {first}") from None
        info(f"engine: ray at {target or 'a local instance'}, "
             f"{int(ray.cluster_resources().get('CPU', 0))} CPUs")
    ray.util.register_serializer(np.memmap, serializer=_memmap_state, deserializer=_memmap_open)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    context.print_on_execution_start = False


class RayExecutor:
    """Runs a stage's batches on Ray Data actors; same batches, same results as local."""

    name = "ray"

    def __init__(self, *, address: str | None = None, workers: int | None = None,
                 cpus_per_worker: float = 1.0, gpus_per_worker: float = 0.0,
                 local_cpus: int | None = None) -> None:
        self.address, self.workers, self.local_cpus = address, workers, local_cpus
        self.cpus_per_worker, self.gpus_per_worker = cpus_per_worker, gpus_per_worker

    def pool_size(self, shards: int) -> int:
        """Actors for a job of `shards` shards: `workers`, else as many as the cluster's
        CPUs (or GPUs, for GPU actors) hold; never more than there are shards."""
        if self.workers:
            size = int(self.workers)
        else:
            resources = ray.cluster_resources()
            if self.gpus_per_worker:
                size = int(resources.get("GPU", 0) / self.gpus_per_worker)
            else:
                size = int(resources.get("CPU", 1) / self.cpus_per_worker)
        return max(1, min(size, shards))

    def map_batches(self, work: Work, rows: Sequence[Any], batch_size: int, *, desc: str,
                    unit: str = "prompt") -> Iterator[tuple[slice, Any]]:
        """Yield `(slice, work(batch, None))` per batch of `batch_size` rows, in row order."""
        if len(rows) == 0:
            return
        connect(self.address, self.local_cpus)
        bounds = [(start, min(start + batch_size, len(rows)))
                  for start in range(0, len(rows), batch_size)]
        shared = [ray.put(work), ray.put(rows)]          # in a list: Ray leaves them as refs
        shards = ray.data.from_items(
            [{"shard": i, "start": a, "stop": b} for i, (a, b) in enumerate(bounds)],
            override_num_blocks=len(bounds),
        )
        results = shards.map_batches(
            _ShardWorker, fn_constructor_args=(shared, desc), batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=self.pool_size(len(bounds))),
            num_cpus=self.cpus_per_worker, num_gpus=self.gpus_per_worker or None,
        )
        with progress(total=len(rows), desc=f"{desc} (ray)", unit=unit) as bar:
            batches = results.iter_batches(batch_size=1, batch_format="numpy")
            for expected, batch in enumerate(batches):
                shard, error = int(batch["shard"][0]), str(batch["error"][0])
                if error:
                    raise EngineError(error)
                if shard != expected:   # preserve_order is set: anything else is a Ray bug
                    raise EngineError(f"{desc}: shard {shard} came back before {expected}")
                start, stop = bounds[shard]
                bar.update(stop - start)
                yield slice(start, stop), pickle.loads(batch["result"][0])


class _ShardWorker:
    """One actor of the pool: holds `work` and the rows, computes whole shards."""

    def __init__(self, shared: list[Any], desc: str) -> None:
        self.work, self.rows = ray.get(shared[0]), ray.get(shared[1])
        self.desc = desc

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        shard, start, stop = (int(batch[key][0]) for key in ("shard", "start", "stop"))
        try:
            result, error = pickle.dumps(self.work(self.rows[start:stop], None)), ""
        except Exception as exc:  # any failure: report shard and row, never a Ray traceback
            result, error = b"", self.locate(shard, start, stop, exc)
        return {"shard": np.array([shard]), "result": np.array([result], dtype=object),
                "error": np.array([error])}

    def locate(self, shard: int, start: int, stop: int, exc: Exception) -> str:
        """The error message for a failed shard, naming the first row that fails alone."""
        where = f"{self.desc}: shard {shard} (rows {start}-{stop - 1})"
        for row in range(start, stop):
            try:
                self.work(self.rows[row:row + 1], None)
            except Exception as alone:  # the row at fault
                return f"{where} failed at row {row} ({_about(self.rows[row])}): {_first(alone)}"
        return f"{where} failed: {_first(exc)}"


def _first(exc: Exception) -> str:
    """An exception as one line: its type (unless a MinerError) and its message's first line."""
    text = (str(exc).strip().splitlines() or [""])[0][:300]
    return text if isinstance(exc, MinerError) else f"{type(exc).__name__}: {text}"


def _about(row: Any) -> str:
    """A short description of one row: a prompt row number, or what the row holds."""
    if isinstance(row, (int, np.integer)):
        return f"prompt row {int(row)}"
    digest = getattr(row, "hash", None)
    return f"prompt {digest}" if digest else repr(row)[:80]


def _memmap_state(array: np.memmap) -> tuple[Any, ...]:
    """A read-only memory-mapped file travels as its path; any other memmap as its data."""
    if isinstance(array.base, mmap.mmap) and array.mode == "r" and array.filename:
        return ("file", array.filename, array.dtype.str, array.shape, array.offset,
                "F" if array.flags.f_contiguous and not array.flags.c_contiguous else "C")
    return ("data", np.array(array))


def _memmap_open(state: tuple[Any, ...]) -> np.ndarray:
    """The array `_memmap_state` described, opened again read-only where it is needed."""
    if state[0] == "data":
        return state[1]
    _, path, dtype, shape, offset, order = state
    return np.memmap(path, dtype=np.dtype(dtype), mode="r", shape=tuple(shape), offset=offset,
                     order=order)
