"""Turn the SOURCE arguments of `miner ingest` into a list of readable sources.

A SOURCE is a file (JSONL, JSON array, Parquet, CSV, each optionally gzip'd), a folder (every
file of a known format inside it, or a `datasets.save_to_disk` folder), a glob, or a Hugging
Face hub id. The format of a file is decided by its name and confirmed by its first bytes.
"""

from __future__ import annotations

import errno
import gzip
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from miner import boundedjson
from miner.brief import brief
from miner.console import info, printable
from miner.errors import InputError
from miner.ingest.encoding import decoded_head
from miner.ingest.globs import expand_glob

FORMATS = ("jsonl", "json", "csv", "parquet", "arrow", "hub")
_EXTENSIONS = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".jsonlines": "jsonl", ".json": "json",
    ".csv": "csv", ".parquet": "parquet", ".pq": "parquet",
}
_GLOB_CHARS = re.compile(r"[*?\[]")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
MAX_SPLITS_CHARS = 1 << 20   # a save_to_disk dataset_dict.json (a few split names)
_KNOWN = "expected .jsonl, .json, .parquet or .csv (optionally .gz), or a save_to_disk folder"


@dataclass(frozen=True)
class Source:
    """One readable input: a file, one split of a save_to_disk folder, or a hub dataset."""

    label: str               # what messages and the `source` column show
    format: str              # one of FORMATS
    path: Path | None = None  # file, or save_to_disk folder (format "arrow")
    compressed: bool = False  # gzip'd file
    hub_id: str | None = None

    @property
    def unit(self) -> str:
        """How a position in this source is named in messages: 'line' or 'row'."""
        return "line" if self.format == "jsonl" else "row"


def resolve_sources(arguments: list[str]) -> list[Source]:
    """Expand SOURCE arguments (files, folders, globs, hub ids) into sources, in order.

    Raises `InputError` with one line for a missing path, an empty glob or folder, or an
    unknown format.
    """
    if not arguments:
        raise InputError("no SOURCE given: name a file, folder, glob or hub id to ingest")
    sources: list[Source] = []
    for argument in arguments:
        sources.extend(_resolve_one(argument))
    return sources


def _resolve_one(argument: str) -> list[Source]:
    path = Path(argument)
    if path.exists():
        return _resolve_folder(path) if path.is_dir() else [detect_file(path)]
    if path.is_symlink():   # dangling, or a loop: detect_file says which
        return [detect_file(path)]
    if _GLOB_CHARS.search(argument):
        matches = expand_glob(argument)
        if not matches:
            raise InputError(f"{argument}: no files match this pattern")
        found: list[Source] = []
        ignored = 0
        for match in matches:
            match_path = Path(match)
            if match_path.is_dir():
                found.extend(_resolve_folder(match_path))
            elif _format_from_name(match_path.name)[0] is None:
                ignored += 1
            else:
                found.append(detect_file(match_path))
        if ignored:
            info(f"{argument}: ignored {ignored} matching file(s) of unknown format ({_KNOWN})")
        if not found:
            raise InputError(f"{argument}: no files of a known format match ({_KNOWN})")
        return found
    if _HUB_ID.match(argument) and _format_from_name(argument)[0] is None:
        return [Source(label=argument, format="hub", hub_id=argument)]
    raise InputError(f"{argument}: no such file or folder")


def _is_saved_dataset(folder: Path) -> bool:
    return (folder / "state.json").is_file() or (folder / "dataset_dict.json").is_file()


def _resolve_folder(folder: Path) -> list[Source]:
    """Every source inside `folder`: itself when it is a save_to_disk folder, else its files."""
    if _is_saved_dataset(folder):
        return _saved_dataset_sources(folder)
    found: list[Source] = []
    ignored = 0
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        root_path = Path(root)
        if root_path != folder and _is_saved_dataset(root_path):
            found.extend(_saved_dataset_sources(root_path))
            dirs[:] = []
            continue
        for name in sorted(files):
            if name.startswith("."):
                continue
            if _format_from_name(name)[0] is None:
                ignored += 1
                continue
            found.append(detect_file(root_path / name))
    if ignored:
        info(f"{folder}: ignored {ignored} file(s) of unknown format ({_KNOWN})")
    if not found:
        raise InputError(f"{folder}: no files of a known format in this folder ({_KNOWN})")
    return found


