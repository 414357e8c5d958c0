"""What manifest.json records, read back: a damaged manifest, a benchmark selected before a
re-cluster, the command that rebuilds a damaged artifact, a stage killed after publishing."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from miner.cli import main
from miner.run import Run
from tests.cli_errors import assert_cli_error
from tests.ingest_fixtures import PROMPT_A, write_jsonl
from tests.test_embed_fixtures import PROMPTS, write_prompts
from tests.test_index import write_embeddings
from tests.test_select import write_run


def _scored_run(path):
    rows = [{"id": f"p{i}", "text": f"a long enough question number {i} about topic {i % 3}",
             "topic": i % 3, "score": 7.0} for i in range(12)]
    return write_run(path, rows, {0: "alpha", 1: "beta", 2: "gamma"})


@pytest.mark.parametrize("content,problem", [
    (b"{}", "expected an object with a 'stages' object"),
    (b"[]", "expected an object with a 'stages' object"),
    (b'{"stages": []}', "expected an object with a 'stages' object"),
    (bytes(range(256)) * 4, "not JSON: "),
    (b"[" * 100_000, "not JSON: "),
    (b'{"stages": {"ingest": 7}}', "stage 'ingest' is not an object"),
    (b'{"stages": {"ingest": {"outputs": {"prompts.parquet": 5}}}}',
     "stage 'ingest': output 'prompts.parquet' has no digest and stat"),
    (b'{"stages": {"ingest": {"inputs": "x"}}}', "stage 'ingest': 'inputs' is not an object"),
])
def test_a_wrongly_shaped_manifest_is_one_line_naming_it(tmp_path, content, problem):
    run = _scored_run(tmp_path / "run")
    manifest = run.path / "manifest.json"
    manifest.write_bytes(content)
    for command in (["select"], ["report"]):
        result = CliRunner().invoke(main, [*command, "--run", str(run.path)])
        line = assert_cli_error(result, f"{manifest}: not a run manifest ({problem}")
        assert line.endswith("delete it and the stages run again")
    manifest.unlink()   # the way out the message names
    assert CliRunner().invoke(main, ["select", "--run", str(run.path)]).exit_code == 0


def _clustered(tmp_path):
    """A scored run whose topics a recorded `cluster` stage wrote; `cluster(n)` is the body
    of a cluster run that finds n topics."""
    run = _scored_run(tmp_path / "run")
    topics = pd.read_parquet(run.file("topics.parquet"))

    def cluster(n_topics: int):
        def body():
            topics.assign(topic=topics["topic"] % n_topics).to_parquet(
                run.output("topics.parquet"), index=False)
            entries = [{"topic": t, "label": f"label {t} of {n_topics}", "keywords": [],
                        "size": 4} for t in range(n_topics)]
            run.output("topic_info.json").write_text(json.dumps({"topics": entries,
                                                                 "categories": []}))
            return {"topics": n_topics}
        return body

    run.run_stage("cluster", inputs={}, config={"n": 3}, outputs=["topics.parquet",
                  "topic_info.json"], body=cluster(3))
    return run, cluster


def test_a_benchmark_selected_before_a_recluster_is_not_drawn_against_the_new_topics(tmp_path):
    run, cluster = _clustered(tmp_path)
    runner = CliRunner()
    for command in (["select", "--top", "4"], ["report"]):
        done = runner.invoke(main, [*command, "--run", str(run.path)])
        assert done.exit_code == 0, done.output
    run.run_stage("cluster", inputs={}, config={"n": 2}, outputs=["topics.parquet",
                  "topic_info.json"], body=cluster(2))   # new config, new topics
    stale = runner.invoke(main, ["report", "--run", str(run.path)])
    assert_cli_error(stale, f"{run.path / 'benchmark'} is out of date: topics.parquet, "
                            f"topic_info.json changed since select ran; run `miner select "
                            f"--run {run.path}` (or `miner run`) first")
    for command in (["select", "--top", "4"], ["report"]):
        done = runner.invoke(main, [*command, "--run", str(run.path)])
        assert done.exit_code == 0, done.output


def _ingested(tmp_path, monkeypatch, names):
    monkeypatch.chdir(tmp_path)
    for number, name in enumerate(names):
        write_jsonl(tmp_path / name, [{"prompt": f"{PROMPT_A} (log {number})"}])
    done = CliRunner().invoke(main, ["ingest", *names, "--run", "out"])
    assert done.exit_code == 0, done.output
    return tmp_path / "out" / "prompts.parquet"


def _spoil(path):
    path.write_bytes(b"PAR1 not really parquet")


def _rewrite(path):
    pq.write_table(pq.read_table(path).slice(0, 1), path)


@pytest.mark.parametrize("damage", [_spoil, _rewrite])
def test_the_rerun_hint_for_damaged_prompts_names_the_sources(tmp_path, monkeypatch, damage):
    prompts = _ingested(tmp_path, monkeypatch, ["log one.jsonl", "two.jsonl"])
    damage(prompts)
    result = CliRunner().invoke(main, ["embed", "--run", "out"])
    line = assert_cli_error(result, "out/prompts.parquet does not match what the ingest stage",
                            "run `miner ingest 'log one.jsonl' two.jsonl --run out --force`")
    command = shlex.split(line.split("run `")[-1].rstrip("`"))
    assert command[:2] == ["miner", "ingest"]
    redo = CliRunner().invoke(main, command[1:])   # the hint, as given, does the work
    assert redo.exit_code == 0, redo.output
    assert pq.read_table(prompts).num_rows == 2


def test_many_sources_are_left_to_the_manifest(tmp_path, monkeypatch):
    prompts = _ingested(tmp_path, monkeypatch, [f"log{i}.jsonl" for i in range(6)])
    _spoil(prompts)
    result = CliRunner().invoke(main, ["embed", "--run", "out"])
    assert_cli_error(result, "run `miner ingest SOURCE... --run out --force` (SOURCE...: the 6 "
                             "sources under stages.ingest.inputs in out/manifest.json)")


_KILLED_AFTER_PUBLISHING = """
import os, sys
from miner import run as run_module
from miner.config import load_config
from miner.index import run_index

