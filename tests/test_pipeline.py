"""`miner demo` end to end, and `miner run` stage skipping over the demo's run folder.

SLOW, END TO END: `test_demo_end_to_end` runs the real `miner demo` (3,000 generated
conversations, the MiniLM model, BERTopic, the offline judge, select, report), about two
minutes on 2 cores; the other tests reuse its run folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from miner.cli import main
from miner.demo.run import CORPUS, DEMO_CONFIG

pytestmark = pytest.mark.slow

STAGES = ["ingest", "embed", "index", "cluster", "score", "select", "report"]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """Run `miner demo` once; every test of this module reads its run folder."""
    run_dir = tmp_path_factory.mktemp("demo") / "run"
    result = CliRunner().invoke(main, ["demo", "--run", str(run_dir)])
    return run_dir, result


def manifest(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text())["stages"]


def run_json(run_dir: Path, *extra: str) -> dict:
    """`miner run` on the demo's log and settings, with --json; returns the summary."""
    result = CliRunner().invoke(main, [
        "run", str(run_dir / CORPUS), "--run", str(run_dir), "--config", str(DEMO_CONFIG),
        "--json", *extra,
    ])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_demo_end_to_end(demo_run) -> None:
    run_dir, result = demo_run
    assert result.exit_code == 0, result.output
    questions = run_dir / "benchmark" / "question.jsonl"
    report = run_dir / "report" / "index.html"
    lines = result.stdout.strip().splitlines()
    # it ends by printing where the benchmark and the report are
    assert lines[-2] == f"questions: {questions}"
    assert lines[-1] == f"report: {report}"
    assert "OFFLINE ranker judge" in result.stdout
    assert all(stage in manifest(run_dir) for stage in STAGES)
    records = [json.loads(line) for line in questions.read_text().splitlines()]
    assert len(records) == 20  # demo.yaml's top, reached
    assert len({r["cluster"] for r in records}) >= 5  # stratified over several topics
    assert len({r["uid"] for r in records}) == 20
    summary = json.loads((run_dir / "benchmark" / "selection.json").read_text())
    assert summary["reached_top"] and summary["judges"] == ["ranker"]
    topics = json.loads((run_dir / "topic_info.json").read_text())["topics"]
    assert len([t for t in topics if t["topic"] != -1]) >= 15  # 25 planted topics
    assert report.stat().st_size > 100_000


def test_run_twice_does_no_work_the_second_time(demo_run) -> None:
    run_dir, result = demo_run
    assert result.exit_code == 0, result.output
    before = manifest(run_dir)
    summary = run_json(run_dir)
    assert [s["stage"] for s in summary["stages"]] == STAGES
    assert all(s["skipped"] for s in summary["stages"]), summary["stages"]
    assert manifest(run_dir) == before
    assert summary["judge"]["offline"] is True
    assert summary["benchmark"]["questions"] == 20


def test_changing_top_reruns_only_select_and_report(demo_run) -> None:
    run_dir, result = demo_run
    assert result.exit_code == 0, result.output
    before = manifest(run_dir)
    summary = run_json(run_dir, "--top", "12")
    ran = [s["stage"] for s in summary["stages"] if not s["skipped"]]
    assert ran == ["select", "report"]
    after = manifest(run_dir)
    for stage in ["ingest", "embed", "index", "cluster", "score"]:
        assert after[stage] == before[stage]
    assert after["select"]["fingerprint"] != before["select"]["fingerprint"]
    questions = (run_dir / "benchmark" / "question.jsonl").read_text().splitlines()
    assert len(questions) == 12


def test_run_exclude_near_drops_a_benchmark_question_and_reruns_only_select_and_report(
    demo_run,
) -> None:
    run_dir, result = demo_run
    assert result.exit_code == 0, result.output
    run_json(run_dir)  # the demo's own settings, whichever test ran before this one
    taken = [json.loads(line) for line in
             (run_dir / "benchmark" / "question.jsonl").read_text().splitlines()]
    assert len(taken) == 20
    existing = run_dir.parent / "existing_benchmark.jsonl"  # MT-bench shaped, one question
    existing.write_text(json.dumps({"question_id": 1, "category": "x",
                                    "turns": [taken[0]["prompt"], "and then?"]}) + "\n")
    before = manifest(run_dir)
    summary = run_json(run_dir, "--exclude-near", str(existing))
    assert [s["stage"] for s in summary["stages"] if not s["skipped"]] == ["select", "report"]
    after = manifest(run_dir)
    for stage in ["ingest", "embed", "index", "cluster", "score"]:
        assert after[stage] == before[stage]
    now = [json.loads(line)["prompt"] for line in
           (run_dir / "benchmark" / "question.jsonl").read_text().splitlines()]
    assert taken[0]["prompt"] not in now
    dropped = json.loads((run_dir / "benchmark" / "selection.json").read_text())["contaminated"]
    assert dropped, "the excluded question's prompt is listed as contaminated"


def test_run_relaxes_to_reach_top_unless_strict(demo_run) -> None:
    run_dir, result = demo_run
    assert result.exit_code == 0, result.output
    strict = run_json(run_dir, "--top", "300", "--strict")
    assert [s["stage"] for s in strict["stages"] if not s["skipped"]] == ["select", "report"]
    assert strict["benchmark"]["reached_top"] is False and strict["benchmark"]["relaxed"] == []
    relaxed = run_json(run_dir, "--top", "300")
    bench = relaxed["benchmark"]
    assert bench["relax"] == "auto" and bench["relaxed"]
    assert bench["questions"] > strict["benchmark"]["questions"]
    assert bench["relaxed_text"].startswith("relaxed to ")
    if bench["reached_top"]:
        assert bench["questions"] == 300 and bench["relaxed_text"].endswith("to reach 300")
    steps = bench["relaxed"]
    assert [s["selected"] for s in steps] == sorted(s["selected"] for s in steps)
