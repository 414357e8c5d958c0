"""One writer at a time: an advisory lock on a run folder, held while a stage writes.

The lock is `fcntl.flock` on `<run>/.lock`, so the kernel releases it when its process dies:
a lock left by a killed process is simply taken over by the next command. The file also
records who holds it (pid, command, start time) for the one-line message a second writer
gets. Locks are re-entrant within a process (`miner run` holds it across its stages).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from miner.errors import MinerError

LOCK_FILE = ".lock"


class RunBusyError(MinerError):
    """Another process is writing to the same run folder."""


_held: dict[Path, list[int]] = {}   # folder -> [file descriptor, depth]


def _holder(fd: int) -> str:
    """Who holds the lock, from the lock file, for the error message."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = json.loads(os.read(fd, 4096).decode("utf-8", "replace") or "{}")
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict) or "pid" not in data:
        return "another process"
    since = time.strftime("%H:%M:%S", time.localtime(float(data.get("started", 0))))
    command = str(data.get("command", "miner"))[:120]
    return f"process {data['pid']} (`{command}`, since {since})"


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold the run folder's lock for the block; fail at once if another process holds it."""
    folder = Path(folder).resolve()
    if folder in _held:
        _held[folder][1] += 1
        try:
            yield
        finally:
            _held[folder][1] -= 1
        return
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd)
        os.close(fd)
        raise RunBusyError(
            f"{folder} is in use by {holder}: wait for it to finish, or stop it"
        ) from None
    record = {"pid": os.getpid(), "command": " ".join(["miner", *sys.argv[1:]]),
              "started": time.time()}
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(record).encode(), 0)
    _held[folder] = [fd, 1]
    try:
        yield
    finally:
        del _held[folder]
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
