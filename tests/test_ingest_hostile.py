"""Hostile input found by an adversarial run (issue 13): nesting, line breaks, encodings, loops,
escapes in messages, and the language of prompts that hold code."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest
from click.testing import CliRunner

from miner.cli import main
from miner.config import load_config
from miner.ingest import read_prompt_texts, run_ingest
from miner.ingest.languages import detect_language
from miner.ingest.prose import prose_of
from miner.ingest.sources import resolve_sources
from miner.run import Run
from tests.cli_errors import assert_cli_error
from tests.ingest_fixtures import (
    PROMPT_A,
    PROMPT_B,
    PROMPT_C,
    write_csv,
    write_json_array,
    write_jsonl,
    write_parquet,
)
from tests.language_fixtures import ENGLISH_WITH_CODE, OTHER_WITH_CODE
from tests.test_ingest_errors import SKIP, ingest_error

DEEP = "[" * 1000 + "]" * 1000   # 2 KB that Python's JSON parser cannot follow


# -- 1. deep nesting ----------------------------------------------------------------------

def test_deeply_nested_jsonl_line_is_one_line_error_and_skippable(tmp_path):
    path = tmp_path / "deep.jsonl"
    lines = [json.dumps({"prompt": PROMPT_A}), '{"prompt": "x", "meta": ' + DEEP + "}",
             json.dumps({"prompt": PROMPT_B})]
    path.write_text("\n".join(lines) + "\n")
    assert ingest_error(tmp_path, path) == (
        f"{path}: line 2: invalid JSON (nested too deeply) (use --on-error skip to skip such rows)"
    )
    assert read_prompt_texts([path], load_config(None, SKIP)) == [PROMPT_A, PROMPT_B]


def test_deeply_nested_json_array_element_is_one_line_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" + json.dumps({"prompt": PROMPT_A}) + ', {"meta": ' + DEEP + "}]")
    message = ingest_error(tmp_path, path, SKIP)
    assert message.startswith(f"{path}: element 2 is nested too deeply")


def test_deeply_nested_csv_cell_is_one_line_error_and_skippable(tmp_path):
    path = tmp_path / "deep.csv"
    path.write_text(f'prompt,meta\n"{PROMPT_A}",1\n"{PROMPT_B}",{DEEP}\n"{PROMPT_C}",3\n')
    assert ingest_error(tmp_path, path) == (
        f"{path}: row 2: a cell holds JSON nested too deeply (use --on-error skip to skip "
        "such rows)"
    )
    assert read_prompt_texts([path], load_config(None, SKIP)) == [PROMPT_A, PROMPT_C]


# -- 4. line breaks -------------------------------------------------------------------------

MULTILINE = f"{PROMPT_A}\r\nand then\r\nexplained it again,\nslowly."


def test_csv_keeps_line_breaks_and_every_format_gives_the_same_text_and_hash(tmp_path):
    records = [{"prompt": MULTILINE}]
    paths = [write_csv(tmp_path / "log.csv", records),
             write_csv(tmp_path / "log.csv.gz", records, gz=True),
             write_jsonl(tmp_path / "log.jsonl", records),
             write_json_array(tmp_path / "log.json", records),
             write_parquet(tmp_path / "log.parquet", records)]
    assert b"\r\nand then" in paths[0].read_bytes()
    expected = MULTILINE.replace("\r\n", "\n")
    for path in paths:
        assert read_prompt_texts([path], load_config()) == [expected], path
    run = Run(tmp_path / "run")
    run_ingest(run, load_config(), paths)
    frame = pd.read_parquet(run.file("prompts.parquet"))
    assert frame["text"].tolist() == [expected] * len(paths)
    assert frame["hash"].nunique() == 1
    assert frame["dup_of"].tolist()[1:] == [frame["id"].tolist()[0]] * (len(paths) - 1)


# -- 5. encodings ---------------------------------------------------------------------------

RECORDS = [{"prompt": f"{PROMPT_A} (number {i}, naïve café)"} for i in range(20)]
TEXTS = [record["prompt"] for record in RECORDS]


def jsonl_text() -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in RECORDS)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig",
                                      "utf-32"])
def test_files_with_a_byte_order_mark_are_decoded(tmp_path, encoding):
    data = jsonl_text().encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):   # these codecs write no mark: add it
        data = "\ufeff".encode(encoding) + data
    for name in ("log.jsonl", "export"):   # by name, and by content alone
        path = tmp_path / name
        path.write_bytes(data)
        assert read_prompt_texts([path], load_config()) == TEXTS
    array = tmp_path / "log.json"
    array.write_bytes(json.dumps(RECORDS, ensure_ascii=False).encode("utf-16"))
    assert read_prompt_texts([array], load_config()) == TEXTS
    table = tmp_path / "log.csv"
    table.write_bytes(("prompt\n" + "".join(f'"{t}"\n' for t in TEXTS)).encode("utf-16"))
    assert read_prompt_texts([table], load_config()) == TEXTS


@pytest.mark.parametrize("codec,kind", [("utf-16-le", "UTF-16LE"), ("utf-16-be", "UTF-16BE")])
def test_utf16_without_a_mark_is_one_line_saying_how_to_convert(tmp_path, codec, kind):
    path = tmp_path / "log.jsonl"
    path.write_bytes(jsonl_text().encode(codec))
    for overrides in (None, SKIP):   # never a silent 1-of-20
        message = ingest_error(tmp_path, path, overrides)
        assert message == (f"{path}: looks like {kind} text without a byte-order mark; convert "
                           f"it to UTF-8 (iconv -f {kind} -t UTF-8 FILE > FILE.utf8) and "
                           "ingest that")


NON_LATIN = ["请解释一下哈希表是如何处理冲突的，并给出一个用 Python 写的例子。",
             "Объясните, как хеш-таблица обрабатывает коллизии, и приведите пример.",
             "ハッシュマップの衝突処理を、例を挙げて説明してください。　お願いします。"]


@pytest.mark.parametrize("codec,kind", [("utf-16-le", "UTF-16LE"), ("utf-16-be", "UTF-16BE")])
@pytest.mark.parametrize("name", ["log.jsonl", "log.json", "log.csv"])
def test_utf16_without_a_mark_in_a_non_latin_script_says_so(tmp_path, codec, kind, name):
    """Chinese or Russian text has no NUL bytes in UTF-16: only the markup's ASCII does."""
    records = [{"prompt": text} for text in NON_LATIN * 4]
    if name.endswith(".csv"):
        text = "prompt\n" + "".join(f'"{record["prompt"]}"\n' for record in records)
    elif name.endswith(".json"):
        text = json.dumps(records, ensure_ascii=False)
    else:
        text = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    path = tmp_path / name
    path.write_bytes(text.encode(codec))
    message = ingest_error(tmp_path, path, SKIP)
    assert message == (f"{path}: looks like {kind} text without a byte-order mark; convert "
                       f"it to UTF-8 (iconv -f {kind} -t UTF-8 FILE > FILE.utf8) and ingest that")
    path.write_bytes(text.encode("utf-8"))   # the same text in UTF-8 is read as it is
    assert read_prompt_texts([path], load_config(None, SKIP)) == [r["prompt"] for r in records]


