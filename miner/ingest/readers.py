"""One streaming reader per source format; each yields `RawRow`s in file order.

A row-level problem (a malformed line, a bad CSV row) is yielded as a `RawRow` with a
`problem`, so the caller can fail or skip it; a problem that ends the file (not gzip, not
Parquet, a broken JSON array) raises `InputError`.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

from miner import boundedjson
from miner.console import printable
from miner.errors import InputError
from miner.ingest.encoding import utf8_stream
from miner.ingest.sources import Source, inside
from miner.ingest.streams import Malformed, TooLong, bounded_lines, json_array_elements

_BATCH_ROWS = 1024
MAX_STATE_CHARS = 1 << 24   # a save_to_disk state.json (a few KB for thousands of shards)


class RawRow(NamedTuple):
    """One record as read: its 1-based position, its data, or the problem that spoiled it."""

    row: int
    data: Any
    problem: str | None = None


def read_rows(
    source: Source, *, max_record_bytes: int, hub_split: str = "train"
) -> Iterator[RawRow]:
    """Yield every record of `source` in order, streaming (never the whole file at once)."""
    if source.format == "hub":
        from miner.ingest.hub import read_hub

        yield from read_hub(source, split=hub_split)
        return
    if source.format == "arrow":
        yield from _read_arrow(source)
        return
    try:
        if source.format == "parquet":
            yield from _read_parquet(source)
        else:
            with _open_binary(source) as handle:
                if source.format == "jsonl":
                    yield from _read_jsonl(handle, max_record_bytes)
                elif source.format == "json":
                    yield from _read_json_array(source, handle, max_record_bytes)
                else:
                    yield from _read_csv(source, handle, max_record_bytes)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise InputError(f"{source.label}: cannot read ({reason})") from None
    except UnicodeDecodeError as exc:  # raised only by a byte-order-mark decoder
        raise InputError(
            f"{source.label}: not valid {exc.encoding.upper()} text, although its byte-order "
            f"mark says so ({_short(exc)})"
        ) from None


@contextlib.contextmanager
def _open_binary(source: Source) -> Iterator[IO[bytes]]:
    """The file's bytes as UTF-8 (gunzipped; a byte-order mark decides the encoding)."""
    assert source.path is not None
    opener = gzip.open if source.compressed else open
    with opener(source.path, "rb") as handle:
        yield utf8_stream(handle, source.label)


def _loads(text: bytes | str) -> Any:
    """`json.loads`, with nesting too deep for Python's parser reported as a `ValueError`."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _read_jsonl(handle: IO[bytes], limit: int) -> Iterator[RawRow]:
    for number, line in enumerate(bounded_lines(handle, limit), start=1):
        if isinstance(line, TooLong):
            yield RawRow(number, None, f"line is {line}")
            continue
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield RawRow(number, None, f"not UTF-8 text ({_short(exc)})")
            continue
        try:
            yield RawRow(number, _loads(text))
        except ValueError as exc:
            yield RawRow(number, None, f"invalid JSON ({_short(exc)})")


def _read_json_array(source: Source, handle: IO[bytes], limit: int) -> Iterator[RawRow]:
    index = 0
    try:
        for index, value in enumerate(json_array_elements(handle, limit), start=1):  # noqa: B007
            yield RawRow(index, value)
    except RecursionError:
        raise InputError(
            f"{source.label}: element {index + 1} is nested too deeply (a JSON array cannot be "
            "resumed past a broken element; fix the file or convert it to JSON lines)"
        ) from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source.label}: element {index + 1}: not {exc.encoding.upper()} text"
        ) from None
    except ValueError as exc:
        raise InputError(f"{source.label}: {exc}") from None
    except (Malformed, TooLong) as exc:
        kind = "is " if isinstance(exc, TooLong) else "invalid JSON: "
        raise InputError(
            f"{source.label}: element {index + 1} {kind}{exc} (a JSON array cannot be resumed "
            "past a broken element; fix the file or convert it to JSON lines)"
        ) from None


def _csv_lines(handle: IO[bytes], limit: int, problems: list[str]) -> Iterator[str]:
    """Decoded CSV lines, each ending in "\\n" (so a quoted field keeps its line breaks, CRLF
    normalised); an over-long line becomes an empty line and a noted problem."""
    for line in bounded_lines(handle, limit):
        if isinstance(line, TooLong):
            problems.append(f"line is {line}")
            yield ""
            continue
        yield line.decode("utf-8", errors="strict") + "\n"


def _read_csv(source: Source, handle: IO[bytes], limit: int) -> Iterator[RawRow]:
    csv.field_size_limit(limit)
    problems: list[str] = []
    reader = csv.reader(_csv_lines(handle, limit, problems), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except (csv.Error, UnicodeDecodeError) as exc:
        raise InputError(f"{source.label}: header: {_short(exc)}") from None
    if problems:
        raise InputError(f"{source.label}: header {problems[0]}")
    number = 0
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            yield RawRow(number, None, "not UTF-8 text")
            continue
        except csv.Error as exc:
            yield RawRow(number, None, f"malformed CSV ({_short(exc)})")
            continue
        if problems:
            yield RawRow(number, None, problems.pop())
            continue
        if not any(cells):
            number -= 1
            continue
        if len(cells) != len(header):
            yield RawRow(number, None, f"has {len(cells)} fields, the header has {len(header)}")
            continue
        try:
            record = {name: _csv_cell(cell) for name, cell in zip(header, cells, strict=True)}
        except _TooDeep:
            yield RawRow(number, None, "a cell holds JSON nested too deeply")
            continue
        yield RawRow(number, record)


class _TooDeep(Exception):
    """A CSV cell holds JSON nested deeper than Python's parser can follow."""


