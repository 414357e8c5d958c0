"""`search` and `miner search` over a real MiniLM-embedded run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from miner.artifacts import open_embeddings
from miner.cli import main
from miner.cli.search import one_line
from miner.embed import make_embedder, run_embed
from miner.errors import InputError, MissingArtifactError
from miner.index import run_index, search
from miner.run import Run
from tests.cli_errors import assert_cli_error
from tests.test_embed_fixtures import PROMPTS, config_with, write_prompts

HOSTILE = "<script>alert(1)</script>\x1b[31m red \x1b[0m\nsecond line\tand a tab, long enough"


@pytest.fixture(scope="module")
def indexed_run(tmp_path_factory):
    """PROMPTS (plus an exact duplicate and a hostile text) embedded and indexed."""
    folder = tmp_path_factory.mktemp("search")
    texts = [*PROMPTS, PROMPTS[1], HOSTILE]
    dup_of = [None] * len(PROMPTS) + ["p0001", None]
    write_prompts(folder, texts, dup_of)
    run = Run(folder)
    embedder = make_embedder(config_with()["embed"])
    run_embed(run, config_with(), embedder=embedder)
    run_index(run, config_with())
    return run, embedder


def test_search_matches_brute_force_over_the_embeddings(indexed_run):
    run, embedder = indexed_run
    query = "how can I reverse the items of a python list"
    hits = search(run, config_with(), query, 4)
    assert [hit["rank"] for hit in hits] == [1, 2, 3, 4]
    assert {hits[0]["id"], hits[1]["id"]} == {"p0000", "p0004"}  # the two Python paraphrases
    vectors = open_embeddings(run)
    sims = vectors @ embedder.encode([query])[0]
    sims[8] = -np.inf  # the exact duplicate is not indexed
    order = np.argsort(-sims)[:4]
    assert [hit["id"] for hit in hits] == [f"p{row:04d}" for row in order]
    np.testing.assert_allclose([hit["similarity"] for hit in hits], sims[order], atol=2e-3)
    assert hits[0]["text"] == PROMPTS[int(order[0])]


def test_search_uses_the_runs_model_whatever_the_config_says(indexed_run, tmp_path):
    run, _ = indexed_run
    config = config_with({"model": str(tmp_path / "some-other-model")})
    hits = search(run, config, "chocolate cake", 2)
    assert {hit["id"] for hit in hits} == {"p0001", "p0005"}


def test_empty_query_is_an_input_error(indexed_run):
    with pytest.raises(InputError, match="query is empty"):
        search(indexed_run[0], config_with(), "   ", 3)


def test_a_query_that_is_not_utf8_is_one_line(indexed_run):
    """Latin-1 bytes from a terminal reach argv as lone surrogates: one line, no tokenizer
    traceback (a real process, so the bytes go through the interpreter's argv decoding)."""
    run, _ = indexed_run
    code = "import sys; from miner.cli import main; sys.exit(main())"
    done = subprocess.run(
        [sys.executable, "-c", code, "search", "caf\xe9 au lait".encode("latin-1"), "--run",
         str(run.path)],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8"})
    assert_cli_error(done, "search: the query is not UTF-8 text (byte 0xe9 at character 4)")


def test_cli_search_table_and_json(indexed_run):
    run, _ = indexed_run
    runner = CliRunner()
    result = runner.invoke(main, ["search", "alert script red line", "--run", str(run.path),
                                  "-k", "3", "--json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert len(hits) == 3 and hits[0]["text"] == HOSTILE and hits[0]["id"] == "p0009"
    table = runner.invoke(main, ["search", "alert script red line", "--run", str(run.path),
                                 "-k", "3"])
    assert table.exit_code == 0
    lines = table.stdout.splitlines()
    assert len(lines) == 3 and "\x1b" not in table.stdout
    assert lines[0].split()[:3] == ["1", f"{hits[0]['similarity']:.3f}", "p0009"]
    missing = runner.invoke(main, ["search", "anything", "--run", str(run.path / "nope")])
    assert_cli_error(missing, str(run.path / "nope"))


def test_search_refuses_an_index_older_than_the_embeddings(tmp_path):
    write_prompts(tmp_path, PROMPTS[:4])
    run = Run(tmp_path)
    embedder = make_embedder(config_with({"precision": "fp32"})["embed"])
    run_embed(run, config_with({"precision": "fp32"}), embedder=embedder)
    run_index(run, config_with())
    assert search(run, config_with(), "chocolate cake", 1)[0]["id"] == "p0001"
    write_prompts(tmp_path, PROMPTS[4:8])  # re-ingested and re-embedded, but not re-indexed
    run_embed(run, config_with({"precision": "fp32"}), embedder=embedder)
    stale = "does not match what the index stage.*miner index"
    with pytest.raises(MissingArtifactError, match=stale):
        search(run, config_with(), "chocolate cake", 1)


def test_one_line_flattens_and_bounds_untrusted_text():
    line = one_line(HOSTILE * 1000, 60)
    assert len(line) == 60 and line.endswith("…")
    assert all(ch.isprintable() for ch in line)
    assert one_line("a\n\nb", 10) == "a b"
