"""A SQLite (WAL) cache of LLM answers, one row per request key, safe to resume into.

Each row holds the raw answer, its parse status and parsed value (JSON), token counts and
latency. Only completed answers are stored: a transport failure is not cached, so a rerun
asks again. Every answer is committed as it arrives, so a killed process loses at most the
requests in flight. API keys never enter the cache: rows hold the model name, a namespace
(e.g. a rubric id and version), the item hash and the request parameters.

The schema is versioned with `PRAGMA user_version`; `MIGRATIONS[i]` upgrades version i to i+1.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from miner.errors import InputError, MinerError

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 0 -> 1: the answers table.
    (
        """CREATE TABLE answers (
            key TEXT PRIMARY KEY,
            model TEXT NOT NULL,
            namespace TEXT NOT NULL,
            item TEXT NOT NULL,
            params TEXT NOT NULL,
            content TEXT,
            status TEXT NOT NULL,
            parsed TEXT,
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            latency_s REAL,
            created_at REAL NOT NULL
        )""",
    ),
    # 1 -> 2: where an answer came from (live call, batch import, offline judge), and a
    # lookup index for `judges compare`.
    (
        "ALTER TABLE answers ADD COLUMN origin TEXT NOT NULL DEFAULT 'api'",
        "CREATE INDEX answers_by_judge ON answers (model, namespace, item)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
_WRITE_HINT = "free some space or check the folder's permissions, then rerun"


def cache_key(model: str, namespace: str, item: str, params: dict[str, Any]) -> str:
    """The cache key of one request: sha256 over model, namespace, item hash and params."""
    blob = json.dumps([model, namespace, item, params], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass
class CachedAnswer:
    """One stored answer."""

    key: str
    model: str
    namespace: str
    item: str
    params: dict[str, Any]
    content: str | None
    status: str
    parsed: Any
    prompt_tokens: int | None
    completion_tokens: int | None
    latency_s: float | None
    origin: str = "api"


_COLUMNS = (
    "key, model, namespace, item, params, content, status, parsed, prompt_tokens, "
    "completion_tokens, latency_s, origin"
)


def _row_to_answer(row: tuple) -> CachedAnswer:
    return CachedAnswer(
        key=row[0], model=row[1], namespace=row[2], item=row[3], params=json.loads(row[4]),
        content=row[5], status=row[6], parsed=None if row[7] is None else json.loads(row[7]),
        prompt_tokens=row[8], completion_tokens=row[9], latency_s=row[10], origin=row[11],
    )


class LLMCache:
    """The answer cache in one SQLite file (WAL mode, migrated on open)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except sqlite3.OperationalError as exc:   # read-only folder, full disk, locked
            raise MinerError(f"{self.path}: cannot open the judge cache for writing ({exc}); "
                             f"{_WRITE_HINT}") from None
        except sqlite3.DatabaseError as exc:
            raise InputError(f"{self.path}: not a usable judge cache ({exc})") from None

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise InputError(
                f"{self.path}: cache schema version {version} is newer than this miner "
                f"understands ({SCHEMA_VERSION}); upgrade miner"
            )
        for target in range(version, SCHEMA_VERSION):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in MIGRATIONS[target]:
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {target + 1}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        """The schema version of the open file."""
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> LLMCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, key: str) -> CachedAnswer | None:
        """The answer stored under `key`, or None."""
        row = self._db.execute(f"SELECT {_COLUMNS} FROM answers WHERE key = ?", (key,)).fetchone()
        return None if row is None else _row_to_answer(row)

    def get_many(self, keys: Iterable[str]) -> dict[str, CachedAnswer]:
        """The stored answers among `keys`, by key."""
        found: dict[str, CachedAnswer] = {}
        keys = list(keys)
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._db.execute(
                f"SELECT {_COLUMNS} FROM answers WHERE key IN ({marks})", chunk
            ):
                found[row[0]] = _row_to_answer(row)
        return found

    def put(self, answer: CachedAnswer) -> None:
        """Store (or replace) one answer and commit it."""
        self.put_many([answer])

    def put_many(self, answers: Iterable[CachedAnswer]) -> None:
        """Store (or replace) answers in one transaction."""
        now = time.time()
        rows = [
            (
                a.key, a.model, a.namespace, a.item, json.dumps(a.params, sort_keys=True),
                a.content, a.status, None if a.parsed is None else json.dumps(a.parsed),
                a.prompt_tokens, a.completion_tokens, a.latency_s, a.origin, now,
            )
            for a in answers
        ]
        if not rows:
            return
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    f"INSERT OR REPLACE INTO answers ({_COLUMNS}, created_at) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    rows,
                )
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        self._db.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as exc:   # disk full, read-only, I/O error
            raise MinerError(f"{self.path}: cannot write the judge cache ({exc}); "
                             f"{_WRITE_HINT} (answers stored so far are kept)") from None

    def answers(self, model: str, namespace: str) -> Iterator[CachedAnswer]:
        """Every answer of `model` under `namespace` (e.g. one judge on one rubric)."""
        query = f"SELECT {_COLUMNS} FROM answers WHERE model = ? AND namespace = ? ORDER BY item"
        for row in self._db.execute(query, (model, namespace)):
            yield _row_to_answer(row)

    def count(self) -> int:
        """How many answers are stored."""
        return self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
