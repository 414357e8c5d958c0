"""`select.relax: auto` walks the documented ladder until --top (topic mean and per_topic before
score, the score last and loudly, never under the topic-mean floor or past the topic share);
quotas by topic words; `strict` keeps the thresholds and fails when short."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
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
from miner.select.explain import reasons_short
from miner.select.quotas import word_matches
from miner.select.relax import relaxed_sentence, score_lowered, score_warning
from miner.select.sampling import select_strict
from tests.cli_errors import assert_cli_error
from tests.test_select import write_run

# The strict thresholds (score 6, topic mean 3, per_topic 2) leave 2 of 12. Topic 1 (mean 2.83)
# comes in at topic mean 2.5; topic 2 (mean 1.88) holds a 7 and a 6 but sits under the floor
# (select.min_topic_mean_floor 2.5); topic 3 (mean 4.67) has 5s only.
TOPIC_SCORES = {
    0: [7, 7, 7, 7, 6, 6, 5, 5],                # mean 6.25
    1: [6, 6, 5, 0, 0, 0],                      # mean 2.83
    2: [7, 6, 1, 1, 0, 0, 0, 0],                # mean 1.88
    3: [5, 5, 5, 5, 4, 4],                      # mean 4.67
}


def rows_of(scores: dict[int, list[int]]) -> list[dict]:
    return [{"id": f"t{t}p{i}", "text": f"prompt {t} {i}", "topic": t, "score": s}
            for t, values in scores.items() for i, s in enumerate(values)]


@pytest.fixture()
def weak_run(tmp_path: Path) -> Run:
    return write_run(tmp_path / "weak", rows_of(TOPIC_SCORES),
                     {t: f"topic_{t}" for t in TOPIC_SCORES})


def params(**select):
    return params_from_config(load_config(None, {f"select.{k}": v for k, v in
                                                 select.items()})["select"])


def steps_of(selection) -> list[tuple[str, float, float]]:
    return [(s["setting"], s["from"], s["to"]) for s in selection.relaxed]


def test_default_is_auto_and_bad_value_is_one_line() -> None:
    assert params().relax == "auto"
    with pytest.raises(ConfigError, match="select.relax' must be one of auto, strict"):
        params(relax="sometimes")


def test_ladder_keeps_the_score_bar_until_last(weak_run: Run) -> None:
    frame = load_candidates(weak_run)
    assert len(select_strict(frame, params(top=12), None, None).selected) == 2
    selection = select_benchmark(frame, params(top=12, max_topic_share=0.5))
    # topic mean 3 -> 2.5 admits topic 1's two 6s; no lower mean is allowed (floor 2.5), so
    # per_topic rises to the most one topic may give (0.5 of 12 = 6; topic 0 has six 6+)
    # and only then min_score drops to 5 (topic 1's 5, topic 3's four 5s): 12 reached
    assert steps_of(selection) == [("min_topic_mean", 3.0, 2.5), ("per_topic", 2, 6),
                                   ("min_score", 6.0, 5.0)]
    assert [s["selected"] for s in selection.relaxed] == [4, 8, 12]
    assert selection.requested.min_score == 6 and selection.params.min_score == 5
    chosen = selection.table.loc[selection.selected]
    assert 2 not in set(chosen["topic"])          # its 7 and 6 stay out: mean under the floor
    # the 5s only pad: every 6+ the caps allow (topic 0's six, topic 1's two) is in
    assert (chosen["score"] >= 6).sum() == 8 and (chosen["score"] < 6).sum() == 4
    # the relaxed selection is exactly the strict one at the final settings
    final = select_strict(frame, selection.params, None, None)
    assert final.selected == selection.selected
    assert score_lowered(selection) == {"from": 6.0, "to": 5.0, "below": 4}
    assert relaxed_sentence(selection) == (
        "relaxed to topic mean >= 2.5, per_topic 6 and score >= 5 (LOWERED from 6: 4 "
        "questions under it) to reach 12")


def test_cap_and_topic_mean_come_before_score(weak_run: Run) -> None:
    frame = load_candidates(weak_run)
    # per_topic 6 at score 6 reaches 8: the score is never touched
    selection = select_benchmark(frame, params(top=8, max_topic_share=1))
    assert steps_of(selection) == [("min_topic_mean", 3.0, 2.5), ("per_topic", 2, 6)]
    assert selection.params.min_score == 6 and score_lowered(selection) is None
    assert score_warning(selection) == ""


def test_floor_keeps_low_mean_topics_out_and_says_why(weak_run: Run) -> None:
    config = load_config(None, {"select.top": 50})
    run_select(weak_run, config)
    summary = json.loads(weak_run.file("benchmark/selection.json").read_text())
    # topics 0, 1 and 3 give 5 each (cap 5 = 0.1 of 50), down to score 0; topic 2 nothing
    assert summary["questions"] == 15
    assert summary["reached_top"] is False and summary["effective"]["min_topic_mean"] == 2.5
    assert summary["effective"]["per_topic"] == 5 and summary["effective"]["min_score"] == 0
    assert summary["score_lowered"]["from"] == 6 and summary["score_lowered"]["to"] == 0
    assert summary["largest_topic"]["selected"] == 5
    assert summary["largest_topic"]["share"] == pytest.approx(0.1)
    assert summary["relaxed_text"].endswith(
        "and still 15 of 50: topics with mean under 2.5 stay out "
        "(select.min_topic_mean_floor 2.5); no topic gives more than 5 "
        "(select.max_topic_share 0.1 of --top 50)")
    chosen = pd.read_parquet(weak_run.file("benchmark/selection.parquet"))
    assert set(chosen.loc[chosen["reason"] == "selected", "topic"]) == {0, 1, 3}
    # a min_topic_mean asked under the floor is the user's own choice: topic 2 comes in
    lower = select_benchmark(load_candidates(weak_run), params(top=50, min_topic_mean=1.5))
    assert 2 in set(lower.table.loc[lower.selected, "topic"])


def test_topic_share_caps_what_relaxing_takes(tmp_path: Path) -> None:
    scores = {0: [7] * 30, 1: [7, 7]}
    frame = load_candidates(write_run(tmp_path / "big", rows_of(scores),
                                      {t: f"topic_{t}" for t in scores}))
    capped = select_benchmark(frame, params(top=20, max_topic_share=0.25))
    # one topic may give at most 5 of 20: fewer questions, never one topic's padding
    assert steps_of(capped) == [("per_topic", 2, 5)]
    assert len(capped.selected) == 7
    assert relaxed_sentence(capped) == (
        "relaxed to per_topic 5, and still 7 of 20: no topic gives more than 5 "
        "(select.max_topic_share 0.25 of --top 20)")
    allowed = select_benchmark(frame, params(top=20, max_topic_share=1))
    assert steps_of(allowed) == [("per_topic", 2, 18)] and len(allowed.selected) == 20
    # a per_topic asked above the share is the user's own: relaxing may go that far
    asked = select_benchmark(frame, params(top=20, per_topic=8, max_topic_share=0.1))
    assert asked.params.per_topic == 8 and len(asked.selected) == 10


def test_quota_matches_topic_words_and_stays_short(tmp_path: Path) -> None:
    scores = {0: [7] * 10, 1: [7, 3, 3, 3], 2: [7] * 10}
    topics = {0: "python_code_math", 1: "integral_equation", 2: "travel_plan"}
    # the category label says "math" for the coding topic: it must not count
    categories = [{"category": 0, "label": "math", "topics": [0, 1]},
                  {"category": 1, "label": "everyday", "topics": [2]}]
    frame = load_candidates(write_run(tmp_path / "quota", rows_of(scores), topics, categories))
    selection = select_benchmark(frame, params(top=10, max_topic_share=0.5,
                                               quotas={"coding": 0.4, "math": 0.3}))
    groups = selection.table.drop_duplicates("topic").set_index("topic")["group"]
    assert groups.to_dict() == {0: "coding", 1: "math", 2: ""}
    # math wants 3, its one topic has one 7: the score stays 6 and the cap within 0.5 of 10
    assert selection.params.min_score == 6 and selection.params.per_topic <= 5
    assert all(step["setting"] != "min_score" for step in selection.relaxed)
    assert selection.taken == {"coding": 4, "math": 1, "": 3}
    lines = reasons_short(selection)
    assert ("quota math=0.3 wants 3, only 1 found at score >= 6 in the 1 topics whose label "
            "or keywords match it, at most 5 per topic: its other slots stay empty "
            "(a quota never lowers min_score)") in lines


def test_strict_keeps_thresholds_and_explains(weak_run: Run) -> None:
    run_select(weak_run, load_config(None, {"select.top": 6, "select.relax": "strict"}))
    summary = json.loads(weak_run.file("benchmark/selection.json").read_text())
    assert summary["questions"] == 2 and summary["relaxed"] == []
    assert summary["relaxed_text"] == "" and summary["score_lowered"] is None
    assert summary["effective"]["min_score"] == 6
    assert summary["shortfall"] and summary["relaxations"]


def test_cli_select_relaxes_loudly_or_fails_with_strict(weak_run: Run) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["select", "--run", str(weak_run.path), "--top", "12",
                                  "--max-topic-share", "0.5"])
    assert result.exit_code == 0, result.output
    assert "selected 12 of --top 12" in result.stdout
    assert "  - min_topic_mean 3 -> 2.5: 4 selected from 8 candidates" in result.stdout
    assert ("select: WARNING: min_score lowered 6 -> 5: 4 of 12 questions score below the 6 "
            "asked for") in result.stderr
    summary = json.loads(weak_run.file("benchmark/selection.json").read_text())
    assert summary["score_lowered"] == {"from": 6.0, "to": 5.0, "below": 4}
    strict = runner.invoke(main, ["select", "--run", str(weak_run.path), "--top", "12",
                                  "--strict", "--json"])
    assert_cli_error(strict, "--strict selected 2 of --top 12")
    summary = json.loads(strict.stdout)
    assert summary["questions"] == 2 and summary["relax"] == "strict"
    assert not summary["skipped"]  # relax is part of the stage's config


def test_run_summary_and_report_show_the_relaxing(weak_run: Run) -> None:
    config = load_config(None, {"select.top": 12, "select.max_topic_share": 0.5})
    run_select(weak_run, config)
    lines = summary_lines(pipeline_summary(weak_run, []))
    sentence = ("relaxed to topic mean >= 2.5, per_topic 6 and score >= 5 (LOWERED from 6: "
                "4 questions under it) to reach 12")
    assert any(line.strip().startswith(sentence) for line in lines)
    run_report(weak_run, config)
    html = weak_run.file("report/index.html").read_text("utf-8")
    assert 'id="relaxed"' in html and sentence.replace(">", "&gt;") in html
    summary = json.loads(weak_run.file("report/summary.json").read_text("utf-8"))
    assert summary["benchmark"]["relaxed"] == sentence


def test_more_topics_come_before_more_per_topic(tmp_path: Path) -> None:
    scores = {0: [7, 7, 7, 6, 6, 6], 1: [7, 7, 6, 6, 6, 6], 2: [6, 6, 1, 0]}  # 6.5, 6.3, 3.25
    frame = load_candidates(write_run(tmp_path / "wide", rows_of(scores),
                                      {t: f"topic_{t}" for t in scores}))
    selection = select_benchmark(frame, params(top=5, min_topic_mean=4))
    # the strict pool (topics 0 and 1) holds 10 prompts but per_topic 2 takes 4: topic 2's 6
    # comes in by lowering the topic mean to 3, before any topic gives a third prompt
    assert steps_of(selection) == [("min_topic_mean", 4.0, 3.0)]
    assert len(selection.selected) == 5 and selection.params.per_topic == 2
    assert sorted(selection.table.loc[selection.selected, "topic"].unique()) == [0, 1, 2]
    strict = select_benchmark(frame, params(top=5, min_topic_mean=4, relax="strict"))
    assert len(strict.selected) == 4


def test_lowered_score_pads_after_every_asked_score_prompt(weak_run: Run) -> None:
    frame = load_candidates(weak_run)
    for fill in ("rounds", "topics"):
        selection = select_benchmark(frame, params(top=12, max_topic_share=0.5, fill=fill))
        assert selection.params.min_score == 5 and selection.params.prefer_score == 6
        chosen = selection.table.loc[selection.selected, "score"].to_numpy()
        # selection order: all eight 6+ prompts, then the 5s
        assert list(chosen[:8] >= 6) == [True] * 8 and (chosen[8:] < 6).all(), fill


@pytest.mark.parametrize(("word", "pattern", "matched"), [
    ("programming", "program", True), ("programs", "program", True), ("html5", "html", True),
    ("debugging", "debug", True), ("mathematics", "mathematic", True), ("coder", "code", True),
    ("programme", "program", False), ("scripture", "script", False),
    ("mathematics", "math", False), ("apiary", "api", False),
])
def test_quota_words_match_inflections_not_other_words(word: str, pattern: str,
                                                        matched: bool) -> None:
    assert word_matches(word, pattern) is matched
