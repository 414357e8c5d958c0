"""Reading JSON Lines files of objects, with one-line errors naming file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from miner import boundedjson
from miner.errors import InputError


def read_objects(path: Path, what: str = "file") -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield `(line number, object)` for each non-blank line of `path`.

    An unreadable file, a line that is not JSON (or is nested too deep or holds `NaN`:
    `miner.boundedjson`), or one that is not a JSON object is an
    `InputError` naming the file (described as `what`) and the line.
    """
    try:
        handle = Path(path).open(encoding="utf-8", errors="replace")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what} ({exc.strerror or exc})") from None
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = boundedjson.loads(line)
            except ValueError as exc:
                problem = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
                raise InputError(f"{path}: line {number}: invalid JSON ({problem})") from None
            if not isinstance(record, dict):
                raise InputError(f"{path}: line {number}: expected a JSON object")
            yield number, record
