"""`--exclude-near FILE` and the shipped public benchmarks (`select.exclude_public`): real
ingest readers, the real MiniLM embedder and FAISS."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from miner.cli import main
from miner.config import load_config
from miner.embed import make_embedder
from miner.errors import ConfigError
from miner.select import run_select
from tests.cli_errors import assert_cli_error
from tests.test_select import write_run

HAWAII = ("Compose an engaging travel blog post about a recent trip to Hawaii, highlighting "
          "cultural experiences and must-see attractions.")
PROMPTS = [
    ("copy", "Compose an engaging travel blog post about my recent trip to Hawaii, highlighting "
             "the cultural experiences and the must-see attractions.", 0),
    ("rust", "Explain how the Rust borrow checker prevents data races, with a code example.", 0),
    ("sql", "Write an SQL query with a window function ranking customers by monthly revenue.", 1),
    ("poem", "Write a sonnet about a programmer debugging at night, in iambic pentameter.", 1),
    # MT-bench question 101, reworded: only the shipped public list holds it
    ("race", "Imagine you're running a race with a group of people. If you have just overtaken "
             "the second person, what is your position now? Where is the person you overtook?",
     1),
]


@pytest.fixture(scope="module")
def embedded_run(tmp_path_factory: pytest.TempPathFactory):
    """A hand-built run whose embeddings come from the real default embedder."""
    config = load_config()
    embedder = make_embedder(config["embed"])
    vectors = embedder.encode([text for _, text, _ in PROMPTS])
    rows = [{"id": pid, "text": text, "topic": topic, "score": 7}
            for pid, text, topic in PROMPTS]
    run = write_run(tmp_path_factory.mktemp("contam") / "run", rows,
                    {0: "travel_rust", 1: "sql_poem"}, vectors=vectors)
    run.file("embeddings.json").write_text(json.dumps({"model": embedder.model_id}))
    bench = run.path.parent / "mt_bench_question.jsonl"
    bench.write_text("\n".join(json.dumps(q) for q in [
        {"question_id": 81, "category": "writing",
         "turns": [HAWAII, "Rewrite your previous response. Start every sentence with A."]},
        {"question_id": 82, "category": "writing",
         "turns": ["Draft a professional email seeking your supervisor's feedback on the "
                   "Quarterly Financial Report you prepared.", "Take a moment to evaluate."]},
    ]) + "\n")
    return run, bench


def test_prompts_near_an_excluded_benchmark_are_dropped_and_listed(embedded_run) -> None:
    run, bench = embedded_run
    config = load_config(None, {"select.top": 10, "select.exclude_near": [str(bench)],
                                "select.exclude_public": False,
                                "select.max_topic_share": 1})   # 3 of 4 share one topic
    outcome = run_select(run, config)
    assert outcome.counts["contaminated"] == 1
    table = pd.read_parquet(run.file("benchmark/selection.parquet")).set_index("id")
    assert table.loc["copy", "reason"] == "contaminated"
    assert table.loc["copy", "near_file"] == "mt_bench_question.jsonl"
    assert table.loc["copy", "near_similarity"] >= 0.9
    assert "Compose an engaging travel blog post" in table.loc["copy", "detail"]
    assert set(table.index[table["reason"] == "selected"]) == {"rust", "sql", "poem", "race"}
    assert (table.drop("copy")["near_similarity"] < 0.5).all()
    listed = json.loads(run.file("benchmark/selection.json").read_text())["contaminated"]
    assert [entry["id"] for entry in listed] == ["copy"]
    # a changed exclusion file makes the stage run again
    assert run_select(run, config).skipped
    bench.write_text(bench.read_text() + json.dumps({"question_id": 83, "turns": ["x" * 40]})
                     + "\n")
    assert not run_select(run, config).skipped


def test_cli_prints_what_was_dropped_and_why(embedded_run) -> None:
    run, bench = embedded_run
    result = CliRunner().invoke(main, ["select", "--run", str(run.path), "--top", "10",
                                       "--exclude-near", str(bench), "--no-exclude-public"])
    assert result.exit_code == 0, result.output
    assert "dropped 1 prompts near benchmark questions" in result.stdout
    assert "copy: cosine" in result.stdout and "mt_bench_question.jsonl" in result.stdout
    nope = Path(bench).with_name("nope.jsonl")
    for command in (["select"], ["run", str(bench)]):   # run: refused before any stage
        missing = CliRunner().invoke(main, [*command, "--run", str(run.path), "--exclude-near",
                                            str(nope)])
        assert_cli_error(missing, f"error: {nope}: --exclude-near file does not exist")
    folder = CliRunner().invoke(main, ["select", "--run", str(run.path), "--exclude-near",
                                       str(run.path)])
    assert_cli_error(folder, f"{run.path}: --exclude-near file is a folder, not a file")


def test_a_malformed_exclude_near_file_names_a_way_select_has_to_skip(embedded_run) -> None:
    run, bench = embedded_run
    bad = bench.with_name("bad_questions.jsonl")
    bad.write_text(json.dumps({"turns": [HAWAII]}) + '\n{"turns": ["cut\n')
    result = CliRunner().invoke(main, ["select", "--run", str(run.path), "--exclude-near",
                                       str(bad)])
    line = assert_cli_error(result, f"{bad}: line 2: invalid JSON",
                            "(set ingest.on_error: skip in a --config file to skip such rows)")
    assert "--on-error" not in line
    config = bench.with_name("skip.yaml")
    config.write_text("ingest:\n  on_error: skip\n")
    skipped = CliRunner().invoke(main, ["select", "--run", str(run.path), "--top", "10",
                                        "--exclude-near", str(bad), "--config", str(config)])
    assert skipped.exit_code == 0, skipped.output
    assert "copy: " in skipped.stdout and "dropped 2 prompts near benchmark questions" in \
        skipped.stdout                     # the Hawaii copy (the good row) and the MT-bench race


def test_public_benchmarks_are_excluded_by_default(embedded_run) -> None:
    run, _ = embedded_run
    outcome = run_select(run, load_config(None, {"select.top": 10}))
    assert outcome.counts["contaminated"] == 2     # the MT-bench rewording and the Hawaii copy
    table = pd.read_parquet(run.file("benchmark/selection.parquet")).set_index("id")
    assert table.loc["race", "reason"] == "contaminated"
    assert table.loc["race", "near_file"] == "public:mt-bench"
    assert table.loc["race", "near_similarity"] >= 0.9
    assert "overtaken the second person" in table.loc["race", "detail"]
    summary = json.loads(run.file("benchmark/selection.json").read_text())
    assert {e["id"]: e["benchmark"] for e in summary["contaminated"]}["race"] == "public:mt-bench"
    # the shipped questions' vectors are in the run's vector cache: a second select embeds none
    again = CliRunner().invoke(main, ["select", "--run", str(run.path), "--top", "10", "--force"])
    assert again.exit_code == 0, again.output
    assert ", 0 to embed" in again.stderr
    kept = CliRunner().invoke(main, ["select", "--run", str(run.path), "--top", "10",
                                     "--no-exclude-public", "--json"])
    assert kept.exit_code == 0, kept.output
    assert json.loads(kept.stdout)["counts"].get("contaminated", 0) == 0
    table = pd.read_parquet(run.file("benchmark/selection.parquet")).set_index("id")
    assert table.loc["race", "reason"] == "selected"


def test_a_different_embedding_model_is_refused(embedded_run, tmp_path: Path) -> None:
    run, bench = embedded_run
    recorded = run.file("embeddings.json").read_text()
    try:
        run.file("embeddings.json").write_text(json.dumps({"model": "some-other-model"}))
        config = load_config(None, {"select.exclude_near": [str(bench)]})
        with pytest.raises(ConfigError, match="same model"):
            run_select(run, config, force=True)
    finally:
        run.file("embeddings.json").write_text(recorded)
