"""A judge that does not answer the rubric, through the real `openai` client and a local
server: stopped after its first answers with one line showing what came back; `score` and
`run` exit non-zero when no prompt could be scored (every answer unusable, a plugin's
unknown status, a budget that judged nothing); a plugin's missing verdicts are failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from miner.cli import main
from miner.config import load_config
from miner.errors import MinerError
from miner.judge import run_score
from miner.judge.backends import ChatJudge
from miner.judge.base import Verdict
from miner.judge.registry import _KINDS, register_judge
from miner.judge.usable import UnusableJudgeError
from tests.cli_errors import assert_cli_error
from tests.openai_server import OpenAIServer, chat_body
from tests.test_cascade import corpus, make_run, meaning_judge, prompt_of

REFUSAL = "I am sorry, but I cannot grade prompts."


def refuse(request: dict) -> dict:
    return chat_body(REFUSAL, model=request["model"])


def config_file(folder: Path, url: str, **score: object) -> Path:
    path = folder / "judge.yaml"
    path.write_text(yaml.safe_dump({
        "score": {"judge": "llm", **score},
        "judges": {"llm": {"model": "model-llm", "base_url": url, "concurrency": 4,
                           "max_answer_bytes": 4096}},
        "prices": {"model-llm": {"input": 1.0, "output": 2.0}},
    }))
    return path


def score_cli(run, config: Path, *args: str):
    return CliRunner().invoke(main, ["score", "--run", str(run.path), "--config", str(config),
                                     *args])


def test_a_judge_that_never_answers_the_rubric_is_stopped_after_its_first_100(tmp_path):
    run = make_run(tmp_path / "run", corpus())          # 240 prompts
    with OpenAIServer(chat=refuse) as server:
        result = score_cli(run, config_file(tmp_path, server.base_url))
        asked = len(server.requests)
    line = assert_cli_error(result, "judge llm gave no usable answer to 100 of its first 100",
                            "no_match 100", REFUSAL)
    assert asked == 100 and result.output.count("\n") == 1
    assert not run.file("scores.parquet").exists() and "Traceback" not in line


def test_the_cascade_stops_a_judge_whose_answers_are_too_large(tmp_path):
    run = make_run(tmp_path / "run", corpus())

    def bloated(request: dict) -> dict:
        if "question 1:" in prompt_of(request):        # a few answer properly
            return meaning_judge(request)
        return chat_body("x" * 8000, model=request["model"])

    # in this process, not through CliRunner: the server's own report of the client hanging
    # up on an oversized body would land in the captured stderr
    with OpenAIServer(chat=bloated) as server:
        config = load_config(config_file(tmp_path, server.base_url, strategy="cascade"))
        with pytest.raises(UnusableJudgeError, match=r"gave no usable answer to \d+ of its "
                                                     r"first \d+ \(too_large \d+"):
            run_score(run, config)
        asked = len(server.requests)
    assert asked < len(corpus()) // 2     # stopped after the first round, not at the end


def test_no_prompt_scored_exits_non_zero_and_run_stops_before_select(tmp_path, monkeypatch):
    from miner import pipeline
    from miner.run import StageOutcome

    texts = corpus()[:10]      # too few answers for the early stop: the stage's own check
    run = make_run(tmp_path / "run", texts)
    with OpenAIServer(chat=refuse) as server:
        result = score_cli(run, config_file(tmp_path, server.base_url))
        assert len(server.requests) == 10
    assert_cli_error(result, "score: no prompt could be scored: 0 of 10", "no_match 10")
    summary = json.loads(run.file("score_summary.json").read_text())
    assert summary["scored"] == 0
    # `miner run` (its upstream stages done already) stops at score, before select
    ran = []
    real = pipeline._stage_function

    def stage_function(stage):
        ran.append(stage)
        if stage in ("ingest", "embed", "index", "cluster"):
            return lambda run, config, *args, force=False: StageOutcome(stage, skipped=True)
        return real(stage)

    monkeypatch.setattr(pipeline, "_stage_function", stage_function)
    with OpenAIServer(chat=refuse) as server:
        config = load_config(config_file(tmp_path, server.base_url))
        with pytest.raises(MinerError, match="no prompt could be scored"):
            pipeline.run_pipeline(run, config, [], force=True)
    assert ran[-1] == "score" and not run.file("benchmark/selection.parquet").exists()


def test_a_cascade_with_no_budget_judges_nothing_and_exits_non_zero(tmp_path):
    run = make_run(tmp_path / "run", corpus())
    with OpenAIServer(chat=meaning_judge) as server:
        result = score_cli(run, config_file(tmp_path, server.base_url), "--strategy",
                           "cascade", "--max-cost", "0")
        assert server.requests == []
    assert_cli_error(result, "no prompt could be scored: 0 of 240", "nothing judged")


@pytest.fixture
def plugin_kinds():
    """Judge kinds registered by the test, removed afterwards."""
    before = dict(_KINDS)
    yield register_judge
    _KINDS.clear()
    _KINDS.update(before)


def test_a_plugin_verdict_for_half_the_prompts_counts_the_rest_as_failures(tmp_path,
                                                                          plugin_kinds):
    @plugin_kinds("half")
    class HalfJudge(ChatJudge):
        """Asks the endpoint, then returns every other verdict."""

        kind = "half"

        def judge(self, rubric, items, cache, *, max_chars, stats):
            verdicts = super().judge(rubric, items, cache, max_chars=max_chars, stats=stats)
            return {i.hash: verdicts[i.hash] for i in items[::2]}

    run = make_run(tmp_path / "run", corpus()[:12])
    with OpenAIServer(chat=meaning_judge) as server:
        path = config_file(tmp_path, server.base_url)
        tree = yaml.safe_load(path.read_text())
        tree["judges"]["llm"]["kind"] = "half"
        path.write_text(yaml.safe_dump(tree))
        with pytest.raises(MinerError, match=r"^score: 6 of 12 prompts left unscored .*"
                                             r"judge 'llm' returned no verdict"):
            run_score(run, load_config(path))
        assert len(server.requests) == 12
    summary = json.loads(run.file("score_summary.json").read_text())
    assert summary["scored"] == 6 and summary["failed"] == {"error": 6}


def test_a_plugin_status_nobody_knows_scores_nothing_and_exits_non_zero(tmp_path,
                                                                       plugin_kinds):
    @plugin_kinds("odd")
    class OddJudge(ChatJudge):
        """Answers every prompt with a status miner does not know."""

        kind = "odd"

        def judge(self, rubric, items, cache, *, max_chars, stats):
            super().judge(rubric, items, cache, max_chars=max_chars, stats=stats)
            return {i.hash: Verdict("maybe") for i in items}

    run = make_run(tmp_path / "run", corpus()[:12])
    with OpenAIServer(chat=meaning_judge) as server:
        path = config_file(tmp_path, server.base_url)
        tree = yaml.safe_load(path.read_text())
        tree["judges"]["llm"]["kind"] = "odd"
        path.write_text(yaml.safe_dump(tree))
        with pytest.raises(MinerError, match="no prompt could be scored: 0 of 12 .*maybe 12"):
            run_score(run, load_config(path))
