"""The run folder as a whole: artifacts published with their manifest entry, a stage killed
while publishing refused downstream, leftovers of killed commands removed, one writer."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest
from click.testing import CliRunner

from miner import run as run_module
from miner.artifacts import ARTIFACTS, TOPIC_INFO, TOPICS
from miner.cli import main
from miner.lock import RunBusyError, locked
from miner.run import Run
from tests.cli_errors import assert_cli_error
from tests.test_select import write_run


def _clustered(tmp_path) -> Run:
    """A scored run whose topics were written by a recorded `cluster` stage."""
    rows = [{"id": f"p{i}", "text": f"a long enough question number {i} about topic {i % 3}",
             "topic": i % 3, "score": 7.0} for i in range(12)]
    run = write_run(tmp_path / "run", rows, {0: "alpha", 1: "beta", 2: "gamma"})
    topics = pd.read_parquet(run.file(TOPICS))
    info = json.loads(run.file(TOPIC_INFO).read_text())

    def cluster(n_topics: int):
        def body():
            frame = topics.assign(topic=topics["topic"] % n_topics)
            frame.to_parquet(run.output(TOPICS), index=False)
            entries = [{"topic": t, "label": f"label {t} of {n_topics}", "size": 4, "share": 0.3,
                        "parent": 0, "keywords": []} for t in range(n_topics)]
            run.output(TOPIC_INFO).write_text(json.dumps({**info, "topics": entries}))
            return {"topics": n_topics}
        return body

    run.run_stage("cluster", inputs={}, config={"n": 3}, outputs=[TOPICS, TOPIC_INFO],
                  body=cluster(3))
    return run, cluster


def test_a_stage_killed_while_publishing_is_refused_downstream(tmp_path, monkeypatch):
    run, cluster = _clustered(tmp_path)
    replaced = []
    real_replace = os.replace

    def dies_after_the_first(src, dst):
        if str(dst).endswith("manifest.json"):   # the note of what is being published
            return real_replace(src, dst)
        if replaced:
            raise KeyboardInterrupt   # killed between publishing topics.parquet and topic_info
        replaced.append(dst)
        real_replace(src, dst)

    monkeypatch.setattr(run_module.os, "replace", dies_after_the_first)
    with pytest.raises(KeyboardInterrupt):
        run.run_stage("cluster", inputs={}, config={"n": 2}, outputs=[TOPICS, TOPIC_INFO],
                      body=cluster(2))
    monkeypatch.undo()
    assert [str(p) for p in replaced] == [str(run.path / TOPICS.name)]   # a mixed set on disk
    runner = CliRunner()
    for command in (["select"], ["report"], ["topics"]):
        result = runner.invoke(main, [*command, "--run", str(run.path)])
        assert result.exit_code == 1, (command, result.output, result.exception)
        lines = result.stderr.strip().splitlines()
        assert len([line for line in lines if line.startswith("error:")]) == 1, result.output
        assert lines[-1].startswith(f"error: {run.path / TOPICS.name} does not match"), lines
        assert f"run `miner cluster --run {run.path} --force`" in lines[-1]
        assert not isinstance(result.exception, Exception) or isinstance(
            result.exception, SystemExit)
    assert not (run.path / "benchmark").exists() and not (run.path / "report").exists()


def test_a_finished_stage_publishes_its_outputs_and_leaves_no_staging(tmp_path):
    run, cluster = _clustered(tmp_path)
    run.run_stage("cluster", inputs={}, config={"n": 2}, outputs=[TOPICS, TOPIC_INFO],
                  body=cluster(2))
    assert json.loads(run.file(TOPIC_INFO).read_text())["topics"][-1]["label"] == "label 1 of 2"
    assert run.require(TOPICS) == run.path / TOPICS.name
    assert not [p for p in run.path.iterdir() if p.name.startswith(".stage-")]


def test_leftovers_of_killed_commands_are_removed_when_the_run_is_opened(tmp_path):
    folder = tmp_path / "run"
    (folder / "benchmark").mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = [folder / f".bertopic.tmp-{dead.pid}", folder / f".stage-cluster-{dead.pid}",
             folder / "report" / f".index.html.tmp-{dead.pid}",
             folder / "benchmark" / f".question.jsonl.tmp-{dead.pid}"]
    stale[0].mkdir()
    (stale[0] / "topics.json").write_text("{}")
    stale[1].mkdir()
    stale[2].parent.mkdir()
    stale[2].write_text("<html>")
    stale[3].write_text("{}")
    alive = folder / f".topics.parquet.tmp-{os.getpid()}"   # a live writer's file stays
    alive.write_text("in progress")
    Run(folder)
    assert [p for p in stale if p.exists()] == []
    assert alive.exists()


def test_every_artifact_is_declared_once_with_its_stage():
    stages = {"ingest", "embed", "index", "cluster", "score", "select", "report",
              "validate"}
    assert {a.stage for a in ARTIFACTS.values()} == stages
    assert all(name == a.name for name, a in ARTIFACTS.items())


def test_a_second_writer_gets_one_line_naming_the_holder(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            sys.argv = ["miner", "score", "--run", "x"]
            from miner.lock import locked
            with locked({str(tmp_path)!r}):
                print("held", flush=True)
                time.sleep(60)
        """)], stdout=subprocess.PIPE, text=True, cwd=os.getcwd())
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunBusyError) as caught, locked(tmp_path):
            pass
        message = str(caught.value)
        assert f"in use by process {holder.pid} (`miner score --run x`" in message
        assert "\n" not in message
        holder.send_signal(signal.SIGKILL)   # a lock left by a killed process is taken over
        holder.wait()
        with locked(tmp_path), locked(tmp_path):   # re-entrant in one process
            pass
    finally:
        holder.kill()
        holder.wait()


def test_a_stage_waits_for_no_one_it_fails_at_once_when_the_folder_is_busy(tmp_path):
    started = time.perf_counter()
    run = Run(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"from miner.lock import locked\nimport time\nwith locked({str(tmp_path)!r}):\n"
         "    print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunBusyError, match="is in use by process"):
            run.run_stage("s", inputs={}, config={}, outputs=[], body=lambda: {})
        assert run.stage_entry("s") is None
    finally:
        holder.kill()
        holder.wait()
    assert time.perf_counter() - started < 60


@pytest.mark.parametrize(("kind", "problem"), [
    ("symlink", "is a symbolic link"),       # followed, it truncated the file it points to
    ("hardlink", "is a hard link"),          # the same: another file's bytes
    ("folder", "is a folder"),               # IsADirectoryError
    ("fifo", "is not a plain file"),
])
def test_a_lock_file_that_is_not_a_plain_file_is_refused_in_one_line(tmp_path, kind, problem):
    rows = [{"id": f"p{i}", "text": f"question {i} about a hash map", "topic": 0, "score": 7.0}
            for i in range(4)]
    run = write_run(tmp_path / "run", rows, {0: "alpha"})
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", "utf-8")
    lock = run.path / ".lock"
    lock.unlink(missing_ok=True)
    {"symlink": lambda: lock.symlink_to(victim), "hardlink": lambda: os.link(victim, lock),
     "folder": lock.mkdir, "fifo": lambda: os.mkfifo(lock)}[kind]()
    result = CliRunner().invoke(main, ["select", "--run", str(run.path)])
    assert_cli_error(result, str(lock), problem)
    assert victim.read_text("utf-8") == "precious"
    assert not run.file("question.jsonl").exists()
