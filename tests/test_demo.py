"""The generated demo log: deterministic, LMSYS-Chat-1M shaped, read by ingest, with >= 20
topics, a real spread of difficulty and the noise real logs carry."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from miner.config import load_config
from miner.demo import demo_records, write_demo_corpus
from miner.demo.topics import TOPICS
from miner.ingest import run_ingest
from miner.ingest.filters import HARM_STEP, NO_TASK_STEP, RESIDUE_STEP
from miner.judge.heuristic import judge_text
from miner.judge.rubric import load_rubric
from miner.run import Run


def first_prompt(record: dict) -> str:
    return record["conversation"][0]["content"]


def test_same_seed_same_bytes_other_seed_other_log(tmp_path: Path) -> None:
    one = write_demo_corpus(tmp_path / "a.jsonl", 300, seed=0).read_bytes()
    two = write_demo_corpus(tmp_path / "b.jsonl", 300, seed=0).read_bytes()
    other = write_demo_corpus(tmp_path / "c.jsonl", 300, seed=1).read_bytes()
    assert one == two
    assert one != other
    assert len(one.splitlines()) == 300


def test_records_have_the_lmsys_chat_1m_shape() -> None:
    for record in demo_records(50, seed=3):
        assert set(record) == {"conversation_id", "model", "conversation", "turn", "language",
                               "openai_moderation", "redacted"}
        assert record["conversation"][0]["role"] == "user"
        assert record["turn"] == len(record["conversation"]) // 2
        assert len(record["openai_moderation"]) == len(record["conversation"])
        assert len(record["openai_moderation"][0]["categories"]) == 11


def test_at_least_twenty_topics_with_a_real_spread_of_difficulty() -> None:
    assert len(TOPICS) >= 20
    texts = [first_prompt(r) for r in demo_records(3000, seed=0)]
    topics_seen = {t.name for t in TOPICS for text in texts[:2000]
                   if any(subject in text for subject in t.subjects)}
    assert len(topics_seen) >= 20
    rubric = load_rubric("benchbuilder-v1")
    scores = Counter(len(judge_text(text, rubric)) for text in texts)
    total = sum(scores.values())
    easy = sum(n for s, n in scores.items() if s <= 1) / total
    middle = sum(n for s, n in scores.items() if 2 <= s <= 5) / total
    hard = sum(n for s, n in scores.items() if s >= 6) / total
    assert easy > 0.2 and middle > 0.2 and hard > 0.05, scores


def test_ingest_reads_it_and_every_filter_has_work(tmp_path: Path) -> None:
    corpus = write_demo_corpus(tmp_path / "demo.jsonl", 1500, seed=0)
    run = Run(tmp_path / "run")
    run_ingest(run, load_config(), [corpus])
    funnel = json.loads(run.file("funnel.json").read_text())
    assert funnel[0]["count"] == 1500
    # every filter drops something: redacted, flagged, short, other languages, duplicates (the
    # generated log holds no copy-paste residue, request for harm or prompt without a task)
    hygiene = {RESIDUE_STEP, HARM_STEP, NO_TASK_STEP}
    dropped = {step["step"]: step["dropped"] for step in funnel[3:] if step["step"] not in hygiene}
    assert len(dropped) >= 5 and all(n > 0 for n in dropped.values()), funnel
