"""The offline `ranker` judge: its shipped model, its rubric output, `auto` resolving to it,
the score stage through it, and the script that rebuilds its model (on a tiny synthetic set)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from miner.config import load_config
from miner.errors import ConfigError
from miner.judge import heuristic, load_rubric, ranker, resolve_judge, run_score
from tests.cli_errors import assert_cli_error
from tests.test_score import make_run

ROOT = Path(__file__).resolve().parent.parent
HARD = [
    "Write a Python function that parses a CSV file with quoted fields and returns a list of "
    "dicts; handle escaped quotes and explain the complexity.",
    "Implement Dijkstra's algorithm in C++ with a binary heap and prove its running time.",
    "Design a SQL schema for a library with loans and fines, then write a query for overdue "
    "books per member.",
    "Derive the closed form of the integral of x^2 e^x dx and check it by differentiation.",
    "Debug this JavaScript: why does `this` become undefined inside my callback in a class?",
    "Write a bash script that finds the ten largest files under a folder, excluding .git.",
    "Explain how to tune a PID controller for a drone's altitude hold, with equations.",
    "Build a React component with TypeScript that paginates an API result and caches pages.",
]
EASY = [
    "hello there, how are you doing today my friend?",
    "tell me a joke about cats please, a funny one!",
    "what is your name and who made you, tell me",
    "good morning! I hope you have a wonderful day",
    "thanks a lot, that was really helpful for me",
    "can you say hi to my little sister, she is here",
    "i am bored, say something fun to cheer me up",
    "who is the best football player in the world?",
    "do you like music? what kind of songs do you like",
    "lol that is so funny, tell me another one pls",
]


def write_jsonl(path: Path, texts: list[str]) -> Path:
    path.write_text("".join(json.dumps({"prompt": t}) + "\n" for t in texts), "utf-8")
    return path


def test_the_shipped_model_loads_from_package_data_offline():
    model = ranker.load_model()
    assert ranker.MODEL_FILE.parent == Path(ranker.__file__).parent   # inside the package
    assert model.model_id.startswith("ranker-v1-") and len(model.coef) == len(ranker.FEATURES)
    assert model.info["positives"] >= 400 and model.info["background"] >= 5000
    # the score cuts are heuristic-v2's shares, so they rise from 0 to 1
    assert 0 <= model.score_cuts[0] <= model.score_cuts[-1] < 1
    hard, easy = model.logits([HARD[1], EASY[0]])
    assert hard > easy


def test_auto_resolves_to_the_ranker_offline_and_heuristic_stays_selectable(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    config = load_config()
    auto = resolve_judge(config, "auto")
    assert auto.kind == "ranker" and auto.offline and "no endpoint" in auto.note
    assert resolve_judge(config, "heuristic").model == heuristic.MODEL
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert resolve_judge(load_config(), "auto").kind == "openai"


def test_criteria_listed_are_heuristic_flags_trimmed_or_filled_to_the_score():
    rubric = load_rubric("benchbuilder-v1")
    text = HARD[0]
    met = [i for i, name in enumerate(rubric.criteria, start=1)
           if heuristic.criteria_met(text)[name]]
    assert ranker.listed_criteria(text, rubric, len(met)) == met
    assert ranker.listed_criteria(text, rubric, 7) == list(range(1, 8))
    assert ranker.listed_criteria(text, rubric, 0) == []
    fewer = ranker.listed_criteria(text, rubric, len(met) - 1)
    assert len(fewer) == len(met) - 1 and set(fewer) < set(met)
    # creativity is the last in priority: dropped first when the score is lower
    assert rubric.criteria.index("creativity") + 1 not in ranker.listed_criteria(
        "Write a poem about a python function that sorts", rubric, 1)


def test_ranker_scores_through_the_score_stage_with_rubric_compatible_rows(tmp_path,
                                                                          monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    run = make_run(tmp_path / "run", HARD + EASY)
    run_score(run, load_config())
    summary = json.loads(run.file("score_summary.json").read_text())
    assert summary["judge"] == "ranker" and summary["offline"] is True
    scores = pd.read_parquet(run.file("scores.parquet"))
    criteria = list(load_rubric("benchbuilder-v1").criteria)
    assert (scores["status"] == "ok").all() and set(scores["judge"]) == {"ranker"}
    assert (scores[criteria].sum(axis=1) == scores["score"]).all()
    assert scores["score"].between(0, 7).all()
    hard = scores["id"].isin([f"p{i}" for i in range(len(HARD))])
    assert scores.loc[hard, "score"].mean() > scores.loc[~hard, "score"].mean() + 2
    rating = load_rubric("difficulty-1to10")
    values = ranker.answers(ranker.load_model(), HARD + EASY, rating)
    assert all(rating.low <= v <= rating.high for v in values)


def test_rebuild_script_on_a_tiny_synthetic_set_is_deterministic(tmp_path):
    positives = write_jsonl(tmp_path / "hard.jsonl", HARD[:-1])
    background = write_jsonl(tmp_path / "log.jsonl", EASY[:-1] + ["short", HARD[0]])
    outputs = []
    for name in ("a.json", "b.json"):
        done = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "build_ranker.py"), "--positives",
             str(positives), "--background", str(background), "--out", str(tmp_path / name)],
            capture_output=True, text=True, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]
    model = ranker.load_model(str(tmp_path / "a.json"))
    # "short" is under 33 characters and HARD[0] is a positive: neither is background
    assert model.info["positives"] == len(HARD) - 1 and model.info["background"] == len(EASY) - 1
    held_out_hard, held_out_easy = model.logits([HARD[-1], EASY[-1]])
    assert held_out_hard > held_out_easy


def test_a_judges_entry_names_its_own_model_file_and_a_bad_one_is_one_line(tmp_path):
    positives = write_jsonl(tmp_path / "hard.jsonl", HARD)
    background = write_jsonl(tmp_path / "log.jsonl", EASY)
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_ranker.py"), "--positives",
                    str(positives), "--background", str(background), "--out",
                    str(tmp_path / "mine.json")], check=True, capture_output=True)
    config = load_config(overrides={"judges": {
        "mine": {"kind": "ranker", "model": str(tmp_path / "mine.json")}}})
    judge = resolve_judge(config, "mine")
    assert judge.kind == "ranker" and judge.model != resolve_judge(config, "ranker").model
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "miner-ranker-1", "features": ["words"]}')
    config["judges"]["mine"]["model"] = str(bad)
    with pytest.raises(ConfigError, match="bad.json: fitted on other features"):
        resolve_judge(config, "mine")
    run = make_run(tmp_path / "run", HARD)
    (tmp_path / "c.yaml").write_text(
        f"judges:\n  mine:\n    kind: ranker\n    model: {tmp_path / 'missing.json'}\n")
    done = subprocess.run([sys.executable, "-m", "miner.cli", "score", "--run", str(run.path),
                           "--judge", "mine", "--config", str(tmp_path / "c.yaml")],
                          capture_output=True, text=True)
    assert_cli_error(done, "missing.json", "cannot read the ranker model")