real_replace = os.replace

def replace(src, dst):
    real_replace(src, dst)
    if str(dst).endswith("prompts.parquet"):
        os._exit(137)   # killed: prompts.parquet is published, nothing recorded yet

run_module.os.replace = replace
run_index(run_module.Run(sys.argv[1]), load_config())
"""


def test_an_index_killed_after_publishing_prompts_is_recovered_by_miner_index(tmp_path):
    run = Run(tmp_path / "run")
    texts = [*PROMPTS, PROMPTS[0] + " "]   # a near-duplicate for index to mark
    run.run_stage("ingest", inputs={"log.jsonl": "0"}, config={}, outputs=["prompts.parquet"],
                  body=lambda: {"rows": len(write_prompts(run.output("x").parent, texts))})
    write_embeddings(run, np.stack([np.eye(16, dtype=np.float32)[i % 8] for i in
                                    range(len(texts))]))
    killed = subprocess.run([sys.executable, "-c", _KILLED_AFTER_PUBLISHING, str(run.path)],
                            capture_output=True, text=True, timeout=300)
    assert killed.returncode == 137, killed.stderr
    result = CliRunner().invoke(main, ["index", "--run", str(run.path)])
    assert result.exit_code == 0, result.output
    assert "recorded them now" in result.stderr
    again = Run(run.path)
    again.require("prompts.parquet")   # nothing is refused downstream
    assert "publishing" not in again.manifest
    marks = pq.read_table(run.file("prompts.parquet")).column("near_dup_of").to_pylist()
    assert marks[-1] == "p0000"
