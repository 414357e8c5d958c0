"""Selection on hand-built artifacts: thresholds, caps, diversity, contamination, quotas,
formats, determinism and the "cannot reach --top" explanation."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from miner.cli import main
from miner.config import load_config
from miner.errors import ConfigError
from miner.run import Run
from miner.select import load_candidates, params_from_config, run_select, select_benchmark
from miner.select.contamination import ExclusionSet, nearest_excluded
from tests.cli_errors import assert_cli_error

DIM = 16


def unit(seed: int, dim: int = DIM) -> np.ndarray:
    """A random unit vector (nearly orthogonal to other seeds' in 16-D)."""
    vector = np.random.default_rng(seed).normal(size=dim)
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def write_run(path: Path, rows: list[dict], topics: dict[int, str],
              categories: list[dict] | None = None, vectors: np.ndarray | None = None) -> Run:
    """Write prompts/topics/topic_info/scores/embeddings as the upstream stages would.

    rows: dicts with id, text, topic, score (None: unscored), optional dup_of, near_dup_of.
    """
    run = Run(path)
    path.mkdir(parents=True, exist_ok=True)
    prompts = pd.DataFrame({
        "id": [r["id"] for r in rows],
        "text": [r["text"] for r in rows],
        "hash": [hashlib.sha256(r["text"].lower().encode()).hexdigest() for r in rows],
        "source": "hand.jsonl",
        "row": range(len(rows)),
        "dup_of": [r.get("dup_of") for r in rows],
        "near_dup_of": [r.get("near_dup_of") for r in rows],
    })
    prompts.to_parquet(run.file("prompts.parquet"), index=False)
    pd.DataFrame({
        "id": [r["id"] for r in rows], "topic": [r["topic"] for r in rows],
        "probability": 1.0, "x": 0.0, "y": 0.0,
    }).to_parquet(run.file("topics.parquet"), index=False)
    info = {
        "topics": [{"topic": t, "label": label, "keywords": label.split("_"), "size": 0}
                   for t, label in topics.items()],
        "categories": categories or [],
    }
    run.file("topic_info.json").write_text(json.dumps(info))
    pd.DataFrame({
        "id": [r["id"] for r in rows],
        "judge": "hand",
        "score": [r["score"] for r in rows],
        "status": ["ok" if r["score"] is not None else "no_match" for r in rows],
    }).to_parquet(run.file("scores.parquet"), index=False)
    if vectors is None:
        vectors = np.stack([unit(i) for i in range(len(rows))])
    np.save(run.file("embeddings.npy"), vectors.astype(np.float32))
    return run


def config_with(**select) -> dict:
    """The default config with `select` keys changed; `relax: strict` unless given (these
    tests check the thresholds themselves; tests/test_select_relax.py checks relaxing)."""
    select.setdefault("relax", "strict")
    return load_config(None, {f"select.{k}": v for k, v in select.items()})


def params(**select):
    config = config_with(**select)
    config["select"].update({k: v for k, v in select.items() if v is None})
    return params_from_config(config["select"])


def reasons(selection) -> dict[str, str]:
    return dict(zip(selection.table["id"], selection.table["reason"], strict=True))


def selected_ids(selection) -> list[str]:
    return list(selection.table.loc[selection.selected, "id"])


# --------------------------------------------------------------------------------------
# A run with three good topics, one weak topic, outliers and duplicates.

GOOD_TOPICS = {0: "python_code_function", 1: "integral_calculus_math", 2: "story_poem_fiction",
               3: "greeting_hello_chat"}


def funnel_rows() -> list[dict]:
    rows = []
    # topic 0: scores 7,7,6,6,5 -> mean 6.2
    for i, s in enumerate([7, 7, 6, 6, 5]):
        rows.append({"id": f"code{i}", "text": f"Write a Python function number {i}", "topic": 0,
                     "score": s})
    # topic 1: scores 7,6,2 -> mean 5
    for i, s in enumerate([7, 6, 2]):
        rows.append({"id": f"math{i}", "text": f"Evaluate the integral number {i}", "topic": 1,
                     "score": s})
    # topic 2: 6,6,6 -> mean 6, one unscored
    for i, s in enumerate([6, 6, 6, None]):
        rows.append({"id": f"story{i}", "text": f"Write a story number {i}", "topic": 2,
                     "score": s})
    # topic 3: one 7 but the topic mean is low (7,1,1,1 -> 2.5)
    for i, s in enumerate([7, 1, 1, 1]):
        rows.append({"id": f"chat{i}", "text": f"Say hello number {i}", "topic": 3, "score": s})
    rows.append({"id": "out0", "text": "Unclustered hard prompt", "topic": -1, "score": 7})
    rows.append({"id": "dup0", "text": "write a python function number 0", "topic": 0,
                 "score": 7, "dup_of": "code0"})
    rows.append({"id": "near0", "text": "Write a Python function, number 1", "topic": 0,
                 "score": 7, "near_dup_of": "code1"})
    return rows


@pytest.fixture()
def funnel_run(tmp_path: Path) -> Run:
    return write_run(tmp_path / "run", funnel_rows(), GOOD_TOPICS)


def test_thresholds_and_filters_give_each_reason(funnel_run: Run) -> None:
    frame = load_candidates(funnel_run)
    selection = select_benchmark(frame, params(top=100, per_topic=0))
    got = reasons(selection)
    assert got["dup0"] == "duplicate"
    assert got["near0"] == "near_duplicate"
    assert got["story3"] == "unscored"
    assert got["out0"] == "outlier"
    assert got["code4"] == "low_score" and got["math2"] == "low_score"
    assert got["chat0"] == "low_topic_mean"      # score 7 but its topic's mean is 2.5
    assert sorted(selected_ids(selection)) == sorted(
        ["code0", "code1", "code2", "code3", "math0", "math1", "story0", "story1", "story2"])
    # the duplicate's 7 does not raise topic 0's mean (distinct prompts only)
    means = selection.table.drop_duplicates("topic").set_index("topic")["topic_mean"]
    assert means[0] == pytest.approx(6.2)
    assert means[3] == pytest.approx(2.5)


def test_lower_thresholds_admit_more(funnel_run: Run) -> None:
    frame = load_candidates(funnel_run)
    selection = select_benchmark(
        frame, params(top=100, per_topic=0, min_score=5, min_topic_mean=2, include_outliers=True))
    got = reasons(selection)
    assert got["code4"] == "selected" and got["chat0"] == "selected" and got["out0"] == "selected"
    assert got["math2"] == "low_score"


def test_per_topic_cap_and_stratified_rounds(funnel_run: Run) -> None:
    frame = load_candidates(funnel_run)
    capped = select_benchmark(frame, params(top=100, per_topic=2))
    got = reasons(capped)
    assert [got[f"code{i}"] for i in range(4)] == ["selected", "selected", "topic_cap", "topic_cap"]
    per_topic = capped.table.groupby("topic")["reason"].apply(lambda r: (r == "selected").sum())
    assert per_topic.max() == 2
    # top 3 with three eligible topics: one each (every topic before any gets a second),
    # even though topic 0 alone holds three prompts scoring higher than story prompts.
    three = select_benchmark(frame, params(top=3, per_topic=2))
    assert sorted(capped.table.loc[three.selected, "topic"]) == [0, 1, 2]
    # highest score first inside a topic: code0/code1 (7) before code2/code3 (6)
    assert set(selected_ids(capped)) >= {"code0", "code1"}
    assert reasons(three)["story1"] == "not_needed"


def test_ties_broken_by_seeded_draw_independent_of_row_order(tmp_path: Path) -> None:
    rows = [{"id": f"p{i:02d}", "text": f"tied prompt {i}", "topic": i % 4, "score": 6}
            for i in range(40)]
    run = write_run(tmp_path / "ties", rows, {t: f"topic_{t}" for t in range(4)})
    frame = load_candidates(run)
    first = selected_ids(select_benchmark(frame, params(top=8, seed=0)))
    again = selected_ids(select_benchmark(frame, params(top=8, seed=0)))
    shuffled = frame.sample(frac=1.0, random_state=3).reset_index(drop=True)
    reordered = selected_ids(select_benchmark(shuffled, params(top=8, seed=0)))
    assert first == again
    assert sorted(first) == sorted(reordered)
    draws = {tuple(sorted(selected_ids(select_benchmark(frame, params(top=8, seed=s)))))
             for s in range(5)}
    assert len(draws) > 1, "different seeds should break ties differently"


def test_diversity_skips_prompts_too_close_to_a_selected_one(tmp_path: Path) -> None:
    rows = [
        {"id": "a", "text": "Explain Rust lifetimes in detail", "topic": 0, "score": 7},
        {"id": "b", "text": "Explain lifetimes in Rust, in detail", "topic": 1, "score": 7},
        {"id": "c", "text": "Prove the sum of two odd numbers is even", "topic": 1, "score": 6},
    ]
    base = unit(1)
    close = base + 0.25 * unit(2)
    close /= np.linalg.norm(close)
    vectors = np.stack([base, close, unit(3)])
    cosine = float(base @ close)
    assert 0.9 < cosine < 0.99
    run = write_run(tmp_path / "div", rows, {0: "rust_lifetimes", 1: "rust_proofs"},
                    vectors=vectors)
    frame = load_candidates(run)
    vecs = np.load(run.file("embeddings.npy"))
    diverse = select_benchmark(frame, params(top=3, max_similarity=0.9), vecs)
    got = reasons(diverse)
    too_close = "a" if got["a"] == "too_similar" else "b"
    kept = "b" if too_close == "a" else "a"
    assert got[kept] == "selected" and got[too_close] == "too_similar" and got["c"] == "selected"
    row = diverse.table.set_index("id").loc[too_close]
    assert row["similar_to"] == kept and row["similarity"] == pytest.approx(cosine, abs=1e-5)
    # a threshold above their cosine, or the rule off, keeps both
    assert reasons(select_benchmark(frame, params(top=3, max_similarity=0.99), vecs))[
        too_close] == "selected"
    assert reasons(select_benchmark(frame, params(top=3, max_similarity=None), vecs))[
        too_close] == "selected"


def test_contamination_drops_prompts_near_excluded_questions(funnel_run: Run) -> None:
    frame = load_candidates(funnel_run)
    vectors = np.load(funnel_run.file("embeddings.npy"))
    row = int(frame.index[frame["id"] == "math0"][0])
    reworded = vectors[row] + 0.1 * unit(99)
    reworded /= np.linalg.norm(reworded)
    exclusion = ExclusionSet(["Evaluate this integral (MT-bench style)", "unrelated question"],
                             ["mt_bench.jsonl", "mt_bench.jsonl"],
                             np.stack([reworded, unit(98)]).astype(np.float32))
    found = nearest_excluded(vectors, frame["row"].to_numpy(), exclusion)
    found.index = frame.index
    selection = select_benchmark(frame, params(top=100, per_topic=0), vectors, found)
    got = reasons(selection)
    assert got["math0"] == "contaminated"
    detail = selection.table.set_index("id").loc["math0", "detail"]
    assert "mt_bench.jsonl" in detail and "Evaluate this integral" in detail
    assert got["math1"] == "selected"
    assert (selection.table["reason"] == "contaminated").sum() == 1


def test_quotas_share_top_between_categories(tmp_path: Path) -> None:
    topics = {0: "python_code", 1: "sql_query", 2: "integral_math", 3: "poem_story",
              4: "travel_plan", 5: "cooking_recipe"}
    rows = [{"id": f"t{t}p{i}", "text": f"prompt {t}-{i}", "topic": t, "score": 7}
            for t in topics for i in range(4)]
    categories = [{"category": 0, "label": "programming", "topics": [0, 1]},
                  {"category": 1, "label": "math", "topics": [2]},
                  {"category": 2, "label": "everyday", "topics": [3, 4, 5]}]
    run = write_run(tmp_path / "quota", rows, topics, categories)
    frame = load_candidates(run)
    selection = select_benchmark(frame, params(top=10, per_topic=4, quotas={"coding": 0.5}))
    chosen = selection.table.loc[selection.selected]
    assert len(chosen) == 10
    assert (chosen["group"] == "coding").sum() == 5
    assert set(chosen.loc[chosen["group"] == "coding", "topic"]) <= {0, 1}
    assert (selection.table["reason"] == "quota_full").sum() > 0
    # quota named by its own words matched against labels ("math")
    mathy = select_benchmark(frame, params(top=10, per_topic=4, quotas={"math": 0.2}))
    assert (mathy.table.loc[mathy.selected, "topic"] == 2).sum() == 2
    with pytest.raises(ConfigError, match="quota 'astronomy' matches no topic"):
        select_benchmark(frame, params(top=10, quotas={"astronomy": 0.2}))


def test_shortfall_says_why_and_what_relaxing_gives(funnel_run: Run) -> None:
    config = config_with(top=8, per_topic=2)
    outcome = run_select(funnel_run, config)
    summary = json.loads(funnel_run.file("benchmark/selection.json").read_text())
    assert outcome.counts["selected"] == 6 and summary["reached_top"] is False
    text = "\n".join(summary["shortfall"])
    assert "9 prompts in 3 topics pass the filters" in text
    assert "per_topic 2: at most 6" in text
    relax = {r["setting"]: r for r in summary["relaxations"]}
    assert relax["per_topic"]["value"] == 3 and relax["per_topic"]["selected"] == 8
    assert relax["per_topic"]["reaches_top"] is True
    # min_score 5 admits code4 and story... but the cap of 2 still binds: no gain
    assert "min_score" not in relax
    # verify the claimed relaxation really gives what it says
    redo = run_select(funnel_run, config_with(top=8, per_topic=3))
    assert redo.counts["selected"] == 8


@pytest.mark.parametrize("fmt", ["v0.1", "v2", "fastchat", "mt-bench"])
def test_every_output_format(funnel_run: Run, fmt: str) -> None:
    run_select(funnel_run, config_with(top=4, format=fmt))
    lines = funnel_run.file("benchmark/question.jsonl").read_text("utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 4
    prompts = pd.read_parquet(funnel_run.file("prompts.parquet")).set_index("id")
    table = pd.read_parquet(funnel_run.file("benchmark/selection.parquet"))
    chosen = table[table["reason"] == "selected"].sort_values("rank")
    texts = [prompts.loc[i, "text"] for i in chosen["id"]]
    uids = [prompts.loc[i, "hash"][:32] for i in chosen["id"]]
    if fmt == "v0.1":
        assert [set(r) for r in records] == [{"uid", "category", "cluster", "prompt"}] * 4
        assert [r["prompt"] for r in records] == texts
        assert [r["uid"] for r in records] == uids
        assert {r["category"] for r in records} == {"arena-hard-v0.1"}
        assert [r["cluster"] for r in records] == list(chosen["topic_label"])
    elif fmt == "v2":
        assert [set(r) for r in records] == [{"uid", "category", "subcategory", "prompt"}] * 4
        kinds = {r["subcategory"]: r["category"] for r in records}
        assert kinds["story_poem_fiction"] == "creative_writing"
        assert kinds["python_code_function"] == "hard_prompt"
    elif fmt == "fastchat":
        assert [set(r) for r in records] == [{"question_id", "category", "cluster", "turns"}] * 4
        assert [r["turns"] for r in records] == [[{"content": t}] for t in texts]
        assert [r["question_id"] for r in records] == uids
    else:
        assert [set(r) for r in records] == [{"question_id", "category", "turns"}] * 4
        assert [r["turns"] for r in records] == [[t] for t in texts]


def test_selection_parquet_has_every_candidate_with_a_reason(funnel_run: Run) -> None:
    run_select(funnel_run, config_with(top=5))
    table = pd.read_parquet(funnel_run.file("benchmark/selection.parquet"))
    assert len(table) == len(funnel_rows())
    assert table["reason"].notna().all() and (table["detail"] != "").all()
    assert list(table.loc[table["reason"] == "selected"].sort_values("rank")["rank"]) == [1, 2, 3,
                                                                                          4, 5]


def test_stage_skips_when_unchanged_and_reruns_on_new_top(funnel_run: Run) -> None:
    first = run_select(funnel_run, config_with(top=4))
    again = run_select(funnel_run, config_with(top=4))
    changed = run_select(funnel_run, config_with(top=5))
    assert not first.skipped and again.skipped and not changed.skipped
    questions = funnel_run.file("benchmark/question.jsonl").read_text().splitlines()
    assert len(questions) == 5


def test_deterministic_output_files(tmp_path: Path) -> None:
    runs = [write_run(tmp_path / name, funnel_rows(), GOOD_TOPICS) for name in ("x", "y")]
    for run in runs:
        run_select(run, config_with(top=6))
    files = [run.file("benchmark/question.jsonl").read_bytes() for run in runs]
    assert files[0] == files[1]


def test_bad_settings_are_one_line_errors(funnel_run: Run) -> None:
    with pytest.raises(ConfigError, match="select.quotas"):
        params_from_config({**config_with()["select"], "quotas": {"coding": 0.7, "math": 0.6}})
    with pytest.raises(ConfigError, match="select.format"):
        params_from_config({**config_with()["select"], "format": "v9"})


def test_cli_select_json_and_errors(funnel_run: Run) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["select", "--run", str(funnel_run.path), "--top", "3",
                                  "--format", "v2", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["questions"] == 3 and summary["format"] == "v2"
    result = runner.invoke(main, ["select", "--run", str(funnel_run.path), "--top", "50",
                                  "--strict"])
    # short of --top with --strict: the summary on stdout, then one error line and exit 1
    assert_cli_error(result, "selection.json", "--strict selected 6 of --top 50",
                     "9 prompts in 3 topics pass score >= 6 and topic mean >= 3, per_topic 2")
    assert "selected 6 of --top 50" in result.stdout
    assert "relaxing would give:" in result.stdout
    reached = runner.invoke(main, ["select", "--run", str(funnel_run.path), "--top", "6",
                                   "--strict"])
    assert reached.exit_code == 0, reached.output
    bad = runner.invoke(main, ["select", "--run", str(funnel_run.path), "--quota", "coding"])
    assert assert_cli_error(bad).startswith("error: --quota 'coding'")
    empty = runner.invoke(main, ["select", "--run", str(funnel_run.path.parent / "nothing")])
    assert_cli_error(empty, "prompts.parquet does not exist")


def test_relaxed_cap_is_the_smallest_that_reaches_top(tmp_path: Path) -> None:
    rows = [{"id": f"a{i}", "text": f"prompt a{i}", "topic": 0, "score": 7} for i in range(10)]
    rows += [{"id": "b0", "text": "prompt b0", "topic": 1, "score": 7}]
    run = write_run(tmp_path / "cap", rows, {0: "big_topic", 1: "small_topic"})
    run_select(run, config_with(top=7, per_topic=1))
    summary = json.loads(run.file("benchmark/selection.json").read_text())
    relax = {r["setting"]: r for r in summary["relaxations"]}
    # the cap ladder tries 2, 3, 5, 9 and then narrows down to 6 (6 from topic 0 + b0)
    assert relax["per_topic"] == {"setting": "per_topic", "value": 6, "selected": 7,
                                  "reaches_top": True}
    assert summary["questions"] == 2


def test_nothing_passes_is_explained_not_a_crash(tmp_path: Path) -> None:
    rows = [{"id": f"p{i}", "text": f"easy prompt {i}", "topic": i % 2, "score": 1}
            for i in range(6)]
    run = write_run(tmp_path / "none", rows, {0: "greeting", 1: "smalltalk"})
    outcome = run_select(run, config_with(top=5))
    summary = json.loads(run.file("benchmark/selection.json").read_text())
    assert outcome.counts["low_score"] == 6 and summary["questions"] == 0
    assert run.file("benchmark/question.jsonl").read_text() == ""
    assert summary["shortfall"][0].startswith("0 prompts in 0 topics pass the filters")
    relax = {r["setting"]: r for r in summary["relaxations"]}
    # neither threshold alone helps (score 1 prompts sit in topics of mean 1): both together do
    assert set(relax) == {"min_score+min_topic_mean"}
    assert relax["min_score+min_topic_mean"]["value"] == [1, 1]
    assert relax["min_score+min_topic_mean"]["selected"] == 4  # 2 topics x per_topic 2


def test_fill_topics_takes_best_topics_first_per_topic_each(tmp_path: Path) -> None:
    # three topics of means 7, 6.25 and 6: `topics` fills 2 + 2 from the two best topics;
    # `rounds` spreads the same 4 slots over all three topics
    rows = [{"id": f"t{t}p{i}", "text": f"prompt {t} {i}", "topic": t, "score": s}
            for t, scores in enumerate([[7, 7, 7], [7, 6, 6, 6], [6, 6, 6]])
            for i, s in enumerate(scores)]
    run = write_run(tmp_path / "fill", rows, {0: "best", 1: "second", 2: "third"})
    frame = load_candidates(run)
    by_topics = select_benchmark(frame, params(top=4, per_topic=2, fill="topics"))
    assert list(by_topics.table.loc[by_topics.selected, "topic"]) == [0, 0, 1, 1]
    by_rounds = select_benchmark(frame, params(top=4, per_topic=2, fill="rounds"))
    assert sorted(by_rounds.table.loc[by_rounds.selected, "topic"]) == [0, 0, 1, 2]
    with pytest.raises(ConfigError, match="select.fill"):
        params_from_config({**config_with()["select"], "fill": "random"})
