"""`miner judges eval`: figures against a hand computation, bad label files, the cache."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from click.testing import CliRunner

from miner.cli import main
from miner.judge.metrics import precision_at_k, roc_auc, spearman
from tests.cli_errors import assert_cli_error
from tests.openai_server import OpenAIServer, chat_body

# the scripted judge's answer for each prompt, by the prompt's first word
ANSWERS = {
    "P1": "[1, 2, 3, 4, 5, 6]", "P2": "[1, 2, 3, 4, 5]", "P3": "[1, 2, 3, 4, 5]",
    "P4": "[1, 2]", "P5": "[]", "P6": "[1, 2, 3, 4, 5, 6]",
}
LABELS = [
    {"prompt": "P1 first", "hard": True, "score": 7, "criteria": ["specificity", "complexity"]},
    {"prompt": "P2 second", "hard": True, "score": 4},
    {"prompt": "P3 third", "hard": False, "score": 5},
    {"prompt": "P4 fourth", "hard": False, "score": 1},
    {"prompt": "P5 fifth", "hard": False, "criteria": []},
    {"prompt": "P6 sixth", "hard": False},
    {"prompt": "P7 the judge answers this one with prose", "hard": True},
]


def grader(request: dict) -> dict:
    prompt = re.search(r"<prompt>\n(.*)\n</prompt>", request["messages"][-1]["content"],
                       re.S).group(1)
    answer = ANSWERS.get(prompt.split()[0])
    content = "a fine prompt" if answer is None else f'{{"criteria": {answer}}}'
    return chat_body(content, model=request["model"])


def write_labels(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), "utf-8")
    return path


def test_metrics_handle_ties_exactly():
    # positives 6, 5; negatives 5, 2, 0, 6: wins 3 + 2, ties 2 x 0.5 -> 6 of 8 pairs
    assert roc_auc([1, 1, 0, 0, 0, 0], [6, 5, 5, 2, 0, 6]) == pytest.approx(0.75)
    # top 3 of 6,6,5,5,...: both 6s (one hard) and half of the tied 5s (one of two hard)
    assert precision_at_k([1, 0, 1, 0, 0], [6, 6, 5, 5, 0], 3) == pytest.approx(1.5 / 3)
    assert roc_auc([1, 1], [3, 4]) is None and spearman([1, 2, 3], [5, 5, 5]) is None


def test_eval_figures_match_a_hand_computation_and_use_the_cache(tmp_path):
    labels = write_labels(tmp_path / "labels.jsonl", LABELS)
    with OpenAIServer(chat=grader) as server:
        config = tmp_path / "judge.yaml"
        config.write_text(yaml.safe_dump({"judges": {"ja": {
            "model": "model-a", "base_url": server.base_url, "concurrency": 2}}}))
        args = ["judges", "eval", "ja", "--labels", str(labels), "--run", str(tmp_path / "run"),
                "--config", str(config), "--k", "3", "--json"]
        first = CliRunner().invoke(main, args)
        calls = len(server.requests)
        again = CliRunner().invoke(main, args)
        text = CliRunner().invoke(main, args[:-1])
    assert first.exit_code == 0, first.output
    data = json.loads(first.output)
    assert calls == 7 and len(server.requests) == 7  # the reruns asked nothing
    assert json.loads(again.output)["calls"] == {"distinct_prompts": 7, "cached": 7,
                                                 "called": 0}
    assert data["prompts"] == 7 and data["answered"] == 6 and data["failed"] == {"no_match": 1}
    hard = data["hard"]
    # judged 6,5,5,2,0,6 against hard T,T,F,F,F,F (P7 has no answer and is left out)
    assert hard["prompts"] == 6 and hard["positives"] == 2
    assert hard["auc"] == pytest.approx(0.75)
    assert hard["precision_at_k"] == pytest.approx(0.5) and hard["lift_at_k"] == 1.5
    # at score >= 6 the judge says T,F,F,F,F,T: 4 of 6 agree; p_e = 20/36 -> kappa 0.25
    assert hard["agreement"] == pytest.approx(0.6667) and hard["kappa"] == pytest.approx(0.25)
    score = data["score"]
    # labels 7,4,5,1 vs judged 6,5,5,2: rho = 4.5 / sqrt(5 * 4.5)
    assert score["prompts"] == 4 and score["spearman"] == pytest.approx(0.9487, abs=1e-4)
    assert score["kappa"] == pytest.approx(1.0)
    criteria = {row["criterion"]: row for row in data["criteria"]}
    # P1: labelled {specificity, complexity}, judged 1-6; P5: labelled and judged none
    assert criteria["specificity"]["agreement"] == 1.0 and criteria["specificity"]["kappa"] == 1.0
    assert criteria["domain_knowledge"]["agreement"] == 0.5
    assert criteria["domain_knowledge"]["kappa"] == 0.0
    assert criteria["real_world"]["kappa"] is None  # neither side ever said yes
    assert text.exit_code == 0
    assert "ROC AUC 0.750" in text.output and "precision at 3 50.0%" in text.output
    assert "1 no_match" in text.output


def test_eval_offline_heuristic_judge_and_a_rating_rubric(tmp_path):
    rows = [{"prompt": "hi there, how are you?", "hard": False, "score": 1},
            {"prompt": "Write a Rust function that parses ISO 8601 dates without external "
                       "crates; it must reject invalid leap days. Explain the algorithm.",
             "hard": True, "score": 9}]
    labels = write_labels(tmp_path / "labels.jsonl", rows)
    result = CliRunner().invoke(main, ["judges", "eval", "heuristic", "--labels", str(labels),
                                       "--run", str(tmp_path / "run"), "--rubric",
                                       "difficulty-1to10", "--threshold", "7", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["rubric"] == "difficulty-1to10-v1" and data["calls"]["called"] == 0
    assert data["hard"]["auc"] == 1.0 and data["score"]["spearman"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"text": "no prompt field", "hard": true}', "line 2: missing field 'prompt'"),
        ('{"prompt": 3, "hard": true}', "line 2: 'prompt' must be non-empty text"),
        ('{"prompt": "p", "hard": "yes"}', "line 2: 'hard' must be true or false, got 'yes'"),
        ('{"prompt": "p", "score": "high"}', "line 2: 'score' must be a number"),
        ('{"prompt": "p", "score": true}', "line 2: 'score' must be a number"),
        ('{"prompt": "p", "criteria": "specificity"}', "line 2: 'criteria' must be a list"),
        ('{"prompt": "p", "criteria": ["humour"]}', "line 2: criterion 'humour' is not in"),
        ('{"prompt": "p"}', "line 2: no label"),
        ('{"prompt": "p", "hard": tru', "line 2: invalid JSON"),
        ('["prompt", true]', "line 2: expected a JSON object"),
    ],
)
def test_bad_label_file_is_one_line_naming_file_and_line(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"prompt": "fine", "hard": false}\n' + line + "\n", "utf-8")
    result = CliRunner().invoke(main, ["judges", "eval", "heuristic", "--labels", str(path),
                                       "--run", str(tmp_path / "run")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    error = result.output.strip()
    assert error.startswith("error: ") and "\n" not in error
    assert str(path) in error and message in error


@pytest.mark.parametrize("value", ["1e999", "-1e999", "NaN", "Infinity"])
def test_a_score_that_is_not_finite_is_one_line_and_never_reaches_the_json(tmp_path, value):
    path = tmp_path / "labels.jsonl"
    path.write_text('{"prompt": "fine", "score": 3}\n{"prompt": "p", "score": ' + value + "}\n",
                    "utf-8")
    result = CliRunner().invoke(main, ["judges", "eval", "heuristic", "--labels", str(path),
                                       "--run", str(tmp_path / "run"), "--json"])
    assert_cli_error(result, f"{path}: line 2: invalid JSON")   # the bounded reader refuses it
    assert "Infinity" not in result.stdout and "NaN" not in result.stdout


def test_criteria_labels_need_a_criteria_rubric_and_an_empty_file_is_an_error(tmp_path):
    path = write_labels(tmp_path / "l.jsonl", [{"prompt": "p", "criteria": []}])
    result = CliRunner().invoke(main, ["judges", "eval", "heuristic", "--labels", str(path),
                                       "--run", str(tmp_path / "run"), "--rubric",
                                       "difficulty-1to10"])
    assert result.exit_code == 1 and "need a criteria rubric" in result.output
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", "utf-8")
    result = CliRunner().invoke(main, ["judges", "eval", "heuristic", "--labels", str(empty),
                                       "--run", str(tmp_path / "run")])
    assert result.exit_code == 1 and "no labelled prompts" in result.output
