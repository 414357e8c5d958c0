"""One assertion for every command-line error path: exit 1, one `error:` line, nothing escaped."""

from __future__ import annotations

import subprocess

from click.testing import Result


def assert_cli_error(result: Result | subprocess.CompletedProcess, *names: str) -> str:
    """Assert `result` (a CliRunner result or a finished `miner` process) is one clean error.

    Exit status 1; stderr holds exactly one line starting with `error: `, naming each of
    `names` (the file, row or key at fault, the problem); no other line of stderr is a
    traceback or a usage message; with CliRunner, the only exception is the `SystemExit` of
    the exit itself (CliRunner catches any other and prints no traceback, so the output alone
    cannot show that nothing escaped). Returns the error line.
    """
    if isinstance(result, subprocess.CompletedProcess):
        status, stderr = result.returncode, result.stderr
    else:
        status, stderr = result.exit_code, result.stderr
        assert isinstance(result.exception, SystemExit), (
            f"an exception escaped: {result.exception!r}"
        )
    assert status == 1, f"exit status {status}, not 1; stderr:\n{stderr}"
    lines = stderr.splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, f"expected exactly one 'error:' line, got:\n{stderr}"
    assert not [line for line in lines if line.startswith(("Traceback", "Usage:", "Try '"))], (
        stderr
    )
    for name in names:
        assert name in errors[0], f"{name!r} is not named in {errors[0]!r}"
    return errors[0]
