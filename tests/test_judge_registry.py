"""The judge registry: a third-party judge installed as a package, and one writer per run
folder so two `miner score` never pay for the same prompt twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from miner.config import load_config
from miner.errors import ConfigError
from miner.ingest import run_ingest
from miner.judge.registry import judge_kinds, resolve_judge
from miner.run import Run
from tests.openai_server import OpenAIServer, Reply, chat_body

REPO = Path(__file__).resolve().parent.parent

PLUGIN_SOURCE = '''
"""A judge that meets every criterion whose name appears in the prompt."""
from miner.judge import Judge, Verdict


class EchoJudge(Judge):
    kind = "echo"

    @classmethod
    def from_config(cls, name, config, note=""):
        return cls(name, "echo-v1", note or "echo plugin")

    def judge(self, rubric, items, cache, *, max_chars, stats):
        found, keys = self.cached_verdicts(rubric, items, cache, max_chars)
        stats.cached = len(found)
        fresh = []
        for item in items:
            if item.hash in found:
                continue
            value = [i for i, name in enumerate(rubric.criteria, 1) if name in item.text]
            found[item.hash] = Verdict("ok", value)
            key, params = keys[item.hash]
            fresh.append(self.answer_record(rubric, item, key, params, value, "ok", "echo"))
        cache.put_many(fresh)
        return found
'''


def _plugin_wheel(folder: Path) -> Path:
    """A minimal wheel of package `miner_echo` declaring the `echo` judge entry point."""
    wheel = folder / "miner_echo-0.1-py3-none-any.whl"
    info = "miner_echo-0.1.dist-info"
    files = {
        "miner_echo/__init__.py": PLUGIN_SOURCE,
        f"{info}/METADATA": "Metadata-Version: 2.1\nName: miner-echo\nVersion: 0.1\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                         "Tag: py3-none-any\n",
        f"{info}/entry_points.txt": "[miner.judges]\necho = miner_echo:EchoJudge\n",
    }
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
        record = "".join(f"{n},,\n" for n in [*files, f"{info}/RECORD"])
        archive.writestr(f"{info}/RECORD", record)
    return wheel


def _prompts_run(folder: Path, texts: list[str]) -> Run:
    source = folder / "log.jsonl"
    source.write_text("".join(json.dumps({"prompt": t}) + "\n" for t in texts))
    run = Run(folder / "run")
    run_ingest(run, load_config(None, {"ingest.languages": []}), [source])
    return run


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update(HF_HUB_OFFLINE="1", **extra)
    return env


def test_an_installed_plugin_judge_scores_without_touching_miner(tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-index", "--target", str(target), str(_plugin_wheel(tmp_path))],
                   check=True)
    texts = [f"prompt {i} asks for creativity and real_world stakes, with enough words"
             if i % 2 else f"prompt {i} is a plain question with nothing special in it"
             for i in range(6)]
    run = _prompts_run(tmp_path, texts)
    env = _env(PYTHONPATH=os.pathsep.join([str(target), str(REPO)]))
    result = subprocess.run([sys.executable, "-m", "miner.cli", "score", "--run",
                             str(run.path), "--judge", "echo", "--json"],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["judge"] == "echo" and summary["judges"][0]["kind"] == "echo"
    assert summary["scored"] == 6 and summary["offline"] is True
    scores = pd.read_parquet(run.file("scores.parquet"))
    assert sorted(scores["score"].tolist()) == [0.0] * 3 + [2.0] * 3
    listed = subprocess.run([sys.executable, "-m", "miner.cli", "judges", "list",
                             "--json"], capture_output=True, text=True, env=env)
    assert "echo" in {row["name"] for row in json.loads(listed.stdout)}
    assert "echo" not in judge_kinds()   # not installed in this process: miner is untouched


def test_judge_names_resolve_through_the_registry():
    config = load_config()
    assert resolve_judge(config, "heuristic").kind == "heuristic"
    assert resolve_judge(config, "ranker").kind == "ranker"
    assert resolve_judge(config, "auto").kind == "ranker"   # no endpoint in the env
    assert resolve_judge(config, "some-model").kind == "openai"
    config["judges"] = {"mine": {"kind": "batch", "model": "m", "base_url": "http://x/v1"}}
    assert resolve_judge(config, "mine").kind == "batch"
    config["judges"] = {"odd": {"kind": "nope"}}
    with pytest.raises(ConfigError, match=r"judges.odd.kind: unknown judge kind 'nope'"):
        resolve_judge(config, "odd")


def test_two_concurrent_scores_make_one_call_per_distinct_prompt(tmp_path):
    texts = [f"distinct question number {i}: explain how a hash map handles collisions"
             for i in range(12)]
    run = _prompts_run(tmp_path, texts + texts[:3])     # 3 exact duplicates
    calls: list[str] = []
    lock = threading.Lock()

    def answer(request: dict) -> Reply:
        with lock:
            calls.append(request["messages"][-1]["content"])
        return Reply(200, chat_body('{"criteria": [1, 2]}'), delay=0.15)

    with OpenAIServer(chat=answer) as server:
        config = tmp_path / "judge.yaml"
        config.write_text(f"judges:\n  local:\n    model: m\n    base_url: {server.base_url}\n"
                          "    concurrency: 2\n")
        command = [sys.executable, "-m", "miner.cli", "score", "--run", str(run.path),
                   "--config", str(config), "--judge", "local"]
        env = _env(PYTHONPATH=str(REPO))
        first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, env=env)
        second = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env=env)
        outcomes = [(p.wait(timeout=120), p.stderr.read()) for p in (first, second)]
    assert len(calls) == 12                       # one call per distinct prompt between them
    assert len(set(calls)) == 12
    codes = sorted(code for code, _ in outcomes)
    if codes == [0, 1]:                           # they overlapped: the second was refused
        refused = next(err for code, err in outcomes if code == 1)
        errors = [line for line in refused.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "is in use by process" in errors[0], refused
        assert "Traceback" not in refused
    else:                                         # one finished first: the other was all cached
        assert codes == [0, 0]
