"""Bad input: one line naming file, line/row and problem; skips counted; nothing half-written."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from miner.config import load_config
from miner.errors import ConfigError, InputError
from miner.ingest import read_prompt_texts, run_ingest
from miner.run import Run
from tests.cli_errors import assert_cli_error
from tests.ingest_fixtures import PROMPT_A, PROMPT_B, PROMPT_C, write_csv, write_jsonl

SKIP = {"ingest.on_error": "skip"}


def ingest_error(tmp_path, source, overrides=None) -> str:
    run = Run(tmp_path / "run")
    with pytest.raises(InputError) as caught:
        run_ingest(run, load_config(None, overrides), [source])
    message = str(caught.value)
    assert "\n" not in message
    assert_nothing_written(run)
    return message


def assert_nothing_written(run: Run) -> None:
    leftovers = sorted(p.name for p in run.path.iterdir()) if run.path.exists() else []
    assert not [name for name in leftovers if name not in ("manifest.json", "config.yaml", ".lock")]
    assert run.stage_entry("ingest") is None


def good_line(text: str = PROMPT_A) -> str:
    return json.dumps({"prompt": text})


def test_malformed_json_line_names_file_and_line(tmp_path):
    path = tmp_path / "log.jsonl"
    lines = [good_line(), '{"prompt": "unterminated', good_line(PROMPT_B)]
    path.write_text("\n".join(lines) + "\n")
    message = ingest_error(tmp_path, path)
    assert message.startswith(f"{path}: line 2: invalid JSON")
    assert "--on-error skip" in message


def test_on_error_skip_counts_skipped_rows(tmp_path):
    path = tmp_path / "log.jsonl"
    lines = [good_line(), "not json at all", json.dumps({"body": "?"}), json.dumps([1, 2]),
             json.dumps({"conversation": "oops"}), "", good_line(PROMPT_B)]
    path.write_text("\n".join(lines) + "\n")
    run = Run(tmp_path / "run")
    outcome = run_ingest(run, load_config(None, SKIP), [path])
    assert outcome.counts["read"] == 6 and outcome.counts["skipped"] == 4
    funnel = json.loads(run.file("funnel.json").read_text())
    assert funnel[1] == {"step": "parsed", "count": 2, "dropped": 4}


def test_unrecognised_record_names_its_fields_and_suggests_text_field(tmp_path):
    path = write_jsonl(tmp_path / "odd.jsonl", [{"body": PROMPT_A, "author": "me"}])
    message = ingest_error(tmp_path, path)
    assert message.startswith(f"{path}: line 1: unrecognised record (fields seen: body, author)")
    assert "--text-field NAME" in message


@pytest.mark.parametrize("record,problem", [
    ({"conversation": "hello"}, "'conversation' must be a list of messages, got a string"),
    ({"messages": [{"content": "no role"}]}, "'messages'[0] has no 'role' (or 'from')"),
    ({"conversations": ["x"]}, "'conversations'[0] must be an object, got a string"),
    ({"turns": [{"text": "x"}]}, "'turns'[0] must be a string or an object with 'content'"),
    ({"prompt": 42}, "'prompt' must be text, got int"),
    ("just a string", "expected an object (a record), got a string"),
])
def test_badly_shaped_records(tmp_path, record, problem):
    path = write_jsonl(tmp_path / "bad.jsonl", [record])
    assert ingest_error(tmp_path, path) == (
        f"{path}: line 1: {problem} (use --on-error skip to skip such rows)"
    )


def test_hostile_field_names_stay_on_one_bounded_line(tmp_path):
    record = {f"field\n{i}" + "x" * 500: i for i in range(50)}
    path = write_jsonl(tmp_path / "hostile.jsonl", [record])
    message = ingest_error(tmp_path, path)
    assert len(message) < 1200 and "and 38 more" in message


def test_over_long_line_is_reported_without_reading_it_whole(tmp_path):
    path = tmp_path / "huge.jsonl"
    with open(path, "w") as handle:
        handle.write(good_line() + "\n")
        handle.write('{"prompt": "' + "y" * 30_000_000 + '"}\n')
        handle.write(good_line(PROMPT_B) + "\n")
    overrides = {"ingest.max_record_bytes": 1 << 20}
    message = ingest_error(tmp_path, path, overrides)
    assert message.startswith(f"{path}: line 2: line is longer than the 1,048,576-byte limit")
    tracemalloc.start()
    try:
        texts = read_prompt_texts([path], load_config(None, {**overrides, **SKIP}))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert texts == [PROMPT_A, PROMPT_B]
    assert peak < 8 << 20


def test_over_long_line_in_gzip_and_csv(tmp_path):
    limit = {"ingest.max_record_bytes": 4096, **SKIP}
    gz = tmp_path / "huge.jsonl.gz"
    with gzip.open(gz, "wt") as handle:
        handle.write("\n".join([good_line(), good_line("z" * 100_000), good_line(PROMPT_B)]))
    assert read_prompt_texts([gz], load_config(None, limit)) == [PROMPT_A, PROMPT_B]
    csv_path = tmp_path / "huge.csv"
    csv_path.write_text(f"prompt\n\"{PROMPT_A}\"\n{'z' * 100_000}\n{PROMPT_B}\n")
    assert read_prompt_texts([csv_path], load_config(None, limit)) == [PROMPT_A, PROMPT_B]
    message = ingest_error(tmp_path, csv_path, {"ingest.max_record_bytes": 4096})
    assert message.startswith(f"{csv_path}: row 2: line is longer than the 4,096-byte limit")


def test_csv_row_with_wrong_field_count(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(f'prompt,id\n"{PROMPT_A}",1\n"{PROMPT_B}",2,extra\n"{PROMPT_C}",3\n')
    message = ingest_error(tmp_path, path)
    assert message.startswith(f"{path}: row 2: has 3 fields, the header has 2")
    assert read_prompt_texts([path], load_config(None, SKIP)) == [PROMPT_A, PROMPT_C]


def test_csv_with_nested_json_cells_and_string_booleans(tmp_path):
    records = [{"conversation_id": "c1", "conversation": [{"role": "user", "content": PROMPT_A}],
                "language": "English", "redacted": "True"},
               {"conversation_id": "c2", "conversation": [{"role": "user", "content": PROMPT_B}],
                "language": "English", "redacted": "False"}]
    path = write_csv(tmp_path / "export.csv", records)
    run = Run(tmp_path / "run")
    assert run_ingest(run, load_config(), [path]).counts["kept"] == 1


def test_broken_json_array_element_is_fatal_with_its_number(tmp_path):
    path = tmp_path / "array.json"
    elements = [good_line(), '{"prompt": oops}', good_line(PROMPT_B)]
    path.write_text("[" + ",\n".join(elements) + "]")
    message = ingest_error(tmp_path, path, SKIP)
    assert message.startswith(f"{path}: element 2 invalid JSON: Expecting value")
    assert "cannot be resumed" in message


@pytest.mark.parametrize("content,problem", [
    ('{"prompt": "a"} {"x"', "line 1: invalid JSON"),
    ('"just a string"', "expected a JSON array of records"),
    ('[{"prompt": "a"}', "element 2 invalid JSON: the array ends before its closing"),
    ('[{"prompt": "a"} {"prompt": "b"}]', "expected ',' or ']' after element 1"),
])
def test_json_array_structure_errors(tmp_path, content, problem):
    path = tmp_path / "array.json"
    path.write_text(content)
    assert problem in ingest_error(tmp_path, path)


def test_json_array_streams_elements_across_read_blocks(tmp_path):
    texts = [f"{PROMPT_A} number {i} " + "w" * (i * 997 % 9000) for i in range(600)]
    path = tmp_path / "big.json"
    path.write_text(json.dumps([{"prompt": text, "score": 1.5e-3} for text in texts], indent=1))
    assert path.stat().st_size > 2 << 20
    assert read_prompt_texts([path], load_config()) == [text.strip() for text in texts]


@pytest.mark.parametrize("name,content,problem", [
    ("notes.txt", b"plain words", "unknown format"),
    ("data.parquet", b"this is not parquet", "not a Parquet file"),
    ("data.jsonl.gz", b'{"prompt": "x"}\n', "named .gz but is not gzip data"),
    ("data.jsonl.gz", gzip.compress(b'{"prompt": "x"}\n' * 100)[:40], "cannot read"),
])
def test_unknown_unreadable_and_corrupt_files(tmp_path, name, content, problem):
    path = tmp_path / name
    path.write_bytes(content)
    message = ingest_error(tmp_path, path)
    assert message.startswith(f"{path}: ") and problem in message


def test_file_that_cannot_be_read(tmp_path):
    path = tmp_path / "log.jsonl"
    os.symlink("/proc/self/mem", path)   # unreadable even for root: every read fails with EIO
    message = ingest_error(tmp_path, path)
    assert message.startswith(f"{path}: cannot read")


def test_extensionless_file_is_detected_by_content(tmp_path):
    path = tmp_path / "export"
    path.write_text(good_line() + "\n")
    assert read_prompt_texts([path], load_config()) == [PROMPT_A]


@pytest.mark.parametrize("argument,problem", [
    ("missing.jsonl", "missing.jsonl: no such file or folder"),
    ("logs/*.jsonl", "no files match this pattern"),
    ("empty-folder", "no files of a known format in this folder"),
])
def test_missing_sources(tmp_path, monkeypatch, argument, problem):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty-folder").mkdir()
    (tmp_path / "empty-folder" / "readme.md").write_text("hi")
    assert problem in ingest_error(tmp_path, argument)


def test_hub_id_offline_fails_with_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    message = ingest_error(tmp_path, "lmsys/lmsys-chat-1m")
    assert message.startswith("lmsys/lmsys-chat-1m: not a local file or folder")
    assert "offline" in message


def test_hub_id_without_datasets_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.setitem(sys.modules, "datasets", None)   # makes `import datasets` fail
    message = ingest_error(tmp_path, "lmsys/lmsys-chat-1m")
    assert message == ("lmsys/lmsys-chat-1m: reading a hub dataset needs the `datasets` "
                       "package: pip install 'miner[hub]'")


@pytest.mark.parametrize("content", ["", "\n\n", "[]"])
def test_empty_input_writes_nothing(tmp_path, content):
    path = tmp_path / "empty.json"
    path.write_text(content)
    assert "no prompts left to write (read 0" in ingest_error(tmp_path, path)


def test_everything_filtered_writes_nothing_and_keeps_earlier_artifacts(tmp_path):
    good = write_jsonl(tmp_path / "good.jsonl", [{"prompt": PROMPT_A}])
    run = Run(tmp_path / "run")
    run_ingest(run, load_config(), [good])
    before = run.file("prompts.parquet").read_bytes()
    short = write_jsonl(tmp_path / "short.jsonl", [{"prompt": "too short"}])
    with pytest.raises(InputError, match=r"at least 33 chars 0 ->.*nothing was written"):
        run_ingest(run, load_config(), [short])
    assert run.file("prompts.parquet").read_bytes() == before
    assert sorted(p.name for p in run.path.iterdir()) == [".lock", "funnel.json",
                                                          "manifest.json", "prompts.parquet",
                                                          "screened.parquet"]


@pytest.mark.parametrize("overrides,problem", [
    ({"ingest.turns": "last"}, "'ingest.turns' must be one of first, joined, each"),
    ({"ingest.on_error": "ignore"}, "'ingest.on_error' must be one of fail, skip"),
    ({"ingest.min_chars": 500, "ingest.max_chars": 100}, "is above 'ingest.max_chars'"),
])
def test_bad_settings(tmp_path, overrides, problem):
    path = write_jsonl(tmp_path / "log.jsonl", [{"prompt": PROMPT_A}])
    with pytest.raises(ConfigError, match=problem):
        run_ingest(Run(tmp_path / "run"), load_config(None, overrides), [path])


# -- the command line -------------------------------------------------------------------

def miner(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    code = "import sys; from miner.cli import main; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_cli_ingests_prints_the_funnel_and_skips_when_unchanged(tmp_path):
    write_jsonl(tmp_path / "log.jsonl", [{"prompt": PROMPT_A}, {"prompt": PROMPT_A},
                                         {"prompt": "short"}])
    done = miner("ingest", "log.jsonl", "--run", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "distinct (exact duplicates marked dup_of)" in done.stdout
    assert "at least 33 chars" in done.stdout and "(-1)" in done.stdout
    # no record has a moderation field: the funnel says so instead of a step that checked nothing
    assert "no moderation data" in done.stdout and "not moderation-flagged" not in done.stdout
    again = miner("ingest", "log.jsonl", "--run", "out", "--json", cwd=tmp_path)
    assert "ingest: up to date, skipped" in again.stderr
    report = json.loads(again.stdout)
    assert report["skipped"] and report["counts"]["distinct"] == 1
    assert [step["count"] for step in report["funnel"]] == [3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 1]


def test_cli_flags_reach_the_config(tmp_path):
    write_jsonl(tmp_path / "log.jsonl", [{"body": "short one"}])
    done = miner("ingest", "log.jsonl", "--run", "out", "--text-field", "body", "--min-chars", "3",
                 "--language", "all", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["counts"]["kept"] == 1


@pytest.mark.parametrize("content,extra,expected", [
    ('{"prompt": "a"\n', [], "error: log.jsonl: line 1: invalid JSON"),
    ('{"other": 1}\n', [], "error: log.jsonl: line 1: unrecognised record (fields seen: other)"),
    ('{"prompt": "a"\n', ["--on-error", "skip"], "error: no prompts left to write (read 1"),
])
def test_cli_errors_are_one_line_without_traceback(tmp_path, content, extra, expected):
    (tmp_path / "log.jsonl").write_text(content)
    done = miner("ingest", "log.jsonl", "--run", "out", *extra, cwd=tmp_path)
    line = assert_cli_error(done, expected)
    assert line.startswith(expected) and done.stderr.splitlines()[-1] == line
    assert not (tmp_path / "out" / "prompts.parquet").exists()