def _saved_dataset_sources(folder: Path) -> list[Source]:
    """The splits of a `datasets.save_to_disk` folder (a Dataset or a DatasetDict)."""
    dict_file = folder / "dataset_dict.json"
    if not dict_file.is_file():
        return [Source(label=str(folder), format="arrow", path=folder)]
    try:
        splits = boundedjson.loads(dict_file.read_bytes(), max_chars=MAX_SPLITS_CHARS)["splits"]
        if not isinstance(splits, list):
            raise TypeError(f"'splits' is {type(splits).__name__}, not a list")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        problem = printable(" ".join(str(exc).split())[:200])
        raise InputError(f"{dict_file}: not a readable datasets split list ({problem})") from None
    return [
        Source(label=f"{folder}[{split}]", format="arrow", path=inside(folder, split, dict_file))
        for split in splits
    ]


def inside(folder: Path, name: object, named_in: Path) -> Path:
    """`folder / name`, refused with one line naming `named_in` (the file that names it)
    unless `name` is a relative path that stays inside `folder` once links are followed:
    the folder's digest, which says whether a source changed, covers only what is inside."""
    if not isinstance(name, str) or not name:
        raise InputError(f"{named_in}: a file name must be text, got {printable(brief(name))}")
    path = folder / name
    if Path(name).is_absolute() or not path.resolve().is_relative_to(folder.resolve()):
        raise InputError(f"{named_in}: {printable(brief(name))} lies outside {folder}; only "
                         "files inside the folder are read")
    return path


def _format_from_name(name: str) -> tuple[str | None, bool]:
    """(format, gzip'd) from a file name, or (None, ...) when the extension is unknown."""
    lower = name.lower()
    compressed = lower.endswith(".gz")
    if compressed:
        lower = lower[:-3]
    return _EXTENSIONS.get(Path(lower).suffix), compressed


def _head(path: Path, compressed: bool, size: int = 4096) -> bytes:
    """The first bytes of a file (decompressed when gzip'd), for format sniffing."""
    try:
        opener = gzip.open if compressed else open
        with opener(path, "rb") as handle:
            return handle.read(size)
    except (OSError, EOFError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InputError(f"{path}: cannot read ({reason})") from None


_SPECIAL = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"),
)


def _check_regular(path: Path) -> None:
    """Refuse what is not a regular file once links are followed: a dangling link, a link
    loop, a FIFO or a device (reading one never ends, or never starts)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if not path.is_symlink():
            raise InputError(f"{path}: no such file or folder") from None
        raise InputError(f"{path}: a dangling symbolic link (its target "
                         f"{printable(os.readlink(path))} does not exist)") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"{path}: a symbolic link loop (it never reaches a file)") from None
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in _SPECIAL if test(mode)), "not a file")
    through = " through a symbolic link" if path.is_symlink() else ""
    raise InputError(f"{path}: not a regular file ({kind}{through}); ingest reads regular "
                     "files only: save the stream to a file first")


def detect_file(path: Path) -> Source:
    """Decide the format of one file from its name and first bytes."""
    _check_regular(path)
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: cannot read (permission denied)")
    name_format, compressed = _format_from_name(path.name)
    magic = _head(path, False, 4)
    if magic[:2] == b"\x1f\x8b":
        compressed = True
    elif compressed:
        raise InputError(f"{path}: named .gz but is not gzip data")
    head = _head(path, compressed)
    first = decoded_head(head).lstrip()[:1]
    if head[:4] == b"PAR1":
        detected = "parquet"
    elif name_format in ("json", "jsonl", None) and first in (b"[", b"{"):
        detected = "json" if first == b"[" else "jsonl"
    elif name_format is None:
        raise InputError(f"{path}: unknown format ({_KNOWN})")
    else:
        detected = name_format
    if detected == "parquet" and head[:4] != b"PAR1":
        raise InputError(f"{path}: not a Parquet file (it does not start with PAR1)")
    return Source(label=str(path), format=detected, path=path, compressed=compressed)
