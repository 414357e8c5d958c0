"""The ingest stage: filters and their funnel, dedup, turn policies, ids, skipping and --force."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from miner.config import load_config
from miner.ingest import run_ingest
from miner.ingest.languages import language_code
from miner.run import Run
from tests.ingest_fixtures import PROMPT_A, PROMPT_B, PROMPT_C, lmsys, write_jsonl

GERMAN = "Kannst du mir bitte erklären, wie man einen Kuchen ohne Eier backt?"
FRENCH = "Pouvez-vous m'expliquer comment fonctionne la photosynthèse des plantes?"


def ingest(tmp_path, records, overrides=None, name="run"):
    path = write_jsonl(tmp_path / "log.jsonl", records)
    run = Run(tmp_path / name)
    outcome = run_ingest(run, load_config(None, overrides), [path])
    return run, outcome, pd.read_parquet(run.file("prompts.parquet"))


def column(run, name):
    """One prompts.parquet column as Python values (nulls as None)."""
    return pq.read_table(run.file("prompts.parquet"), columns=[name]).column(name).to_pylist()


def funnel_of(run):
    return {step["step"]: step for step in json.loads(run.file("funnel.json").read_text())}


def test_funnel_counts_every_filter(tmp_path):
    records = [
        lmsys("keep-1", [PROMPT_A]),
        lmsys("redacted", [PROMPT_B], redacted=True),
        lmsys("flagged", [PROMPT_B], flagged=True),
        lmsys("short", ["Hi there, how are you?"]),                 # 22 chars < 33
        lmsys("german", [GERMAN], language="German"),
        {"prompt": FRENCH},                                           # no language field: detected
        lmsys("long", ["x" * 12_000]),
        lmsys("dup", ["  explain HOW a hash map handles collisions,\n with an example in python."]),
        lmsys("assistant-only", [""]),
        lmsys("keep-2", [PROMPT_C]),
    ]
    run, outcome, frame = ingest(tmp_path, records)
    funnel = funnel_of(run)
    assert [step["count"] for step in funnel.values()] == [10, 10, 9, 8, 7, 7, 6, 4, 4, 4, 3]
    assert funnel["not redacted"]["dropped"] == 1
    assert funnel["not moderation-flagged"]["dropped"] == 1
    assert funnel["at least 33 chars"]["dropped"] == 1
    assert funnel["at least 33 chars"]["cut_at_max_chars"] == 1
    assert funnel["language in en"]["dropped"] == 2
    assert funnel["prompts (turns: first)"]["no_user_turn"] == 1
    assert frame["conversation_id"].tolist() == ["keep-1", "long", "dup", "keep-2"]
    assert frame.loc[frame.conversation_id == "long", "n_chars"].item() == 10_000
    assert outcome.counts["kept"] == 4 and outcome.counts["duplicates"] == 1
    assert run.stage_entry("ingest")["counts"]["distinct"] == 3


def test_filters_can_be_switched_off(tmp_path):
    records = [
        lmsys("redacted", [PROMPT_A], redacted=True),
        lmsys("flagged", [PROMPT_B], flagged=True),
        lmsys("german", [GERMAN], language="German"),
        {"prompt": FRENCH},
        {"prompt": PROMPT_B},
    ]
    overrides = {"ingest.drop_redacted": False, "ingest.drop_flagged": False,
                 "ingest.languages": [], "ingest.dedup": False, "ingest.screen": False,
                 "ingest.strip_residue": False}
    run, _, frame = ingest(tmp_path, records, overrides)
    assert frame["language"].tolist() == ["en", "en", "de", "fr", "en"]
    assert frame["dup_of"].isna().all()
    steps = [step["step"] for step in json.loads(run.file("funnel.json").read_text())]
    assert steps == ["read", "parsed", "prompts (turns: first)", "at least 33 chars"]


def test_language_filter_keeps_the_listed_codes(tmp_path):
    records = [lmsys("en", [PROMPT_A]), lmsys("de", [GERMAN], language="German"),
               {"prompt": FRENCH}]
    _, _, frame = ingest(tmp_path, records, {"ingest.languages": ["de", "fr"]})
    assert frame["language"].tolist() == ["de", "fr"]


@pytest.mark.parametrize("value,code", [
    ("English", "en"), ("chinese", "zh"), ("en", "en"), ("pt-BR", "pt"), ("unknown", None),
    ("", None), (None, None),
])
def test_language_field_values_map_to_iso_codes(value, code):
    assert language_code(value) == code


def test_exact_duplicates_are_marked_with_the_first_id(tmp_path):
    records = [
        {"prompt": PROMPT_A},
        {"prompt": PROMPT_B},
        {"prompt": PROMPT_A.upper()},
        {"prompt": "  " + PROMPT_A.replace(" ", "\n\t ")},
        {"prompt": PROMPT_A + " Thanks!"},
    ]
    run, _, frame = ingest(tmp_path, records)
    first = frame["id"][0]
    assert column(run, "dup_of") == [None, None, first, first, None]
    assert frame["hash"][0] == frame["hash"][2] == frame["hash"][3] != frame["hash"][4]
    assert frame["near_dup_of"].isna().all()
    assert frame["text"][2] == PROMPT_A.upper()          # the text itself is kept as written


@pytest.mark.parametrize("policy,texts,turns", [
    ("first", [PROMPT_A], [1]),
    ("joined", [f"{PROMPT_A}\n\n{PROMPT_B}\n\n{PROMPT_C}"], [0]),
    ("each", [PROMPT_A, PROMPT_B, PROMPT_C], [1, 2, 3]),
])
def test_turn_policies(tmp_path, policy, texts, turns):
    records = [lmsys("c1", [PROMPT_A, PROMPT_B, PROMPT_C])]
    _, _, frame = ingest(tmp_path, records, {"ingest.turns": policy})
    assert frame["text"].tolist() == texts
    assert frame["turn"].tolist() == turns
    assert frame["id"].is_unique


def test_empty_user_turns_are_skipped_but_keep_their_numbers(tmp_path):
    records = [lmsys("c1", ["   ", PROMPT_B])]
    _, _, frame = ingest(tmp_path, records, {"ingest.turns": "each"})
    assert frame["turn"].tolist() == [2]


def test_ids_are_stable_across_runs_and_paths(tmp_path):
    records = [{"prompt": PROMPT_A}, {"prompt": PROMPT_B}]
    _, _, first = ingest(tmp_path, records, name="one")
    _, _, second = ingest(tmp_path, records, name="two")
    assert first["id"].tolist() == second["id"].tolist()
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    (tmp_path / "log.jsonl").rename(moved / "renamed.jsonl")
    run = Run(tmp_path / "three")
    run_ingest(run, load_config(), [moved / "renamed.jsonl"])
    assert pd.read_parquet(run.file("prompts.parquet"))["id"].tolist() == first["id"].tolist()


def test_identical_files_get_distinct_ids(tmp_path):
    one = write_jsonl(tmp_path / "one.jsonl", [{"prompt": PROMPT_A}])
    two = write_jsonl(tmp_path / "two.jsonl", [{"prompt": PROMPT_A}])
    run = Run(tmp_path / "run")
    run_ingest(run, load_config(), [one, two, one])
    ids = column(run, "id")
    assert len(ids) == 2 and ids[0] != ids[1]
    assert column(run, "dup_of") == [None, ids[0]]


def test_unchanged_sources_are_skipped_and_force_redoes(tmp_path):
    path = write_jsonl(tmp_path / "log.jsonl", [{"prompt": PROMPT_A}])
    run = Run(tmp_path / "run")
    assert not run_ingest(run, load_config(), [path]).skipped
    finished = run.stage_entry("ingest")["finished_at"]
    again = run_ingest(run, load_config(), [path])
    assert again.skipped and again.counts["kept"] == 1
    assert not run_ingest(run, load_config(), [path], force=True).skipped
    assert not run_ingest(run, load_config(None, {"ingest.min_chars": 5}), [path]).skipped
    write_jsonl(path, [{"prompt": PROMPT_A}, {"prompt": PROMPT_B}])
    changed = run_ingest(run, load_config(None, {"ingest.min_chars": 5}), [path])
    assert not changed.skipped and changed.counts["kept"] == 2
    assert run.stage_entry("ingest")["finished_at"] >= finished
