"""`miner validate` at size against a local OpenAI-compatible server with a fixed latency.

    .venv/bin/python bench/bench_validate.py [--questions 500] [--models 8] [--latency 0.2]
        [--concurrency 32] [--judge-concurrency 64] [--rounds 1000]

Prints:
  * the validation: calls (answers: questions x models; judgments: both orders of every
    model but the baseline x questions), wall time, and the bootstrap's share of it;
  * a forced rerun served entirely from the cache (calls 0);
  * the rating alone: Bradley-Terry + `--rounds` bootstrap rounds for 10 models and 10,000
    battles (goal: under 10 s).
No control sample (`--control none`): a control doubles the questions and the calls. The
server runs in a child process so its threads do not share this process's GIL; models answer
"mK answers with quality K" and the judge prefers the higher quality, strongly when two
apart, and picks the other answer on one prompt in six (so ratings stay finite).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench._child_server import ChildServer  # noqa: E402
from miner.config import load_config  # noqa: E402
from miner.validate import Inputs, run_validate  # noqa: E402
from miner.validate.ratings import A_WINS, B_WINS, TIE, fit_ratings, make_battles  # noqa: E402

_QUALITY = re.compile(r"answers with quality (\d+)")
_PROMPT = re.compile(r"<\|User Prompt\|>\n(.*?)\n\n<\|The Start", re.S)


def _reply(request: dict) -> dict:
    from tests.openai_server import chat_body

    model = request["model"]
    if model != "judge":
        return chat_body(f"{model} answers with quality {model[1:]}", model=model)
    text = request["messages"][-1]["content"]
    a, b = (int(q) for q in _QUALITY.findall(text)[:2])
    prompt = _PROMPT.search(text).group(1)
    if hashlib.sha256(prompt.encode()).digest()[0] % 6 == 0:
        a, b = b, a
    label = ("A>>B" if a - b >= 2 else "A>B" if a > b else "A=B" if a == b
             else "B>A" if b - a < 2 else "B>>A")
    return chat_body(f"My answer first. Final verdict: [[{label}]]", model=model)


def bench_rating(rounds: int) -> float:
    """Seconds for the rating and `rounds` bootstrap rounds: 10 models, 10,000 battles."""
    rng = np.random.default_rng(0)
    models = [f"m{i}" for i in range(10)]
    rows = []
    for k in range(10_000):
        model = 1 + k % 9
        p = 1 / (1 + np.exp(-(model - 5) / 4))
        u = rng.random()
        outcome = B_WINS if u < 0.8 * p else A_WINS if u < 0.8 else TIE
        rows.append(("m0", models[model], outcome, 3 if rng.random() < 0.2 else 1))
    battles = make_battles(models, rows)
    started = time.perf_counter()
    fit_ratings(battles, "m0", rounds=rounds, level=0.95, seed=0)
    return time.perf_counter() - started


def main() -> None:
    from tests.validate_fixtures import make_validation_run

    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--models", type=int, default=8)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--judge-concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=1000)
    args = parser.parse_args()
    models = [f"m{i}" for i in range(args.models)]
    with tempfile.TemporaryDirectory() as tmp, ChildServer(_reply, args.latency) as url:
        run = make_validation_run(Path(tmp) / "run", hard=args.questions, easy=0,
                                  selected=args.questions)
        entry = {"base_url": url, "concurrency": args.concurrency, "max_retries": 2}
        config = load_config(overrides={
            "models": {m: dict(entry) for m in models},
            "judges": {"judge": {**entry, "concurrency": args.judge_concurrency}},
            "validate": {"models": models[1:], "baseline": models[0], "judge": "judge",
                         "control": "none", "rounds": args.rounds},
        })
        started = time.perf_counter()
        run_validate(run, config, Inputs())
        wall = time.perf_counter() - started
        import json

        data = json.loads((run.path / "validation.json").read_text())
        answers = sum(a["called"] for a in data["answers"].values())
        judged = data["judgments"]["called"]
        print(f"validate: {args.questions} questions, {args.models} models, latency "
              f"{args.latency * 1000:.0f} ms: {answers} answers + {judged} judgments called "
              f"in {wall:.1f} s ({(answers + judged) / wall:.0f} calls/s); bootstrap "
              f"({args.rounds} rounds) {data['benchmark']['bootstrap_s']:.1f} s; "
              f"separability {data['benchmark']['separability']:.1%}")
        started = time.perf_counter()
        run_validate(run, config, Inputs(), force=True)
        again = json.loads((run.path / "validation.json").read_text())
        called = sum(a["called"] for a in again["answers"].values()) + \
            again["judgments"]["called"]
        print(f"rerun from the cache: {called} calls, {time.perf_counter() - started:.1f} s")
    print(f"rating + {args.rounds} bootstrap rounds, 10 models, 10,000 battles: "
          f"{bench_rating(args.rounds):.2f} s")


if __name__ == "__main__":
    main()
