"""Fuzz every reader with seeded hostile files: each ends in one-line error or counted skips.

A seeded generator writes files in every source format (JSON lines, JSON arrays, CSV,
Parquet, each also gzip'd) from hostile records: deep nesting, control and NUL characters,
lone surrogates, fields over the record limit, wrong types, unknown schemas; then spoils
some files as a whole: other encodings (with and without a byte-order mark), CRLF line
ends, stray binary lines, cut-off ends. Each file is ingested with `on_error` fail and skip.
Allowed outcomes: prompts written (read = parsed + skipped, the artifacts readable), or one
`MinerError` line naming the file (or saying no prompt was left), free of control characters,
with nothing written under a final name. Anything else (a traceback, a half-written file)
fails the test. Sources that are not regular files (a FIFO, a link to /dev/zero, a dangling
link, a link loop) are refused in one line, named, in a folder or by a glob, and never hang.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import os
import random
import re
import signal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from miner.cli import main
from miner.config import load_config
from miner.console import printable
from miner.errors import ConfigError, MinerError
from miner.ingest import run_ingest
from miner.run import Run
from tests.cli_errors import assert_cli_error

SEED = 13
CASES = 90
LIMIT = 4096   # ingest.max_record_bytes: small, so "huge" fields are cheap to write
WORDS = ("explain", "the", "hash", "map", "please", "with", "code", "über", "日本語", "🙂")
CONTROL = "".join(chr(c) for c in range(32)) + "\x7f\u202e\u200b\ufeff"


def hostile_text(rng: random.Random) -> str:
    kind = rng.randrange(6)
    if kind == 0:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 40)))
    if kind == 1:
        return "".join(rng.choice(CONTROL + "ab ") for _ in range(rng.randint(1, 80)))
    if kind == 2:
        return "prompt \x00 with NUL \x00" * rng.randint(1, 5)
    if kind == 3:
        return "x" * rng.choice((LIMIT // 2, LIMIT * 2, LIMIT * 5))
    if kind == 4:
        return "lone \ud800 surrogate \udfff" + " word" * rng.randint(5, 10)
    return "\r\n".join(rng.choice(WORDS) for _ in range(rng.randint(2, 20)))


def hostile_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9)
    if kind < 4 or depth > 3:
        return hostile_text(rng)
    if kind == 4:
        return rng.choice((42, -1.5e308, True, None, [], {}))
    if kind == 5:
        value: Any = hostile_text(rng)
        for _ in range(rng.choice((10, 200, 1200))):
            value = [value] if rng.random() < 0.5 else {"k": value}
        return value
    if kind == 6:
        return [hostile_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {hostile_text(rng)[:20]: hostile_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def hostile_record(rng: random.Random) -> Any:
    value = hostile_value(rng)
    kind = rng.randrange(8)
    if kind == 0:
        return {"prompt": value}
    if kind == 1:
        return {"conversation": [{"role": rng.choice(("user", "assistant", 7, None)),
                                  "content": value}], "language": hostile_value(rng)}
    if kind == 2:
        return {"messages": value}
    if kind == 3:
        return {"turns": value}
    if kind == 4:
        return {"conversations": [{"from": "human", "value": value}]}
    if kind == 5:
        return {hostile_text(rng)[:30]: value}
    if kind == 6:
        return value   # not an object at all
    return {"prompt": " ".join(rng.choice(WORDS) for _ in range(12)), "flagged": value}


_SURROGATE = re.compile("[\ud800-\udfff]")


def json_text(record: Any) -> str:
    """JSON text of `record`, lone surrogates as JSON escapes (as a JSON writer would)."""
    try:
        text = json.dumps(record, ensure_ascii=False)
    except (RecursionError, ValueError):
        return "[" * 5000 + "]" * 5000
    return _SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def render(rng: random.Random, fmt: str, records: list[Any]) -> bytes:
    """The records as one file of `fmt` (bytes, before any whole-file spoiling)."""
    if fmt == "jsonl":
        lines = [json_text(r) if rng.random() < 0.9 else rng.choice(
            ('{"prompt": "cut', "[" * 3000, "\x00\x01\x02", "not json")) for r in records]
        return "\n".join(lines).encode("utf-8", "replace")
    if fmt == "json":
        return ("[" + ",\n".join(json_text(r) for r in records) + "]").encode(
            "utf-8", "replace")
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["prompt", "meta"])
        for record in records:
            text = record.get("prompt") if isinstance(record, dict) else None
            row = [text if isinstance(text, str) else json_text(record), hostile_text(rng)]
            writer.writerow(row[: rng.choice((1, 2, 2, 2))] + ([] if rng.random() < 0.9
                                                               else ["extra"]))
        text = out.getvalue()
        if rng.random() < 0.2:
            text += '"an unterminated quote\n'
        return text.encode("utf-8", "replace")
    columns = {"prompt": [r.get("prompt") if isinstance(r, dict) and isinstance(
        r.get("prompt"), str) else None for r in records]}
    if rng.random() < 0.5:
        columns["prompt"] = [len(json_text(r)) for r in records]   # wrong type: integers
    table = pa.table({name: pa.array([None if v is None else
                                      (v.encode("utf-8", "replace").decode("utf-8")
                                       if isinstance(v, str) else v) for v in values])
                      for name, values in columns.items()})
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def spoil(rng: random.Random, fmt: str, data: bytes) -> bytes:
    """Whole-file damage: another encoding, CRLF, a binary line, a cut-off end."""
    kind = rng.randrange(8)
    if fmt != "parquet" and kind == 0:
        encoding = rng.choice(("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig"))
        return data.decode("utf-8", "replace").encode(encoding, "replace")
    if fmt != "parquet" and kind == 1:
        return data.decode("utf-8", "replace").encode("latin-1", "replace")
    if fmt != "parquet" and kind == 2:
        return data.replace(b"\n", b"\r\n")
    if kind == 3:
        cut = rng.randrange(len(data)) if data else 0
        return data[:cut]
    if kind == 4:
        return data + b"\n\xff\xfe\x00garbage\x00\n" + bytes(rng.randrange(256) for _ in range(64))
    return data


SUFFIX = {"jsonl": ".jsonl", "json": ".json", "csv": ".csv", "parquet": ".parquet"}


def make_case(rng: random.Random, folder: Path, number: int) -> Path:
    fmt = rng.choice(tuple(SUFFIX))
    records = [hostile_record(rng) for _ in range(rng.randint(1, 12))]
    good = {"prompt": "Explain how a hash map handles collisions, with an example in Python."}
    records.insert(rng.randrange(len(records) + 1), good)
    data = spoil(rng, fmt, render(rng, fmt, records))
    name = f"case{number}{SUFFIX[fmt]}"
    if rng.random() < 0.25:
        data = gzip.compress(data)
        if rng.random() < 0.3:
            data = data[: rng.randrange(1, max(2, len(data)))]
        name += ".gz"
    path = folder / name
    path.write_bytes(data)
    return path


def check_case(path: Path, run_dir: Path, on_error: str) -> str:
    """Ingest `path`; assert the outcome is allowed; return 'ok' or 'error'."""
    run = Run(run_dir)
    config = load_config(None, {"ingest.on_error": on_error, "ingest.max_record_bytes": LIMIT,
                                "ingest.languages": [], "ingest.min_chars": 1})
    try:
        outcome = run_ingest(run, config, [path])
    except MinerError as exc:
        message = str(exc)
        assert printable(message) == message, message   # no control chars: one clean line
        assert len(message) < 2000, message
        assert message.startswith(f"{path}: ") or message.startswith("no prompts left"), message
        leftovers = sorted(p.name for p in run.path.iterdir()) if run.path.exists() else []
        assert set(leftovers) <= {"manifest.json", "config.yaml", ".lock"}, (message, leftovers)
        assert run.stage_entry("ingest") is None
        return "error"
    counts = outcome.counts
    assert counts["read"] == counts["parsed"] + counts["skipped"], counts
    if on_error == "fail":
        assert counts["skipped"] == 0
    assert pq.read_table(run.file("prompts.parquet")).num_rows == counts["kept"] > 0
    funnel = json.loads(run.file("funnel.json").read_text("utf-8"))
    assert funnel[1] == {"step": "parsed", "count": counts["parsed"],
                         "dropped": counts["skipped"]}
    assert set(p.name for p in run.path.iterdir()) == {"manifest.json", "prompts.parquet",
                                                        "funnel.json", "screened.parquet",
                                                        ".lock"}
    return "ok"


def test_fuzz_every_reader_with_hostile_files(tmp_path):
    rng = random.Random(SEED)
    outcomes: dict[str, int] = {}
    for number in range(CASES):
        path = make_case(rng, tmp_path, number)
        for on_error in ("fail", "skip"):
            try:
                result = check_case(path, tmp_path / f"run{number}-{on_error}", on_error)
            except AssertionError:
                raise
            except Exception as exc:   # an escaped exception: show which file did it
                where = f"{path.name} (on_error {on_error})"
                pytest.fail(f"{where}: {type(exc).__name__}: {exc}"[:2000])
            outcomes[f"{on_error}-{result}"] = outcomes.get(f"{on_error}-{result}", 0) + 1
    # the generator reaches both outcomes in both modes (else it fuzzes nothing)
    assert all(outcomes.get(key, 0) >= 3 for key in
               ("fail-ok", "fail-error", "skip-ok", "skip-error")), outcomes


# -- hostile config files -------------------------------------------------------------------
REAL_KEYS = ("ingest.languages", "ingest.min_chars", "select.quotas", "select.exclude_near",
             "score.judge", "judges.mine", "judges.mine.base_url", "cluster.umap.n_neighbors",
             "report.seed", "prices.m")


def alias_bomb(rng: random.Random) -> str:
    """A "billion laughs" value: each level an anchored list of aliases of the one below."""
    width, depth = rng.choice(((9, 9), (10, 8), (4, 16), (2, 40)))
    text = "&l0 [" + ", ".join(["lol"] * width) + "]"
    for level in range(1, depth):   # the level below is defined inside its first use
        text = f"&l{level} [{text}" + f", *l{level - 1}" * (width - 1) + "]"
    return text


def hostile_config_value(rng: random.Random) -> str:
    """One flow-style YAML value that a config key should refuse in one line."""
    kind = rng.randrange(8)
    if kind == 0:
        return alias_bomb(rng)
    if kind == 1:
        depth = rng.choice((50, 1000, 100_000))
        return "[" * depth + "]" * depth
    if kind == 2:
        depth = rng.choice((50, 1000, 20_000))
        return "{a: " * depth + "1" + "}" * depth
    if kind == 3:
        return "&self [1, *self]"
    if kind == 4:
        return json.dumps("x" * rng.choice((100, 100_000)) + "\u202e\x1b[31m")
    if kind == 5:
        return rng.choice(("-1e999", ".nan", "!!binary aGVsbG8=", "2026-12-04", "~", "[]"))
    if kind == 6:
        return "{" + ", ".join(f"k{i}: {i}" for i in range(rng.choice((3, 5000)))) + "}"
    return json.dumps(hostile_value(rng))


def hostile_config(rng: random.Random) -> str:
    """A YAML config file setting one real key (dotted into blocks) to a hostile value."""
    key = rng.choice(REAL_KEYS)
    parts = key.split(".")
    lines = [f"{'  ' * i}{part}:" for i, part in enumerate(parts[:-1])]
    lines.append(f"{'  ' * (len(parts) - 1)}{parts[-1]}: {hostile_config_value(rng)}")
    if parts[0] == "judges" and len(parts) == 2:
        lines[-1] = f"  mine: {{kind: plugin-kind, setting: {hostile_config_value(rng)}}}"
    return "\n".join(lines) + "\n"


def test_fuzz_the_config_reader_with_hostile_values(tmp_path):
    """Alias bombs, deep nesting, self-reference, huge and control-laden strings under real
    keys: each config loads or is one `ConfigError` line naming the file, quickly (a bomb
    expanded while its message is rendered would take minutes and gigabytes)."""
    rng = random.Random(SEED)
    outcomes: dict[str, int] = {}
    for number in range(60):
        path = tmp_path / f"config{number}.yaml"
        path.write_text(hostile_config(rng), "utf-8")
        try:
            config = load_config(path)
        except ConfigError as exc:
            message = str(exc)
            assert printable(message) == message and len(message) < 1000, message[:2000]
            assert message.startswith(f"{path}:"), message
            outcomes["error"] = outcomes.get("error", 0) + 1
            continue
        except Exception as exc:   # an escaped exception: show which file did it
            pytest.fail(f"{path.name}: {type(exc).__name__}: {exc}"[:2000])
        assert isinstance(config, dict)
        outcomes["ok"] = outcomes.get("ok", 0) + 1
    assert outcomes.get("error", 0) >= 40, outcomes


# -- hostile kinds of source: what is not a regular file --------------------------------

def _fifo(folder: Path) -> Path:
    path = folder / "pipe.jsonl"
    os.mkfifo(path)   # no writer ever opens it: reading it would wait forever
    return path


def _zero(folder: Path) -> Path:
    path = folder / "zero.jsonl"
    path.symlink_to("/dev/zero")   # a source that never ends
    return path


def _dangling(folder: Path) -> Path:
    path = folder / "gone.jsonl"
    path.symlink_to(folder / "moved-away.jsonl")
    return path


def _loop(folder: Path) -> Path:
    path = folder / "loop.jsonl"
    path.symlink_to(path.name)
    return path


HOSTILE_KINDS = {
    "fifo": (_fifo, "not a regular file (a FIFO (named pipe))"),
    "dev-zero": (_zero, "not a regular file (a character device through a symbolic link)"),
    "dangling-link": (_dangling, "a dangling symbolic link (its target "),
    "link-loop": (_loop, "a symbolic link loop"),
}


class SourceHung(Exception):
    """Not an OSError: no reader may turn it into a one-line error of its own."""


@contextlib.contextmanager
def watchdog(seconds: int):
    """Turn a hang (a blocked open, an endless read) into a failure instead of a stuck run."""
    def expire(*_: Any) -> None:
        raise SourceHung(f"still reading after {seconds} s: the source was not refused")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("how", ["named", "in a folder", "by a glob"])
@pytest.mark.parametrize("kind", HOSTILE_KINDS)
def test_sources_that_are_not_regular_files_are_one_line(tmp_path, kind, how):
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "a.jsonl").write_text(json.dumps({"prompt": "Explain how a hash map handles "
                                                          "collisions, with an example."}))
    make, problem = HOSTILE_KINDS[kind]
    path = make(folder)
    argument = {"named": path, "in a folder": folder, "by a glob": folder / "*.jsonl"}[how]
    run = Run(tmp_path / "run")
    config = load_config(None, {"ingest.on_error": "skip", "ingest.languages": []})
    with watchdog(120), pytest.raises(MinerError) as caught:
        run_ingest(run, config, [argument])
    message = str(caught.value)
    assert message.startswith(f"{path}: {problem}"), message
    assert printable(message) == message and "permission denied" not in message
    assert not run.file("prompts.parquet").exists()


def test_cli_refuses_a_link_to_dev_zero_in_one_line(tmp_path):
    path = _zero(tmp_path)
    with watchdog(120):
        result = CliRunner().invoke(main, ["ingest", str(path), "--run", str(tmp_path / "run")])
    assert_cli_error(result, f"{path}: not a regular file (a character device through a "
                             "symbolic link); ingest reads regular files only")
