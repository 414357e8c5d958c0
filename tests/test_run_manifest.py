"""manifest.json as the run folder's record: a damaged one is one line naming it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from miner.cli import main
from tests.cli_errors import assert_cli_error
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
