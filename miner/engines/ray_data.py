"""The Ray engine: a stage's batches as one Ray Data job, results back in row order.

`RayExecutor.map_batches` puts the rows and the stage's `work` into Ray's object store once,
makes a dataset of shard descriptors (one shard = one batch of the local engine, so both
engines compute the same batches) and maps it through a pool of actors: each actor
deserialises `work` once (an embedding actor loads its model once, on its first shard) and
computes whole shards. Results stream back to the driver in shard order, so a stage caches
each finished shard as it would a local batch, and a killed run loses at most the shards in
flight. A failing shard is retried row by row inside the actor to name the row at fault.

Faults Ray itself sees are bounded: an actor whose process dies (a segfault, the OOM killer)
is restarted and its shard retried at most `max_retries` times, then the job stops with one
line naming the stage and the shard (a small tracker actor records which shards each actor
started, so the shard that kept killing its workers is known). An address that does not
answer is one line after `connect_timeout_s`, not a hang in `ray.init`.

Read-only memory-mapped arrays (embeddings.npy) travel as their path and are opened again
by the worker: the run folder must be on storage every node reads.
"""

from __future__ import annotations

import logging
import mmap
import os
import pickle
import socket
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import ray

from miner.console import info, progress
from miner.errors import MinerError
from miner.executor import Work


class EngineError(MinerError):
    """A shard of a Ray job failed; the message names the job, the shard and the row."""


def connect(address: str | None = None, local_cpus: int | None = None,
            timeout_s: float = 15.0) -> None:
    """Join the Ray cluster at `address` (or $RAY_ADDRESS), else start a local instance;
    a no-op when this process is already connected (a test's or a notebook's instance).
    An address that does not accept a connection within `timeout_s` is an EngineError."""
    if not ray.is_initialized():
        target = address or os.environ.get("RAY_ADDRESS") or None
        if target is not None:
            _probe(target, timeout_s)
        # Ray's C++ core prints ERROR-level notices on success (Ray Data's actor pool: "E ...
        # core_worker.cc: Actor ... has constructor arguments in the object store and
        # max_restarts > 0", ray-project/ray#53727); failures reach the user as EngineError.
        os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
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


def _probe(target: str, timeout_s: float) -> None:
    """Fail fast when `target` (host:port or ray://host:port) does not accept a TCP
    connection: `ray.init` would retry for minutes. "auto" is left to Ray."""
    hostport = target.removeprefix("ray://").rsplit("/", 1)[0]
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as exc:
        reason = "no answer" if isinstance(exc, TimeoutError) else exc.strerror or str(exc)
        raise EngineError(
            f"engine: cannot connect to Ray at {target}: {reason} within {timeout_s:g} s "
            "(is the cluster up? check engine.address / $RAY_ADDRESS)") from None


@ray.remote(num_cpus=0)
class _Tracker:
    """Counts how often each shard was started, so a dead worker's shard can be named."""

    def __init__(self) -> None:
        self.starts: Counter[int] = Counter()

    def started(self, shard: int) -> None:
        self.starts[shard] += 1

    def counts(self) -> dict[int, int]:
        return dict(self.starts)


class RayExecutor:
    """Runs a stage's batches on Ray Data actors; same batches, same results as local."""

    name = "ray"

    def __init__(self, *, address: str | None = None, workers: int | None = None,
                 cpus_per_worker: float = 1.0, gpus_per_worker: float = 0.0,
                 local_cpus: int | None = None, max_retries: int = 2,
                 connect_timeout_s: float = 15.0) -> None:
        self.address, self.workers, self.local_cpus = address, workers, local_cpus
        self.cpus_per_worker, self.gpus_per_worker = cpus_per_worker, gpus_per_worker
        self.max_retries, self.connect_timeout_s = max_retries, connect_timeout_s

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
        connect(self.address, self.local_cpus, self.connect_timeout_s)
        bounds = [(start, min(start + batch_size, len(rows)))
                  for start in range(0, len(rows), batch_size)]
        tracker = _Tracker.remote()
        shared = [ray.put(work), ray.put(rows), tracker]  # in a list: Ray leaves them as refs
        shards = ray.data.from_items(
            [{"shard": i, "start": a, "stop": b} for i, (a, b) in enumerate(bounds)],
            override_num_blocks=len(bounds),
        )
        ray.data.DataContext.get_current().max_consecutive_actor_init_deaths = self.max_retries
        with warnings.catch_warnings():
            # Ray 2.60 has no named parameter for an actor pool's restarts yet; pyproject
            # keeps ray below 2.64, where `ray_remote_args` goes
            warnings.filterwarnings("ignore", message="`ray_remote_args` is deprecated")
            results = shards.map_batches(
                _ShardWorker, fn_constructor_args=(shared, desc), batch_size=1,
                compute=ray.data.ActorPoolStrategy(size=self.pool_size(len(bounds))),
                num_cpus=self.cpus_per_worker, num_gpus=self.gpus_per_worker or None,
                max_restarts=self.max_retries, max_task_retries=self.max_retries,
            )
        done = 0
        try:
            with progress(total=len(rows), desc=f"{desc} (ray)", unit=unit) as bar:
                for batch in results.iter_batches(batch_size=1, batch_format="numpy"):
                    shard, error = int(batch["shard"][0]), str(batch["error"][0])
                    if error:
                        raise EngineError(error)
                    if shard != done:   # preserve_order is set: anything else is a Ray bug
                        raise EngineError(f"{desc}: shard {shard} came back before {done}")
                    start, stop = bounds[shard]
                    bar.update(stop - start)
                    yield slice(start, stop), pickle.loads(batch["result"][0])
                    done += 1
        except ray.exceptions.RayError as exc:
            raise EngineError(self._died(desc, bounds, done, tracker, exc)) from None
        finally:
            ray.kill(tracker)

    def _died(self, desc: str, bounds: list[tuple[int, int]], done: int, tracker: Any,
              exc: Exception) -> str:
        """One line for a job Ray gave up on: the shard whose workers kept dying."""
        try:
            starts = ray.get(tracker.counts.remote(), timeout=10)
        except ray.exceptions.RayError:
            starts = {}
        pending = {shard: n for shard, n in starts.items() if shard >= done}
        if not pending:
            return f"{desc}: the Ray job failed: {_first(exc)}"
        shard = max(sorted(pending), key=pending.__getitem__)
        start, stop = bounds[shard]
        cause = ("a worker died (killed, a crash or out of memory)"
                 if isinstance(exc, ray.exceptions.RayActorError) else _first(exc))
        kept = f"; the {done} shard(s) before it finished and were kept" if done else ""
        return (f"{desc}: shard {shard} (rows {start}-{stop - 1}) failed {pending[shard]} "
                f"time(s): {cause}; gave up after engine.max_retries={self.max_retries}{kept}")


class _ShardWorker:
    """One actor of the pool: holds `work` and the rows, computes whole shards."""

    def __init__(self, shared: list[Any], desc: str) -> None:
        self.work, self.rows = ray.get(shared[0]), ray.get(shared[1])
        self.tracker, self.desc = shared[2], desc

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        shard, start, stop = (int(batch[key][0]) for key in ("shard", "start", "stop"))
        ray.get(self.tracker.started.remote(shard))   # before the work: it may kill us
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
