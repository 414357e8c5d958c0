"""One assertion for every command-line error path: exit 1, one `error:` line, nothing escaped."""

from __future__ import annotations

import re
import subprocess

from click.testing import Result

# What an escaped exception leaves on stderr: the traceback header, its frames, its last line.
_ESCAPED = re.compile(r'^(Traceback \(most recent call last\)|\s+File ".*", line \d+'
                      r"|[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit): )")
MAX_ERROR_CHARS = 2000


def assert_cli_error(result: Result | subprocess.CompletedProcess, *names: str,
                     status: int = 1) -> str:
    """Assert `result` (a CliRunner result or a finished `miner` process) is one clean error.

    Exit status `status` (1: bad input, or a stage that could not do its work); stderr holds
    exactly one line starting with `error: `, printable (no control characters that could
    restyle the terminal) and bounded, naming each of `names` (the file, row or key at
    fault, the problem); no line of stderr is part of a traceback (its header, a frame, an
    exception's last line) or a usage message; with CliRunner, the only exception is the
    `SystemExit` of the exit itself (CliRunner catches any other and prints no traceback,
    so the output alone cannot show that nothing escaped). Returns the error line.
    """
    if isinstance(result, subprocess.CompletedProcess):
        code, stderr = result.returncode, result.stderr
    else:
        code, stderr = result.exit_code, result.stderr
        assert isinstance(result.exception, SystemExit), (
            f"an exception escaped: {result.exception!r}"
        )
    assert code == status, f"exit status {code}, not {status}; stderr:\n{stderr}"
    lines = stderr.splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, f"expected exactly one 'error:' line, got:\n{stderr}"
    assert errors[0].isprintable() and len(errors[0]) <= MAX_ERROR_CHARS, errors[0][:3000]
    assert not [line for line in lines if _ESCAPED.match(line)
                or line.startswith(("Usage:", "Try '"))], stderr
    for name in names:
        assert name in errors[0], f"{name!r} is not named in {errors[0]!r}"
    return errors[0]
