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
from tests.cli_errors import assert_cli_error
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


def _plugin_wheel(folder: Path, package: str = "miner_echo", source: str = PLUGIN_SOURCE,
                  entry_points: str = "echo = miner_echo:EchoJudge\n") -> Path:
    """A minimal wheel of one module `package` (its `source`) declaring judge entry points."""
    wheel = folder / f"{package}-0.1-py3-none-any.whl"
    info = f"{package}-0.1.dist-info"
    files = {
        f"{package}/__init__.py": source,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.1\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                         "Tag: py3-none-any\n",
        f"{info}/entry_points.txt": f"[miner.judges]\n{entry_points}",
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


LEAKED = "sk-live-0123456789abcdefSECRET"
BAD_PLUGINS_SOURCE = f'''
"""Judges that go wrong in every way a plugin can."""
from miner.judge import Judge, Verdict


class Base(Judge):
    kind = "bad"

    @classmethod
    def from_config(cls, name, config, note=""):
        return cls(name, "bad-v1", note)

    def answer(self, items):
        raise NotImplementedError

    def judge(self, rubric, items, cache, *, max_chars, stats):
        return self.answer(items)


class Raises(Base):
    def answer(self, items):
        raise RuntimeError("auth failed with key {LEAKED}")


class ReturnsNone(Base):
    def answer(self, items):
        return None


class ReturnsText(Base):
    def answer(self, items):
        return "all fine"


class WildCriteria(Base):
    def answer(self, items):
        return {{item.hash: Verdict("ok", [99, -1, "x"]) for item in items}}


class NaNCriteria(Base):
    def answer(self, items):
        return {{item.hash: Verdict("ok", [float("nan")]) for item in items}}


class BadFromConfig(Base):
    @classmethod
    def from_config(cls, name, config, note=""):
        raise ValueError("no settings for key {LEAKED}")


class NotAJudge(Base):
    @classmethod
    def from_config(cls, name, config, note=""):
        return "a judge"
'''
BAD_ENTRY_POINTS = """raises = miner_bad:Raises
none = miner_bad:ReturnsNone
text = miner_bad:ReturnsText
wild = miner_bad:WildCriteria
nan = miner_bad:NaNCriteria
nofrom = miner_bad:BadFromConfig
notjudge = miner_bad:NotAJudge
"""


@pytest.fixture(scope="module")
def bad_plugins(tmp_path_factory):
    """PYTHONPATH with the bad judges and a plugin that cannot be imported installed."""
    folder = tmp_path_factory.mktemp("plugins")
    target = folder / "site"
    wheels = [_plugin_wheel(folder, "miner_bad", BAD_PLUGINS_SOURCE, BAD_ENTRY_POINTS),
              _plugin_wheel(folder, "miner_broken", "import a_module_that_is_not_there\n",
                            "broken = miner_broken:Judge\n")]
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-index", "--target", str(target), *map(str, wheels)], check=True)
    return os.pathsep.join([str(target), str(REPO)])


def _miner(pythonpath: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "miner.cli", *args], capture_output=True,
                          text=True, env=_env(PYTHONPATH=pythonpath))


@pytest.mark.parametrize(("kind", "problem"), [
    ("raises", "judge() failed on 3 prompts: RuntimeError: auth failed with key sk-l"),
    ("none", "judge() returned None, not a mapping"),
    ("text", "judge() returned 'all fine', not a mapping"),
    ("wild", "is ok with value [99, -1, 'x'], not a list of criterion numbers 1..7"),
    ("nan", "is ok with value [nan], not a list of criterion numbers"),
    ("nofrom", "from_config failed for judge 'nofrom': ValueError: no settings for key"),
    ("notjudge", "from_config returned str, not a miner.judge.Judge"),
    ("broken", "(miner_broken:Judge) failed to load: ModuleNotFoundError"),
])
def test_a_plugin_that_raises_or_returns_garbage_is_one_line_naming_it(
        tmp_path, bad_plugins, kind, problem):
    run = _prompts_run(tmp_path, [f"prompt {i} asks a question with enough words in it"
                                  for i in range(3)])
    result = _miner(bad_plugins, "score", "--run", str(run.path), "--judge", kind)
    assert_cli_error(result, f"judge plugin '{kind}'", problem)
    assert LEAKED not in result.stderr and LEAKED[8:] not in result.stderr
    assert not run.file("scores.parquet").exists()


def test_a_broken_plugin_stops_no_other_judge_and_judges_list_shows_it(tmp_path, bad_plugins):
    run = _prompts_run(tmp_path, [f"prompt {i} asks a question with enough words in it"
                                  for i in range(3)])
    scored = _miner(bad_plugins, "score", "--run", str(run.path), "--judge", "heuristic")
    assert scored.returncode == 0, scored.stderr          # was: the broken plugin's error
    listed = _miner(bad_plugins, "judges", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert rows["heuristic"]["broken"] is None and rows["wild"]["broken"] is None
    assert "failed to load: ModuleNotFoundError" in rows["broken"]["broken"]
    assert "from_config failed" in rows["nofrom"]["broken"]
    assert LEAKED not in listed.stdout
    table = _miner(bad_plugins, "judges", "list")
    assert table.returncode == 0, table.stderr
    assert [line for line in table.stdout.splitlines() if line.startswith("broken: broken: ")]
