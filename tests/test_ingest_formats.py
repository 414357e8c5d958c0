"""Ingest reads every listed source format and recognises every listed record schema."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from miner.config import load_config
from miner.ingest import read_prompt_texts, run_ingest
from miner.ingest.schemas import recognise
from miner.ingest.sources import resolve_sources
from miner.run import Run
from tests.ingest_fixtures import (
    PROMPT_A,
    PROMPT_B,
    PROMPT_C,
    arena_battle,
    arena_hard_old,
    arena_hard_v01,
    arena_hard_v2,
    lmsys,
    mt_bench,
    openai_chat,
    save_to_disk,
    sharegpt,
    wildchat,
    write_csv,
    write_json_array,
    write_jsonl,
    write_parquet,
)

ALL_LANGUAGES = {"ingest.languages": []}

SCHEMAS = {
    "lmsys-chat": lmsys("c1", [PROMPT_A, PROMPT_B]),
    "wildchat": wildchat("h1", [PROMPT_A, PROMPT_B]),
    "arena-battle": arena_battle("q1", [PROMPT_A, PROMPT_B]),
    "sharegpt": sharegpt("s1", [PROMPT_A, PROMPT_B]),
    "openai-chat": openai_chat([PROMPT_A, PROMPT_B]),
    "openai-chat-parts": openai_chat([PROMPT_A, PROMPT_B], parts=True),
    "arena-hard-v0.1": arena_hard_v01("u1", PROMPT_A),
    "arena-hard-v2.0": arena_hard_v2("u2", PROMPT_A),
    "arena-hard-old": arena_hard_old("q9", PROMPT_A),
    "mt-bench": mt_bench(81, [PROMPT_A, PROMPT_B]),
    "flat-prompt": {"prompt": PROMPT_A, "id": "p1"},
    "flat-text": {"text": PROMPT_A},
    "flat-question": {"question": PROMPT_A, "answer": "42"},
}
EXPECTED_FORMAT = {
    "openai-chat-parts": "openai-chat", "arena-hard-v0.1": "arena-hard",
    "arena-hard-v2.0": "arena-hard", "arena-hard-old": "arena-hard", "flat-prompt": "flat",
    "flat-text": "flat", "flat-question": "flat",
}
MULTI_TURN = {"lmsys-chat", "wildchat", "arena-battle", "sharegpt", "openai-chat",
              "openai-chat-parts", "mt-bench"}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_schema_is_recognised_by_its_fields(tmp_path, name):
    record = SCHEMAS[name]
    conversation = recognise(record)
    assert conversation.format == EXPECTED_FORMAT.get(name, name)
    path = write_jsonl(tmp_path / f"{name}.jsonl", [record])
    first = read_prompt_texts([path], load_config(None, ALL_LANGUAGES))
    assert first == [PROMPT_A]
    joined = read_prompt_texts([path], load_config(None, {"ingest.turns": "joined"}))
    expected = f"{PROMPT_A}\n\n{PROMPT_B}" if name in MULTI_TURN else PROMPT_A
    assert joined == [expected]


def test_conversation_metadata_is_read():
    conversation = recognise(lmsys("conv-7", [PROMPT_A], language="German", flagged=True))
    assert (conversation.conversation_id, conversation.language) == ("conv-7", "German")
    assert conversation.flagged and not conversation.redacted
    assert recognise(wildchat("hash-3", [PROMPT_A], toxic=True)).flagged
    assert recognise(wildchat("hash-3", [PROMPT_A])).conversation_id == "hash-3"
    assert recognise(arena_battle("qid", [PROMPT_A])).conversation_id == "qid"
    assert recognise(mt_bench(81, [PROMPT_A])).conversation_id == "81"


def test_alpaca_instruction_joins_its_input():
    record = {"instruction": "Translate this sentence into French please.", "input": "Good morning",
              "output": "Bonjour"}
    expected = "Translate this sentence into French please.\n\nGood morning"
    assert recognise(record).user_turns == [expected]


def test_untrusted_text_is_stored_as_valid_utf8(tmp_path):
    path = tmp_path / "odd.jsonl"
    text = f"{PROMPT_A} <script>alert(1)</script> \\ud800 lone surrogate\\u0000 and a NUL"
    path.write_text('{"prompt": "' + text + '"}\n')   # JSON escapes: a lone surrogate, a NUL
    run = Run(tmp_path / "run")
    run_ingest(run, load_config(), [path])
    stored = pd.read_parquet(run.file("prompts.parquet"))["text"].item()
    assert stored.startswith(PROMPT_A + " <script>alert(1)</script> ")
    assert "\ud800" not in stored and "\x00" not in stored and "lone surrogate" in stored


def test_text_field_reads_a_named_field(tmp_path):
    path = write_jsonl(tmp_path / "custom.jsonl", [{"body": PROMPT_C, "prompt": "not this one"}])
    config = load_config(None, {"ingest.text_field": "body"})
    assert read_prompt_texts([path], config) == [PROMPT_C]


def lmsys_records() -> list[dict]:
    return [lmsys(f"c{i}", [f"{PROMPT_A} (variant {i})", PROMPT_B]) for i in range(3)]


EXPECTED_TEXTS = [f"{PROMPT_A} (variant {i})" for i in range(3)]


@pytest.mark.parametrize("name,writer,gz", [
    ("data.jsonl", write_jsonl, False),
    ("data.jsonl.gz", write_jsonl, True),
    ("data.json", write_json_array, False),
    ("data.json.gz", write_json_array, True),
    ("data.parquet", write_parquet, False),
    ("data.parquet.gz", write_parquet, True),
    ("data.csv", write_csv, False),
    ("data.csv.gz", write_csv, True),
])
def test_every_file_format_reads_the_same_prompts(tmp_path, name, writer, gz):
    path = writer(tmp_path / name, lmsys_records(), gz=gz)
    assert read_prompt_texts([path], load_config()) == EXPECTED_TEXTS
    run = Run(tmp_path / "run")
    run_ingest(run, load_config(), [path])
    frame = pd.read_parquet(run.file("prompts.parquet"))
    assert frame["text"].tolist() == EXPECTED_TEXTS
    assert frame["conversation_id"].tolist() == ["c0", "c1", "c2"]
    assert frame["format"].unique().tolist() == ["lmsys-chat"]
    assert frame["language"].unique().tolist() == ["en"]
    assert frame["row"].tolist() == [1, 2, 3]


def test_json_file_holding_json_lines_is_read_as_lines(tmp_path):
    path = write_jsonl(tmp_path / "lines.json", lmsys_records())
    assert resolve_sources([str(path)])[0].format == "jsonl"
    assert read_prompt_texts([path], load_config()) == EXPECTED_TEXTS


def test_gzip_is_recognised_by_its_bytes_without_the_suffix(tmp_path):
    path = write_jsonl(tmp_path / "data.jsonl", lmsys_records(), gz=True)
    with gzip.open(path) as handle:
        assert handle.read(1) == b"{"
    assert read_prompt_texts([path], load_config()) == EXPECTED_TEXTS


def test_save_to_disk_folders_dataset_and_dataset_dict(tmp_path):
    records = [{"prompt": text, "id": str(i)} for i, text in enumerate(EXPECTED_TEXTS)]
    single = save_to_disk(tmp_path / "single", lmsys_records())
    assert read_prompt_texts([single], load_config()) == EXPECTED_TEXTS
    both = save_to_disk(tmp_path / "both", records, splits=("train", "test"))
    sources = resolve_sources([str(both)])
    assert [source.label for source in sources] == [f"{both}[train]", f"{both}[test]"]
    assert read_prompt_texts([both], load_config()) == EXPECTED_TEXTS * 2


def test_folder_and_glob_read_every_known_file_in_name_order(tmp_path):
    folder = tmp_path / "logs"
    (folder / "nested").mkdir(parents=True)
    write_jsonl(folder / "b.jsonl", [{"prompt": EXPECTED_TEXTS[1]}])
    write_jsonl(folder / "a.jsonl.gz", [{"prompt": EXPECTED_TEXTS[0]}], gz=True)
    write_parquet(folder / "nested" / "c.parquet", [{"prompt": EXPECTED_TEXTS[2]}])
    (folder / "notes.txt").write_text("not data")
    assert read_prompt_texts([folder], load_config()) == EXPECTED_TEXTS
    glob = str(folder / "**" / "*.*")
    assert read_prompt_texts([glob], load_config()) == EXPECTED_TEXTS
    only_jsonl = str(folder / "*.jsonl*")
    assert read_prompt_texts([only_jsonl], load_config()) == EXPECTED_TEXTS[:2]


def test_mixed_schemas_and_formats_in_one_ingest(tmp_path):
    sources = [
        write_jsonl(tmp_path / "lmsys.jsonl", [lmsys("c1", [PROMPT_A])]),
        write_json_array(tmp_path / "sharegpt.json", [sharegpt("s1", [PROMPT_B])]),
        write_parquet(tmp_path / "arena.parquet", [arena_battle("q1", [PROMPT_C])]),
        write_jsonl(tmp_path / "mt.jsonl", [mt_bench(81, ["Compose an engaging travel blog post "
                                                          "about a recent trip to Hawaii."])]),
    ]
    run = Run(tmp_path / "run")
    outcome = run_ingest(run, load_config(), sources)
    frame = pd.read_parquet(run.file("prompts.parquet"))
    assert frame["format"].tolist() == ["lmsys-chat", "sharegpt", "arena-battle", "mt-bench"]
    assert frame["source"].tolist() == [str(path) for path in sources]
    assert outcome.counts["formats"] == {"lmsys-chat": 1, "sharegpt": 1, "arena-battle": 1,
                                         "mt-bench": 1}
