"""Glob patterns over the file system, each real folder walked and each real file named once.

Python's `glob(..., recursive=True)` follows symbolic links into folders, so `**` through a
link back to a parent (`sub/back -> ..`) names the same files again at every level until the
path grows too long, and two such links grow the count exponentially. Here `**` walks with
a set of the folders already seen (by real path), so a loop ends where it closes.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re

_MAGIC = re.compile(r"[*?\[]")


def expand_glob(pattern: str) -> list[str]:
    """The paths matching `pattern` (shell-style; `**` spans folders), sorted, each real
    file or folder once."""
    if "**" not in pattern:
        return _once(sorted(glob.glob(pattern)))
    parts = pattern.split(os.sep)
    first = next(i for i, part in enumerate(parts) if _MAGIC.search(part))
    prefix = os.sep.join(parts[:first]) or (os.sep if pattern.startswith(os.sep) else "")
    wanted = [part for part in parts[first:] if part]
    top = prefix or "."
    if not os.path.isdir(top):
        return []
    matches = []
    seen = {os.path.realpath(top)}
    for root, dirs, files in os.walk(top, followlinks=True):
        kept = []
        for name in sorted(dirs):
            real = os.path.realpath(os.path.join(root, name))
            if real not in seen:
                seen.add(real)
                kept.append(name)
        dirs[:] = kept
        relative = os.path.relpath(root, top)
        segments = [] if relative == "." else relative.split(os.sep)
        for name in kept + sorted(files):
            if _matches(wanted, [*segments, name]):
                matches.append(os.path.join(prefix, *segments, name) if prefix
                               else os.path.join(*segments, name))
    return _once(sorted(matches))


def _matches(pattern: list[str], segments: list[str]) -> bool:
    """Whether path `segments` match pattern parts (`**`: any number of segments, hidden
    names only where a part names them, as glob does)."""
    if not pattern:
        return not segments
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        if _matches(rest, segments):
            return True
        descend = bool(segments) and not segments[0].startswith(".")
        return descend and _matches(pattern, segments[1:])
    if not segments:
        return False
    name = segments[0]
    if name.startswith(".") and not head.startswith("."):
        return False
    return fnmatch.fnmatchcase(name, head) and _matches(rest, segments[1:])


def _once(paths: list[str]) -> list[str]:
    """`paths` without the ones that are another path of the list under another name."""
    seen: set[str] = set()
    unique = []
    for path in paths:
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            unique.append(path)
    return unique
