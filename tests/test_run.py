"""Run folder: atomic writes, manifest records, stage skipping and --force."""

import hashlib
import json

import pytest

from miner.errors import MissingArtifactError
from miner.run import Run, atomic_path


def _writer(run, calls, text="v1"):
    def body():
        calls.append(text)
        run.output("out.txt").write_text(text)
        return {"rows": len(text)}

    return body


def test_stage_runs_once_then_skips_until_inputs_config_or_force_change(tmp_path):
    run, calls = Run(tmp_path / "r"), []
    first = run.run_stage("s", inputs={"src": "d1"}, config={"k": 1}, outputs=["out.txt"],
                          body=_writer(run, calls))
    again = run.run_stage("s", inputs={"src": "d1"}, config={"k": 1}, outputs=["out.txt"],
                          body=_writer(run, calls))
    assert (first.skipped, again.skipped) == (False, True)
    assert again.counts == {"rows": 2}
    run.run_stage("s", inputs={"src": "d2"}, config={"k": 1}, outputs=["out.txt"],
                  body=_writer(run, calls))
    run.run_stage("s", inputs={"src": "d2"}, config={"k": 2}, outputs=["out.txt"],
                  body=_writer(run, calls))
    run.run_stage("s", inputs={"src": "d2"}, config={"k": 2}, outputs=["out.txt"],
                  body=_writer(run, calls), force=True)
    assert len(calls) == 4


def test_tampered_or_missing_output_reruns_the_stage(tmp_path):
    run, calls = Run(tmp_path / "r"), []
    kwargs = dict(inputs={}, config={}, outputs=["out.txt"], body=_writer(run, calls))
    run.run_stage("s", **kwargs)
    run.file("out.txt").write_text("edited by hand")
    assert not run.run_stage("s", **kwargs).skipped
    run.file("out.txt").unlink()
    assert not run.run_stage("s", **kwargs).skipped
    assert len(calls) == 3


def test_manifest_records_counts_timing_versions_and_digests(tmp_path):
    run = Run(tmp_path / "r")
    run.run_stage("s", inputs={"src": "d1"}, config={"k": 1}, outputs=["out.txt"],
                  body=_writer(run, []))
    entry = json.loads(run.file("manifest.json").read_text())["stages"]["s"]
    assert entry["counts"] == {"rows": 2}
    assert entry["inputs"] == {"src": "d1"}
    assert entry["seconds"] >= 0 and "numpy" in entry["versions"]
    # sha256 of the bytes written, computed here, not by the function that recorded it
    assert entry["outputs"]["out.txt"]["digest"] == hashlib.sha256(b"v1").hexdigest()[:16]


def test_failed_stage_leaves_no_artifact_and_no_record(tmp_path):
    run = Run(tmp_path / "r")

    def body():
        run.output("out.txt").write_text("half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        run.run_stage("s", inputs={}, config={}, outputs=["out.txt"], body=body)
    assert not run.file("out.txt").exists()
    assert [p.name for p in run.path.iterdir()] == [".lock"]
    assert run.stage_entry("s") is None


def test_atomic_path_replaces_folders_whole(tmp_path):
    target = tmp_path / "bench"
    for version in ("a", "b"):
        with atomic_path(target) as tmp:
            tmp.mkdir()
            (tmp / f"{version}.txt").write_text(version)
    assert [p.name for p in target.iterdir()] == ["b.txt"]


def test_require_names_the_command_that_makes_the_artifact(tmp_path):
    with pytest.raises(MissingArtifactError, match="run `miner embed --run .*` first"):
        Run(tmp_path).require("embeddings.npy")


def test_a_new_miner_version_redoes_the_stage(tmp_path, monkeypatch):
    run, calls = Run(tmp_path / "r"), []
    kwargs = dict(inputs={}, config={}, outputs=["out.txt"], body=_writer(run, calls))
    run.run_stage("s", **kwargs)
    monkeypatch.setattr("miner.run.__version__", "99.0.0")
    assert not run.run_stage("s", **kwargs).skipped
    assert run.run_stage("s", **kwargs).skipped
    assert len(calls) == 2


def test_an_output_rewritten_by_a_later_stage_keeps_its_producer_fresh(tmp_path):
    run, calls = Run(tmp_path / "r"), []

    def ingest():
        calls.append("ingest")
        run.output("prompts.parquet").write_text("v1")
        return {}

    def add_column():
        run.output("prompts.parquet").write_text(run.file("prompts.parquet").read_text() + "+")
        return {}

    kwargs = dict(inputs={}, config={}, outputs=["prompts.parquet"], body=ingest)
    run.run_stage("ingest", **kwargs)
    run.run_stage("index", inputs={}, config={}, outputs=["prompts.parquet"], body=add_column)
    assert run.file("prompts.parquet").read_text() == "v1+"
    assert run.run_stage("ingest", **kwargs).skipped
    run.run_stage("ingest", **kwargs, force=True)     # a re-ingest leaves index stale
    assert not run.is_fresh("index", run.stage_entry("index")["fingerprint"])
    assert calls == ["ingest", "ingest"]