def test_latin1_lines_are_reported_as_not_utf8(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_bytes(jsonl_text().encode("latin-1"))
    message = ingest_error(tmp_path, path)
    assert message.startswith(f"{path}: line 1: not UTF-8 text ('utf-8' codec can't decode")


def test_broken_utf16_after_its_mark_is_one_line_error(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_bytes(jsonl_text().encode("utf-16") + b"\x00\xd8\x41\x00\n\x00")  # lone surrogate
    message = ingest_error(tmp_path, path, SKIP)
    assert message.startswith(f"{path}: not valid UTF-16-LE text, although its byte-order mark")


# -- 6. symbolic link loops -------------------------------------------------------------

def test_glob_through_a_symlink_loop_reads_each_file_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "loop" / "sub").mkdir(parents=True)
    write_jsonl(tmp_path / "loop" / "a.jsonl", [{"prompt": PROMPT_A}])
    write_jsonl(tmp_path / "loop" / "sub" / "b.jsonl", [{"prompt": PROMPT_B}])
    os.symlink("..", tmp_path / "loop" / "sub" / "back")
    os.symlink("..", tmp_path / "loop" / "sub" / "again")   # two loops: 2^40 paths to glob
    os.symlink("a.jsonl", tmp_path / "loop" / "alias.jsonl")
    sources = resolve_sources(["loop/**/*.jsonl"])
    assert [source.label for source in sources] == ["loop/a.jsonl", "loop/sub/b.jsonl"]
    assert read_prompt_texts(["loop/**/*.jsonl"], load_config()) == [PROMPT_A, PROMPT_B]
    run = Run(tmp_path / "run")
    outcome = run_ingest(run, load_config(), ["loop/**/*.jsonl", "loop/alias.jsonl", "loop"])
    assert outcome.counts["read"] == 2


def test_recursive_glob_keeps_globs_rules(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("top.jsonl", "d/one.jsonl", "d/e/two.jsonl", ".hidden/three.jsonl",
                 "d/.four.jsonl", "d/e/five.csv"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        write_jsonl(tmp_path / name, [{"prompt": PROMPT_A}])
    labels = [source.label for source in resolve_sources(["**/*.jsonl"])]
    assert labels == ["d/e/two.jsonl", "d/one.jsonl", "top.jsonl"]
    absolute = [source.label for source in resolve_sources([f"{tmp_path}/d/**/t*.jsonl"])]
    assert absolute == [f"{tmp_path}/d/e/two.jsonl"]


# -- untrusted text in messages ---------------------------------------------------------

def test_control_characters_in_field_names_are_escaped_in_the_error_line(tmp_path):
    path = write_jsonl(tmp_path / "log.jsonl", [{"\x1b[31mred\x1b[0m \u202eevil": PROMPT_A}])
    result = CliRunner().invoke(main, ["ingest", str(path), "--run", str(tmp_path / "run")])
    line = assert_cli_error(result, str(path), "line 1: unrecognised record")
    assert "\x1b" not in line and "\u202e" not in line
    assert "(fields seen: \\x1b[31mred\\x1b[0m \\u202eevil)" in line


# -- 8. language detection of prompts holding code -------------------------------------

def test_english_prompts_holding_code_pass_the_english_filter(tmp_path):
    path = write_jsonl(tmp_path / "code.jsonl", [{"prompt": text} for text in ENGLISH_WITH_CODE])
    run = Run(tmp_path / "run")
    run_ingest(run, load_config(None, {"ingest.min_chars": 1}), [path])
    funnel = {step["step"]: step for step in json.loads(run.file("funnel.json").read_text())}
    assert funnel["language in en"]["dropped"] == 0
    frame = pd.read_parquet(run.file("prompts.parquet"))
    assert frame["language"].tolist() == ["en"] * len(ENGLISH_WITH_CODE)


@pytest.mark.parametrize("code,text", OTHER_WITH_CODE)
def test_other_languages_holding_code_keep_their_language(code, text):
    assert detect_language(text, {"en"}) == code


def test_prose_leaves_out_code_but_keeps_a_prompt_that_is_all_code():
    text = ("How would you write this java code? public void run() {\n  x = 1;\n}\n"
            "```python\nimport os\n```\nand why does `os.walk` skip links?")
    assert prose_of(text) == "How would you write this java code?\nand why does   skip links?"
    code = "for (i = 0; i < n; i++) {\n  total += xs[i];\n}"
    assert prose_of(code) == code
