"""One writer at a time: an advisory lock on a run folder, held while a stage writes.

The lock is `fcntl.flock` on `<run>/.lock`, so the kernel releases it when its process dies:
a lock left by a killed process is simply taken over by the next command. The file also
records who holds it (pid, command, start time) for the one-line message a second writer
gets. Locks are re-entrant within a process (`miner run` holds it across its stages).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from miner import boundedjson
from miner.errors import MinerError

LOCK_FILE = ".lock"


class RunBusyError(MinerError):
    """Another process is writing to the same run folder."""


class LockFileError(MinerError):
    """The run folder's `.lock` is not a plain file miner may write (a link, a folder)."""


_held: dict[Path, list[int]] = {}   # folder -> [file descriptor, depth]


def _holder(fd: int) -> str:
    """Who holds the lock, from the lock file, for the error message."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = boundedjson.loads(os.read(fd, 4096).decode("utf-8", "replace") or "{}")
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict) or "pid" not in data:
        return "another process"
    since = time.strftime("%H:%M:%S", time.localtime(float(data.get("started", 0))))
    command = str(data.get("command", "miner"))[:120]
    return f"process {data['pid']} (`{command}`, since {since})"


def _open_lock(path: Path) -> int:
    """A descriptor on the lock file, created if need be. It is truncated and written, so
    anything but a plain file of its own (a symbolic or hard link to another file, a
    folder, a pipe) is refused with one line rather than followed."""
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise LockFileError(f"{path}: the lock file is a symbolic link; miner writes "
                                "its lock there, so remove the link") from None
        if exc.errno == errno.EISDIR:
            raise LockFileError(f"{path}: the lock file is a folder; miner writes its "
                                "lock there, so remove or rename the folder") from None
        raise LockFileError(f"{path}: cannot open the lock file "
                            f"({exc.strerror or exc})") from None
    info = os.fstat(fd)
    problem = ("not a plain file" if not stat.S_ISREG(info.st_mode)
               else "a hard link to another file" if info.st_nlink > 1 else None)
    if problem:
        os.close(fd)
        raise LockFileError(f"{path}: the lock file is {problem}; miner writes its lock "
                            "there, so remove it")
    return fd


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
    fd = _open_lock(folder / LOCK_FILE)
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
