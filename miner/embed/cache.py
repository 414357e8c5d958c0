"""A text-hash -> vector cache in the run folder: the embed stage's chunks and its memory.

Each finished chunk is two files, `chunk-NNNNNN.npy` (float32 vectors) and
`chunk-NNNNNN.hashes.npy` (16-byte text hashes, same order); the hashes file is renamed into
place last, so a chunk counts only once both are whole. A killed run keeps every finished
chunk; a later run (or a re-ingest with new rows) embeds only the texts it does not find.
One folder per model setting (`cache_key`), so vectors of different models never mix. A
damaged chunk (cut short, wrongly shaped) is removed with a one-line notice and its texts are
embedded again.
"""

from __future__ import annotations

import fcntl
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import IO

import numpy as np

from miner.config import fingerprint
from miner.console import info
from miner.errors import MinerError
from miner.run import atomic_path

HASH_BYTES = 16
_CHUNK = re.compile(r"chunk-(\d{6})\.hashes\.npy")
# Merge the chunks into one once there are more than this many.
COMPACT_ABOVE = 32


def text_hashes(texts: Iterable[str]) -> np.ndarray:
    """16-byte sha256 prefixes of the exact texts (the cache key of each row)."""
    return np.array(
        [hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:HASH_BYTES]
         for text in texts],
        dtype=f"S{HASH_BYTES}",
    )


class VectorCache:
    """The chunks under one folder, looked up by text hash."""

    def __init__(self, root: Path, key: dict) -> None:
        self.folder = Path(root) / fingerprint(key)
        self.key = key
        self.chunks: list[tuple[int, np.ndarray, np.ndarray]] = []  # (number, hashes, vectors)
        self._lock: IO[bytes] | None = None

    def __enter__(self) -> VectorCache:
        """Take the folder for this process (a second embed of the same run stops) and load it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.folder / ".lock", "wb")  # noqa: SIM115 (held until __exit__)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise MinerError(
                f"{self.folder}: another `miner embed` is writing this cache; wait for it"
            ) from None
        self._load()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._lock is not None:
            self._lock.close()  # closing releases the lock
            self._lock = None

    def _load(self) -> None:
        for stale in self.folder.glob(".*.tmp-*"):  # left by a killed run
            stale.unlink(missing_ok=True)
        numbers = sorted(int(m.group(1)) for p in self.folder.iterdir()
                         if (m := _CHUNK.fullmatch(p.name)))
        for number in numbers:
            try:
                hashes = np.load(self._hashes_path(number), allow_pickle=False)
                vectors = np.load(self._vectors_path(number), mmap_mode="r", allow_pickle=False)
                problem = _chunk_problem(hashes, vectors)
            except (OSError, ValueError, EOFError) as exc:   # cut short, not .npy, missing
                problem = f"unreadable: {exc}"
            if problem is not None:   # its texts are simply not cached: embedded again
                info(f"{self._vectors_path(number)}: damaged cache chunk ({problem[:200]}); "
                     "its texts are embedded again")
                self._hashes_path(number).unlink(missing_ok=True)
                self._vectors_path(number).unlink(missing_ok=True)
                continue
            self.chunks.append((number, hashes, vectors))
        for orphan in self.folder.glob("chunk-*.npy"):  # vectors whose hashes never landed
            if not orphan.name.endswith(".hashes.npy"):
                number = int(orphan.name[6:12])
                if number not in numbers:
                    orphan.unlink(missing_ok=True)

    def _vectors_path(self, number: int) -> Path:
        return self.folder / f"chunk-{number:06d}.npy"

    def _hashes_path(self, number: int) -> Path:
        return self.folder / f"chunk-{number:06d}.hashes.npy"

    def __len__(self) -> int:
        return sum(len(hashes) for _, hashes, _ in self.chunks)

    def locate(self) -> dict[bytes, tuple[int, int]]:
        """hash -> (position in `chunks`, row in that chunk)."""
        where: dict[bytes, tuple[int, int]] = {}
        for position, (_, hashes, _) in enumerate(self.chunks):
            for row, digest in enumerate(hashes.tolist()):
                where.setdefault(digest, (position, row))
        return where

    def add(self, hashes: np.ndarray, vectors: np.ndarray) -> None:
        """Write one finished chunk (vectors first, its hashes last)."""
        number = self.chunks[-1][0] + 1 if self.chunks else 1
        _save(self._vectors_path(number), np.asarray(vectors, dtype=np.float32))
        _save(self._hashes_path(number), np.asarray(hashes, dtype=f"S{HASH_BYTES}"))
        self.chunks.append((number, hashes, np.load(self._vectors_path(number), mmap_mode="r")))

    def compact(self) -> None:
        """Merge the chunks into one when there are many (one file each way, fewer opens)."""
        if len(self.chunks) <= COMPACT_ABOVE:
            return
        old = [number for number, _, _ in self.chunks]
        hashes = np.concatenate([h for _, h, _ in self.chunks])
        vectors = np.concatenate([np.asarray(v) for _, _, v in self.chunks])
        self.chunks = []
        number = old[-1] + 1
        _save(self._vectors_path(number), vectors)
        _save(self._hashes_path(number), hashes)
        for gone in old:  # after the merged chunk is whole: a crash here only leaves copies
            self._hashes_path(gone).unlink(missing_ok=True)
            self._vectors_path(gone).unlink(missing_ok=True)
        self.chunks = [(number, hashes, np.load(self._vectors_path(number), mmap_mode="r"))]


def _chunk_problem(hashes: np.ndarray, vectors: np.ndarray) -> str | None:
    """What is wrong with a loaded chunk (None when it is whole and well shaped)."""
    if hashes.ndim != 1 or hashes.dtype != np.dtype(f"S{HASH_BYTES}"):
        return f"hashes are {hashes.dtype} of shape {hashes.shape}, not {HASH_BYTES}-byte digests"
    if vectors.ndim != 2 or vectors.dtype != np.float32:
        return f"vectors are {vectors.dtype} of shape {vectors.shape}, not a float32 matrix"
    if len(hashes) != len(vectors):
        return f"{len(hashes)} hashes for {len(vectors)} vectors"
    return None


def _save(path: Path, array: np.ndarray) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.save(handle, array, allow_pickle=False)