def _csv_cell(cell: str) -> Any:
    """A CSV cell, with JSON lists and objects (nested conversations) decoded."""
    stripped = cell.lstrip()
    if stripped[:1] in ("[", "{"):
        try:
            return json.loads(stripped)
        except RecursionError:
            raise _TooDeep from None
        except ValueError:
            return cell
    return cell


def _read_parquet(source: Source) -> Iterator[RawRow]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    assert source.path is not None
    with contextlib.ExitStack() as stack:
        path = source.path
        if source.compressed:
            path = stack.enter_context(_decompressed_copy(source.path))
        try:
            parquet = pq.ParquetFile(path)
        except (pa.ArrowException, OSError) as exc:
            problem = f"not a readable Parquet file ({_short(exc)})"
            raise InputError(f"{source.label}: {problem}") from None
        number = 0
        try:
            for batch in parquet.iter_batches(batch_size=_BATCH_ROWS):
                for record in batch.to_pylist():
                    number += 1
                    yield RawRow(number, record)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"{source.label}: row {number + 1}: {_short(exc)}") from None


@contextlib.contextmanager
def _decompressed_copy(path: Path) -> Iterator[Path]:
    """A temporary decompressed copy of a gzip'd file (Parquet needs random access)."""
    with tempfile.TemporaryDirectory(prefix="miner-ingest-") as folder:
        target = Path(folder) / path.name.removesuffix(".gz")
        with gzip.open(path, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 22)
        yield target


def _read_arrow(source: Source) -> Iterator[RawRow]:
    """Rows of a `datasets.save_to_disk` folder, read with pyarrow (no `datasets` needed)."""
    import pyarrow as pa

    assert source.path is not None
    number = 0
    for shard in _arrow_shards(source.path):
        try:
            with pa.memory_map(str(shard)) as mapped:
                for batch in pa.ipc.open_stream(mapped):
                    for record in batch.to_pylist():
                        number += 1
                        yield RawRow(number, record)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"{shard}: not a readable Arrow shard ({_short(exc)})") from None


def _arrow_shards(folder: Path) -> list[Path]:
    """The Arrow files a `save_to_disk` folder's `state.json` names, each checked to lie
    inside the folder (a name like `../../outside.arrow`, an absolute path or a link out of
    the folder is refused: the folder's digest, which says whether it changed, covers only
    what is inside it)."""
    state_file = folder / "state.json"
    try:
        state = boundedjson.loads(state_file.read_bytes(), max_chars=MAX_STATE_CHARS)
        names = [item["filename"] for item in state["_data_files"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        problem = f"not a datasets save_to_disk state file ({_short(exc)})"
        raise InputError(f"{state_file}: {problem}") from None
    return [inside(folder, name, state_file) for name in names]


def _short(exc: BaseException, limit: int = 200) -> str:
    """An exception's message on one printable line, bounded (it may quote untrusted input)."""
    text = printable(" ".join(str(exc).split())) or type(exc).__name__
    return text if len(text) <= limit else text[:limit] + "..."

