"""A run folder that cannot be written and a disk that fills up: one line, exit 1, no traceback.

The read-only folder is a real `chmod a-w` (a test run as root drops the capability that
lets root write anyway, in the child only); the full disk is a real file-size limit
(RLIMIT_FSIZE, whose writes fail with EFBIG like a full disk's with ENOSPC) or SQLite's own
"database or disk is full", reached through a page limit on the connection.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from miner.cli import main
from miner.llm.cache import LLMCache
from miner.oserrors import os_error_line
from tests.cli_errors import assert_cli_error
from tests.ingest_fixtures import write_jsonl
from tests.test_select import write_run

_PR_CAPBSET_DROP = 24
_WRITE_ANYWAY = (1, 2, 3)   # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
_MINER = "import sys; from miner.cli import main; sys.exit(main())"


def _small_run(path: Path):
    rows = [{"id": f"p{i:03d}", "topic": i % 4, "score": 1.0 + i % 9,
             "text": f"Explain, step by step and with an example, how idea number {i} about "
                     f"topic {i % 4} works, and why it matters in practice."}
            for i in range(60)]
    return write_run(path, rows, {t: f"topic_{t}" for t in range(4)})


def _without_root_override() -> None:
    """In the child: root loses the capabilities that ignore file modes (a no-op for others)."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in _WRITE_ANYWAY:
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _read_only(folder: Path) -> None:
    for root, dirs, files in os.walk(folder):
        for name in [*dirs, *files, "."]:
            path = Path(root) / name
            path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def test_a_read_only_run_folder_is_one_line_for_every_stage(tmp_path):
    run = _small_run(tmp_path / "run")
    source = write_jsonl(tmp_path / "log.jsonl", [{"prompt": "How do hash maps handle "
                                                             "collisions? Explain with code."}])
    _read_only(run.path)
    probe = subprocess.run([sys.executable, "-c", f"open({str(run.path / 'x')!r}, 'w')"],
                           preexec_fn=_without_root_override, capture_output=True, text=True)
    assert "PermissionError" in probe.stderr   # the folder really is read-only for the child
    try:
        for command in (["score"], ["select"], ["report"], ["ingest", str(source)]):
            done = subprocess.run([sys.executable, "-c", _MINER, *command, "--run", str(run.path)],
                                  preexec_fn=_without_root_override, capture_output=True,
                                  text=True, timeout=300)
            line = assert_cli_error(done, str(run.path / "config.yaml"), "permission denied")
            assert line.endswith("check its permissions (a run folder must be writable)"), line
    finally:
        for root, dirs, _ in os.walk(run.path):
            for name in [*dirs, "."]:
                (Path(root) / name).chmod(0o755)


def _file_size_limit(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # EFBIG instead of a signal
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_full_disk_while_writing_the_report_is_one_line(tmp_path):
    run = _small_run(tmp_path / "run")
    done = subprocess.run([sys.executable, "-c", _MINER, "report", "--run", str(run.path)],
                          preexec_fn=_file_size_limit(64 << 10), capture_output=True, text=True,
                          timeout=300)
    line = assert_cli_error(done, f"report: writing in {run.path}: file too large",
                            "free some space and rerun")
    assert not (run.path / "report").exists()
    assert not [p for p in run.path.iterdir() if p.name.startswith(".stage-")]
    assert line


def test_a_full_disk_while_writing_the_judge_cache_is_one_line(tmp_path, monkeypatch):
    run = _small_run(tmp_path / "run")
    opened = LLMCache.__init__

    def full(self: LLMCache, path) -> None:   # the disk fills as soon as answers arrive
        opened(self, path)
        pages = self._db.execute("PRAGMA page_count").fetchone()[0]
        self._db.execute(f"PRAGMA max_page_count = {pages}")

    monkeypatch.setattr(LLMCache, "__init__", full)
    result = CliRunner().invoke(main, ["score", "--run", str(run.path)])
    assert_cli_error(result, f"{run.path / 'judge.sqlite'}: cannot write the judge cache "
                             "(database or disk is full)", "answers stored so far are kept")
    assert not run.file("score_summary.json").exists()


@pytest.mark.parametrize("number,name,expected", [
    (errno.ENOSPC, "/r/.stage-report-41/report/index.html",
     "/r/report/index.html: no space left on device; free some space and rerun"),
    (errno.EROFS, "/r/.config.yaml.tmp-7", "/r/config.yaml: read-only file system; check its"),
    (errno.EACCES, None, "writing in /r: permission denied; check its permissions"),
])
def test_refused_writes_name_the_published_file(number, name, expected):
    exc = OSError(number, os.strerror(number), *([name] if name else []))
    assert os_error_line(exc, "writing in /r").startswith(expected)
    assert os_error_line(OSError(errno.ENOENT, "No such file or directory", "/x")) is None
