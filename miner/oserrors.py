"""File-system refusals the user can fix (a read-only folder, a full disk) as one line.

A stage that cannot write says which file (or folder) and why, and exits non-zero; it does
not print a traceback. Temporary names (`.<name>.tmp-<pid>`, `.stage-<stage>-<pid>/`) are
shown as the file they would have become.
"""

from __future__ import annotations

import errno
import re

_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_REFUSED = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})
_ERRNO_IN_TEXT = re.compile(r"\[Errno (\d+)\]")   # pyarrow's IOError carries it in its text
_STAGING = re.compile(r"/\.stage-[a-z]+-\d+(?=/)")
_TEMPORARY = re.compile(r"(^|/)\.([^/]+)\.tmp-\d+$")


def error_number(exc: OSError) -> int | None:
    """The errno of `exc`, also when a library only put it into the message."""
    if exc.errno is not None:
        return exc.errno
    found = _ERRNO_IN_TEXT.search(str(exc))
    return int(found.group(1)) if found else None


def shown_path(path: str) -> str:
    """`path` with staging folders and temporary names replaced by the published name."""
    return _TEMPORARY.sub(r"\1\2", _STAGING.sub("", path))


def os_error_line(exc: OSError, where: str | None = None) -> str | None:
    """One line for a write the file system refused (no space, read-only, no permission),
    naming the file (else `where`); None for any other `OSError` (a bug, not the disk)."""
    number = error_number(exc)
    if number in _FULL:
        hint = "free some space and rerun (finished work is kept)"
    elif number in _REFUSED:
        hint = "check its permissions (a run folder must be writable)"
    else:
        return None
    reason = exc.strerror or errno.errorcode.get(number or 0, "") or str(exc)
    filename = exc.filename
    subject = shown_path(str(filename)) if filename else (where or "a write")
    return f"{subject}: {reason.lower()}; {hint}"
