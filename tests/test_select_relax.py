"""`select.relax: auto` walks the documented ladder until --top; `strict` keeps the thresholds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from miner.cli import main
from miner.cli.summaries import summary_lines
from miner.config import load_config
from miner.errors import ConfigError
from miner.pipeline import pipeline_summary
from miner.report import run_report
from miner.run import Run
from miner.select import load_candidates, params_from_config, run_select, select_benchmark
from miner.select.sampling import select_strict
from tests.test_select import write_run

# Every topic mean is below BenchBuilder's 3, so the strict thresholds select nothing.
TOPIC_SCORES = {
    0: [6, 5, 1, 0, 0, 0],                      # mean 2.0
    1: [6, 4, 1, 0],                            # mean 2.75
    2: [5, 5, 0, 0, 0, 0],                      # mean 1.67
    3: [6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],    # mean 0.5
}
N_PROMPTS = sum(len(s) for s in TOPIC_SCORES.values())


@pytest.fixture()
def weak_run(tmp_path: Path) -> Run:
    rows = [{"id": f"t{t}p{i}", "text": f"prompt {t} {i}", "topic": t, "score": s}
            for t, scores in TOPIC_SCORES.items() for i, s in enumerate(scores)]
    return write_run(tmp_path / "weak", rows, {t: f"topic_{t}" for t in TOPIC_SCORES})


def params(**select):
    return params_from_config(load_config(None, {f"select.{k}": v for k, v in
                                                 select.items()})["select"])


def steps_of(selection) -> list[tuple[str, float, float]]:
    return [(s["setting"], s["from"], s["to"]) for s in selection.relaxed]


def test_default_is_auto_and_bad_value_is_one_line() -> None:
    assert params().relax == "auto"
    with pytest.raises(ConfigError, match="select.relax' must be one of auto, strict"):
        params(relax="sometimes")


def test_ladder_lowers_topic_mean_first_then_score(weak_run: Run) -> None:
    frame = load_candidates(weak_run)
    assert select_strict(frame, params(top=6), None, None).selected == []
    selection = select_benchmark(frame, params(top=6))
    # 3 -> 2.5 admits topic 1's 6, 2.5 -> 2 topic 0's 6; 1.5 and 1 admit nothing at score 6,
    # so the next step goes straight to 0.5 (topic 3's 6); then no lower mean admits any
    # more and min_score drops to 5 (topic 0's 5 and topic 2's two 5s): 6 reached.
    assert steps_of(selection) == [("min_topic_mean", 3.0, 2.5), ("min_topic_mean", 2.5, 2.0),
                                   ("min_topic_mean", 2.0, 0.5), ("min_score", 6.0, 5.0)]
    assert [s["selected"] for s in selection.relaxed] == [1, 2, 3, 6]
    assert [s["pool"] for s in selection.relaxed] == [1, 2, 3, 6]
    assert len(selection.selected) == 6
    assert selection.requested.min_score == 6 and selection.params.min_score == 5
    # the relaxed selection is exactly the strict one at the final settings
    final = select_strict(frame, selection.params, None, None)
    assert final.selected == selection.selected
    from miner.select.relax import relaxed_sentence
    assert relaxed_sentence(selection) == "relaxed to score >= 5 and topic mean >= 0.5 to reach 6"


def test_cap_rises_once_the_pool_holds_top(weak_run: Run) -> None:
    frame = load_candidates(weak_run)
    selection = select_benchmark(frame, params(top=8))
    # score 4 admits topic 1's 4 (pool 7 < 8); 3 and 2 admit nothing, 1 admits two (pool 9):
    # the pool now holds 8 but per_topic 2 takes 7, so the cap goes to 3 (topic 0's third)
    assert steps_of(selection)[-3:] == [("min_score", 5.0, 4.0), ("min_score", 4.0, 1.0),
                                        ("per_topic", 2, 3)]
    assert len(selection.selected) == 8
    assert selection.relaxed[-2]["selected"] == 7


def test_nothing_left_stops_short_and_says_so(weak_run: Run) -> None:
    config = load_config(None, {"select.top": 50})
    outcome = run_select(weak_run, config)
    summary = json.loads(weak_run.file("benchmark/selection.json").read_text())
    assert outcome.counts["selected"] == N_PROMPTS
    assert summary["reached_top"] is False and summary["relax"] == "auto"
    assert summary["effective"] == {"min_score": 0.0, "min_topic_mean": 0.5, "per_topic": 12}
    assert summary["relaxed_text"] == (f"relaxed to score >= 0, topic mean >= 0.5 and "
                                       f"per_topic 12, and still {N_PROMPTS} of 50: "
                                       "nothing left to relax")
    assert summary["shortfall"][0].startswith(f"{N_PROMPTS} prompts in 4 topics pass")


def test_strict_keeps_thresholds_and_explains(weak_run: Run) -> None:
    run_select(weak_run, load_config(None, {"select.top": 6, "select.relax": "strict"}))
    summary = json.loads(weak_run.file("benchmark/selection.json").read_text())
    assert summary["questions"] == 0 and summary["relaxed"] == []
    assert summary["relaxed_text"] == ""
    assert summary["effective"]["min_score"] == 6
    assert summary["shortfall"] and summary["relaxations"]


def test_cli_select_relaxes_or_keeps_with_strict(weak_run: Run) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["select", "--run", str(weak_run.path), "--top", "6"])
    assert result.exit_code == 0, result.output
    assert "selected 6 of --top 6" in result.stdout
    assert "relaxed to score >= 5 and topic mean >= 0.5 to reach 6" in result.stdout
    assert "  - min_topic_mean 2 -> 0.5: 3 selected from 3 candidates" in result.stdout
    strict = runner.invoke(main, ["select", "--run", str(weak_run.path), "--top", "6",
                                  "--strict", "--json"])
    assert strict.exit_code == 0, strict.output
    summary = json.loads(strict.stdout)
    assert summary["questions"] == 0 and summary["relax"] == "strict"
    assert not summary["skipped"]  # relax is part of the stage's config


def test_run_summary_and_report_show_the_relaxing(weak_run: Run) -> None:
    config = load_config(None, {"select.top": 6})
    run_select(weak_run, config)
    lines = summary_lines(pipeline_summary(weak_run, []))
    sentence = "relaxed to score >= 5 and topic mean >= 0.5 to reach 6"
    assert any(line.strip().startswith(sentence) for line in lines)
    run_report(weak_run, config)
    html = weak_run.file("report/index.html").read_text("utf-8")
    assert 'id="relaxed"' in html and sentence.replace(">", "&gt;") in html
    summary = json.loads(weak_run.file("report/summary.json").read_text("utf-8"))
    assert summary["benchmark"]["relaxed"] == sentence


def test_more_topics_come_before_more_per_topic(tmp_path: Path) -> None:
    scores = {0: [7, 7, 7, 6, 6, 6], 1: [7, 7, 6, 6, 6, 6], 2: [6, 1, 1, 0]}   # means 6.5, 6.3, 2
    rows = [{"id": f"t{t}p{i}", "text": f"prompt {t} {i}", "topic": t, "score": s}
            for t, values in scores.items() for i, s in enumerate(values)]
    frame = load_candidates(write_run(tmp_path / "wide", rows, {t: f"topic_{t}" for t in scores}))
    selection = select_benchmark(frame, params(top=5))
    # the strict pool (topics 0 and 1) holds 10 prompts but per_topic 2 takes 4: topic 2's 6
    # comes in by lowering the topic mean to 2, before any topic gives a third prompt
    assert steps_of(selection) == [("min_topic_mean", 3.0, 2.0)]
    assert len(selection.selected) == 5 and selection.params.per_topic == 2
    assert sorted(selection.table.loc[selection.selected, "topic"].unique()) == [0, 1, 2]
    strict = select_benchmark(frame, params(top=5, relax="strict"))
    assert len(strict.selected) == 4
