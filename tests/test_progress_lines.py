"""Long stages report progress as plain lines when stderr is not a terminal (logs, CI)."""

from __future__ import annotations

import io

from tqdm import tqdm

from miner import console


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_lines_when_stderr_is_not_a_terminal(monkeypatch):
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    monkeypatch.setattr(console, "LINE_SECONDS", 0.0)   # a line at every update
    with console.progress(total=40, desc="embedding", unit="prompt") as bar:
        assert isinstance(bar, console.LineProgress)
        for _ in range(4):
            bar.update(10)
    lines = err.getvalue().splitlines()
    assert lines, "no progress line was written"
    assert "\r" not in err.getvalue(), "lines, not a redrawn bar"
    assert lines[0].startswith("embedding: 10/40 prompts (25%)")
    assert lines[-1].startswith("embedding: 40/40 prompts (100%)")
    assert all(line.startswith("embedding: ") for line in lines)


def test_default_interval_is_a_few_seconds(monkeypatch):
    monkeypatch.setattr("sys.stderr", io.StringIO())
    with console.progress(total=3, desc="x") as bar:
        assert bar.mininterval == console.LINE_SECONDS == 5.0


def test_a_bar_on_a_terminal(monkeypatch):
    monkeypatch.setattr("sys.stderr", _Terminal())
    with console.progress(total=3, desc="x") as bar:
        assert type(bar) is tqdm and not bar.disable


def test_unknown_total_and_control_characters(monkeypatch):
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    monkeypatch.setattr(console, "LINE_SECONDS", 0.0)
    for _ in console.progress((i for i in range(3)), desc="reading a\x1b[31mb", unit=" rows"):
        pass
    last = err.getvalue().splitlines()[-1]
    assert last.startswith("reading a\\x1b[31mb: 3 rows") and "%" not in last


def test_work_over_before_the_first_line_stays_silent(monkeypatch):
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    monkeypatch.setattr(console, "LINE_SECONDS", 3600.0)
    with console.progress(total=40, desc="embedding", unit="prompt") as bar:
        bar.update(40)
    assert err.getvalue() == ""
