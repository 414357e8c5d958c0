"""Untrusted JSON and secrets through every door: a judge answer nested 200 KB deep is cached
as unparseable (a rerun pays nothing), the same nesting in a labels file, a Batch API results
file, a `save_to_disk` state file or a topic-name answer is one line (or no name), Batch API
records of the wrong shape are one line, a `save_to_disk` folder cannot name files outside
itself, and a base URL's user-info never reaches a file or a terminal."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from click.testing import CliRunner

from miner.cli import main
from miner.cluster.namer import CATEGORY_PROMPT_FILE, LLMNamer, load_prompt, parse_name
from miner.cluster.settings import ClusterSettings
from miner.config import load_config
from miner.errors import InputError
from miner.ingest import run_ingest
from miner.judge import export_batch, import_batch, run_score
from miner.llm import LLMCache, resolve_endpoint
from miner.resources import resource_dir
from miner.run import Run
from tests.cli_errors import assert_cli_error
from tests.ingest_fixtures import save_to_disk
from tests.openai_server import OpenAIServer, chat_body
from tests.test_score import config_for, make_run

DEEP = '{"criteria": ' + "[" * 200_000 + "]" * 200_000 + "}"   # 400 KB, 200,000 levels
TEXTS = [f"question {i}: explain how a hash map handles collisions" for i in range(12)]


def _deep_for_odd(request: dict) -> dict:
    """A judge answering `{"criteria": [1]}`, or, for odd questions, a 200,000-deep list."""
    user = request["messages"][-1]["content"]
    number = int(user.split("question ", 1)[1].split(":", 1)[0])
    return chat_body(DEEP if number % 2 else '{"criteria": [1]}')


def test_an_answer_nested_too_deep_is_cached_as_unparseable_and_never_paid_again(tmp_path):
    run = make_run(tmp_path / "run", TEXTS)
    with OpenAIServer(chat=_deep_for_odd) as server:
        config = config_for("cheap", {"cheap": server.base_url})
        run_score(run, config)                       # was: RecursionError, nothing cached
        assert len(server.requests) == 12
        run_score(run, config, force=True)
        run_score(run, config, force=True)
        assert len(server.requests) == 12            # was 12 -> 22 -> 38
    status = pd.read_parquet(run.file("scores.parquet"))["status"].value_counts().to_dict()
    assert status == {"ok": 6, "no_match": 6}


def _deep_json(depth: int = 100_000) -> str:
    return "[" * depth + "]" * depth


def test_a_labels_file_nested_too_deep_is_one_line(tmp_path):
    path = tmp_path / "labels.jsonl"
    path.write_text('{"prompt": "fine", "hard": true}\n{"prompt": "p", "hard": '
                    + _deep_json() + "}\n", "utf-8")
    result = CliRunner().invoke(main, ["judges", "eval", "heuristic", "--labels", str(path),
                                       "--run", str(tmp_path / "run")])
    assert_cli_error(result, f"{path}: line 2", "nested deeper than")


def _batch_run(tmp_path):
    """A run with prompts, its batch requests file, and results answering them all."""
    run = make_run(tmp_path / "run", TEXTS[:3])
    config = config_for("cheap", {"cheap": "http://127.0.0.1:9/v1"})
    requests_file = tmp_path / "batch.jsonl"
    export_batch(run, config, requests_file)
    ids = [json.loads(line)["custom_id"] for line in requests_file.read_text().splitlines()]
    return run, config, ids


def _result(custom_id: str, content: str = '{"criteria": [1, 2]}', **usage) -> dict:
    body = chat_body(content)
    body["usage"].update(usage)
    return {"custom_id": custom_id, "error": None,
            "response": {"status_code": 200, "body": body}}


@pytest.mark.parametrize(("spoil", "message"), [
    (lambda r: {**r, "response": "x"}, "'response' must be an object, got 'x'"),
    (lambda r: {**r, "response": {"status_code": 200, "body": []}},
     "'response.body' must be an object"),
    (lambda r: {**r, "response": {"status_code": 200, "body": {"choices": "many"}}},
     "'response.body.choices' must be a list"),
    (lambda r: {**r, "response": {"status_code": 200, "body": {"choices": [7]}}},
     "'response.body.choices[0]' must be an object"),
    (lambda r: _result(r["custom_id"], prompt_tokens="abc"),
     "'usage.prompt_tokens' must be a whole number >= 0, got 'abc'"),
    (lambda r: _result(r["custom_id"], completion_tokens=-1_000_000_000),
     "'usage.completion_tokens' must be a whole number >= 0, got -1000000000"),
])
def test_batch_records_of_the_wrong_shape_are_one_line_and_import_nothing(
        tmp_path, spoil, message):
    run, config, ids = _batch_run(tmp_path)
    results = tmp_path / "out.jsonl"
    records = [_result(ids[0]), spoil(_result(ids[1])), _result(ids[2])]
    results.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    config_file = tmp_path / "config.yaml"
    config_file.write_text(json.dumps({"score": {"judge": "cheap"},
                                       "judges": config["judges"]}), "utf-8")
    result = CliRunner().invoke(main, ["score", "--run", str(run.path), "--config",
                                       str(config_file), "--import-batch", str(results)])
    assert_cli_error(result, f"{results}: line 2", message)
    with LLMCache(run.file("judge.sqlite")) as cache:
        assert cache.get_many(ids) == {}


def test_batch_answers_are_bounded_and_nesting_is_one_line(tmp_path):
    run, config, ids = _batch_run(tmp_path)
    config["judges"]["cheap"]["max_answer_bytes"] = 1000
    results = tmp_path / "out.jsonl"
    records = [_result(ids[0], '{"criteria": [1]}' + " " * 5000),  # over max_answer_bytes
               _result(ids[1], DEEP[:900]),                          # deep, but under the cap
               _result(ids[2])]
    results.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    assert import_batch(run, config, results) == {"imported": 3, "failed": 0, "unknown": 0}
    with LLMCache(run.file("judge.sqlite")) as cache:
        found = cache.get_many(ids)
    assert [found[i].status for i in ids] == ["too_large", "no_match", "ok"]
    assert found[ids[0]].content is None                     # the 5 KB answer is not stored
    deep_line = tmp_path / "deep.jsonl"
    deep_line.write_text(json.dumps(_result(ids[0]))[:-1] + ', "x": ' + _deep_json() + "}\n")
    with pytest.raises(InputError, match=r"deep.jsonl: line 1: invalid JSON \(nested deeper"):
        import_batch(run, config, deep_line)


def _saved(tmp_path):
    return save_to_disk(tmp_path / "saved", [{"prompt": f"saved question number {i} about "
                                              "hash maps and their collisions"}
                                             for i in range(3)])


def test_a_save_to_disk_state_file_nested_too_deep_is_one_line(tmp_path):
    folder = _saved(tmp_path)
    (folder / "state.json").write_text('{"_data_files": ' + _deep_json() + "}", "utf-8")
    result = CliRunner().invoke(main, ["ingest", "--run", str(tmp_path / "run"), str(folder)])
    assert_cli_error(result, str(folder / "state.json"), "nested deeper than")


@pytest.mark.parametrize("escape", ["../../outside.arrow", "link.arrow", "/abs/outside.arrow"])
def test_a_save_to_disk_folder_cannot_name_files_outside_itself(tmp_path, escape):
    folder = _saved(tmp_path / "logs")            # tmp/logs/saved: ../../ is tmp
    state = json.loads((folder / "state.json").read_text("utf-8"))
    outside = tmp_path / "outside.arrow"
    shutil.copy(folder / state["_data_files"][0]["filename"], outside)
    if escape == "link.arrow":
        (folder / "link.arrow").symlink_to(outside)
    elif escape.startswith("/abs"):
        escape = str(outside)
    state["_data_files"] = [{"filename": escape}]
    (folder / "state.json").write_text(json.dumps(state), "utf-8")
    run = Run(tmp_path / "run")
    config = load_config(None, {"ingest.languages": []})
    with pytest.raises(InputError) as caught:
        run_ingest(run, config, [folder])
    assert f"{folder / 'state.json'}: " in str(caught.value)
    assert "lies outside" in str(caught.value)
    assert not run.file("prompts.parquet").exists()


def test_a_save_to_disk_split_cannot_be_outside_the_folder(tmp_path):
    both = save_to_disk(tmp_path / "both", [{"prompt": "a saved question about hash maps "
                                                       "and their collisions"}],
                        splits=("train",))
    (both / "dataset_dict.json").write_text('{"splits": ["train", "../../etc"]}', "utf-8")
    result = CliRunner().invoke(main, ["ingest", "--run", str(tmp_path / "run"), str(both)])
    assert_cli_error(result, str(both / "dataset_dict.json"), "'../../etc' lies outside")


def test_a_topic_name_answer_nested_too_deep_keeps_the_keyword_label(tmp_path):
    assert parse_name('{"name": ' + _deep_json() + "}", 60) is None   # was RecursionError

    def answer(request: dict) -> dict:
        keywords = request["messages"][1]["content"].split("Keywords: ", 1)[1].split(",")[0]
        return chat_body(json.dumps({"name": "Hash Maps"}) if keywords == "hash"
                         else '{"name": ' + _deep_json() + "}")

    with OpenAIServer(chat=answer) as server:
        config = load_config(overrides={"judges": {"local": {"model": "m",
                                                             "base_url": server.base_url}}})
        namer = LLMNamer(resolve_endpoint(config, "local"), tmp_path / "judge.sqlite",
                         ClusterSettings.from_config(config["cluster"]), load_prompt(),
                         load_prompt(resource_dir("prompts") / CATEGORY_PROMPT_FILE))
        names = namer.name_topics({0: ["hash", "map"], 1: ["tax", "rate"]},
                                  {0: ["what is a hash map"], 1: ["how are taxes paid"]})
        assert names == {0: "Hash Maps"}     # topic 1 keeps its keyword label
        assert namer.name_topics({0: ["hash", "map"], 1: ["tax", "rate"]},
                                 {0: ["what is a hash map"], 1: ["how are taxes paid"]}) == names
        assert len(server.requests) == 2     # the unusable answer is cached too


SECRET = "hunter2-SECRET-password"


def test_a_base_urls_user_info_is_never_written_or_printed(tmp_path, monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    run = make_run(tmp_path / "run", TEXTS[:2])
    runner = CliRunner()
    with OpenAIServer(chat=lambda request: chat_body('{"criteria": [1]}')) as server:
        url = server.base_url.replace("http://", f"http://user:{SECRET}@")
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        result = runner.invoke(main, ["score", "--run", str(run.path), "--judge", "some-model"])
        assert result.exit_code == 0, result.output
    summary = run.file("score_summary.json").read_text("utf-8")
    assert "http://user:***@" not in summary and "http://***@127.0.0.1" in summary
    listed = runner.invoke(main, ["judges", "list", "--json"])
    assert json.loads(listed.stdout)[0]["base_urls"][0].startswith("http://***@127.0.0.1")
    table = runner.invoke(main, ["judges", "list"])
    config_file = tmp_path / "down.yaml"
    config_file.write_text(json.dumps({"judges": {"down": {
        "model": "m", "base_url": f"http://admin:{SECRET}@127.0.0.1:9/v1", "max_retries": 0}}}))
    failed = runner.invoke(main, ["score", "--run", str(run.path), "--config", str(config_file),
                                  "--judge", "down"])
    assert_cli_error(failed, "down")
    for text in (summary, listed.output, table.output, failed.output,
                 run.file("config.yaml").read_text("utf-8"),
                 run.file("manifest.json").read_text("utf-8")):
        assert SECRET not in text
