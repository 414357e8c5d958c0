"""Packaging: a built wheel carries configs/ and prompts/ and reads its defaults from inside."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from miner import __version__
from miner.cli import COMMAND_MODULES, main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True, capture_output=True,
    )
    (built,) = out.glob("miner-*.whl")
    return built


def test_wheel_ships_configs_and_prompts(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "miner/configs/default.yaml" in names
    shipped_prompts = {n.split("miner/prompts/", 1)[1] for n in names if "miner/prompts/" in n}
    in_repo = {str(p.relative_to(ROOT / "prompts")) for p in (ROOT / "prompts").rglob("*")
               if p.is_file()}
    assert shipped_prompts == in_repo
    # the hygiene screen's word lists and the public benchmarks select excludes by default
    assert "miner/data/public_benchmarks.jsonl.gz" in names
    words = {n.rsplit("/", 1)[1] for n in names if n.startswith("miner/hygiene/words/")}
    assert words == {p.name for p in (ROOT / "miner" / "hygiene" / "words").glob("*.yaml")}


def test_unpacked_wheel_loads_its_own_defaults(wheel, tmp_path):
    zipfile.ZipFile(wheel).extractall(tmp_path)
    probe = (
        "import miner.config as c, miner.resources as r;"
        "print(r.resource_dir('configs'));"
        "print(sorted(c.load_config()))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    folder, sections = result.stdout.splitlines()
    assert Path(folder) == tmp_path / "miner" / "configs"
    assert "ingest" in sections


def test_unpacked_wheel_scores_with_its_own_ranker_model(wheel, tmp_path):
    assert "miner/judge/ranker-v1.json" in zipfile.ZipFile(wheel).namelist()
    zipfile.ZipFile(wheel).extractall(tmp_path)
    probe = (
        "import miner.judge.ranker as k, miner.judge.rubric as r;"
        "m = k.load_model(); print(k.MODEL_FILE);"
        "print(len(k.answers(m, ['Write a Rust parser for JSON'], "
        "r.load_rubric('benchbuilder-v1'))[0]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    path, score = result.stdout.splitlines()
    assert Path(path) == tmp_path / "miner" / "judge" / "ranker-v1.json"
    assert 0 <= int(score) <= 7


def test_version_and_help_list_every_command():
    runner = CliRunner()
    assert __version__ in runner.invoke(main, ["--version"]).output
    help_text = runner.invoke(main, ["--help"]).output
    for name in COMMAND_MODULES:
        assert f"  {name}" in help_text
