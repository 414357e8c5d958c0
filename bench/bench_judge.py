"""Judge throughput against a local OpenAI-compatible server in another process.

    .venv/bin/python bench/bench_judge.py [--prompts 2000] [--concurrency 64] [--latency 0.2]

Prints, in one process and against the same server:
  * the floor: bare `openai.AsyncOpenAI` calls at the same concurrency (no cache, no parse);
  * `miner.llm.complete_many` with the cache and the rubric parser (ratio to the floor);
  * the whole score stage (`run_score`: prompts.parquet in, scores.parquet out), against a
    server answering instantly and one answering after `--latency` seconds (goal >= 250/s
    at 200 ms and concurrency 64), and a rerun served entirely from the cache;
  * per-call overhead: the same calls one at a time, miner minus bare client, in ms;
  * the offline heuristic judge's stage rate, fresh and from the cache.
The server runs in a child process so its threads do not share this process's GIL.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from bench._child_server import ChildServer  # noqa: E402
from miner.config import load_config  # noqa: E402
from miner.judge import load_rubric, run_score  # noqa: E402
from miner.judge.parse import parse_answer  # noqa: E402
from miner.llm import ChatRequest, LLMCache, cache_key, complete_many, resolve_endpoint  # noqa: E402
from miner.run import Run  # noqa: E402

ANSWER = '{"criteria": [1, 2, 4]}'
RUBRIC = load_rubric("benchbuilder-v1")


def _answer(request: dict) -> dict:
    from tests.openai_server import chat_body

    return chat_body(ANSWER, model=request.get("model", "m"))


def texts(n: int, tag: str) -> list[str]:
    return [f"{tag} prompt {i}: explain how to implement a lock-free queue in Rust, step {i}"
            for i in range(n)]


def bare_client(base_url: str, prompts: list[str], concurrency: int) -> tuple[float, float]:
    """Wall and CPU seconds of bare AsyncOpenAI calls over `prompts` at `concurrency`,
    sending the same rubric messages the judge sends."""
    import openai

    async def go() -> None:
        client = openai.AsyncOpenAI(api_key="x", base_url=base_url, max_retries=0)
        queue = iter(prompts)

        async def worker() -> None:
            for text in queue:
                response = await client.chat.completions.create(
                    model="m", messages=RUBRIC.messages(text), temperature=0.0,
                    max_tokens=512, response_format={"type": "json_object"})
                assert response.choices[0].message.content == ANSWER

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        await client.close()

    started, cpu = time.perf_counter(), time.process_time()
    asyncio.run(go())
    return time.perf_counter() - started, time.process_time() - cpu


def miner_client(
    base_url: str, prompts: list[str], concurrency: int, folder: Path
) -> tuple[float, float]:
    """Wall and CPU seconds of `complete_many` (cache + parser) over `prompts`."""
    spec = resolve_endpoint({"judges": {"b": {"model": "m", "base_url": base_url,
                                              "concurrency": concurrency}}}, "b")
    requests = [ChatRequest(key=cache_key("m", "bench", text, {}), messages=RUBRIC.messages(text),
                            namespace="bench", item=text, context=text,
                            response_format={"type": "json_object"}) for text in prompts]
    with LLMCache(folder / f"c{concurrency}-{len(prompts)}.sqlite") as cache:
        started, cpu = time.perf_counter(), time.process_time()
        results = complete_many(spec, requests, cache,
                                parse=lambda content, r: parse_answer(content, RUBRIC, r.context))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert all(r.status == "ok" for r in results)
    return seconds, cpu


def score_stage(base_url: str, prompts: list[str], concurrency: int, folder: Path,
                reruns: int = 0) -> list[tuple[float, float]]:
    """Wall and CPU seconds of `run_score` over a fresh run of `prompts` (then reruns)."""
    run = Run(folder)
    rows = [{"id": f"p{i}", "text": t, "hash": hashlib.sha256(t.encode()).hexdigest()[:16],
             "dup_of": None} for i, t in enumerate(prompts)]
    folder.mkdir(parents=True)
    pd.DataFrame(rows).to_parquet(run.file("prompts.parquet"), index=False)
    config = load_config(overrides={"score.judge": "bench", "judges": {
        "bench": {"model": "m", "base_url": base_url, "concurrency": concurrency}}})
    times = []
    for attempt in range(1 + reruns):
        started, cpu = time.perf_counter(), time.process_time()
        outcome = run_score(run, config, force=attempt > 0)
        times.append((time.perf_counter() - started, time.process_time() - cpu))
        assert outcome.counts["scored"] == len(prompts), outcome.counts
    return times


def heuristic_stage(n: int, folder: Path) -> None:
    """The offline heuristic judge over `n` synthetic prompts, fresh and from the cache."""
    import random

    rng = random.Random(0)
    words = ["python", "function", "write", "explain", "prove", "algorithm", "story", "poem",
             "our", "team", "production", "must", "should", "each", "design", "compute",
             "matrix", "3", "+", "4", "=", "7", "budget", "customer"]
    prompts = [" ".join(rng.choice(words) for _ in range(rng.randint(5, 120))) + f" {i}"
               for i in range(n)]
    run = Run(folder)
    folder.mkdir(parents=True)
    pd.DataFrame({"id": [f"p{i}" for i in range(n)], "text": prompts,
                  "hash": [hashlib.sha256(t.encode()).hexdigest()[:16] for t in prompts],
                  "dup_of": [None] * n}).to_parquet(run.file("prompts.parquet"), index=False)
    config = load_config(overrides={"score.judge": "heuristic"})
    print(f"offline heuristic judge, {n} prompts of 5-120 words:")
    for label, force in (("score stage", False), ("score stage, all cached", True)):
        started, cpu = time.perf_counter(), time.process_time()
        run_score(run, config, force=force)
        line(label, n, (time.perf_counter() - started, time.process_time() - cpu), "prompts")


def line(label: str, count: int, timing: tuple[float, float], unit: str,
         baseline: tuple[float, float] | None = None) -> None:
    wall, cpu = timing
    text = f"  {label:<24}{count / wall:8.1f} {unit}/s  CPU {1000 * cpu / count:5.2f} ms each"
    if baseline is not None:
        text += f"  (throughput ratio to bare {baseline[0] / wall:.2f})"
    print(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--serial", type=int, default=200, help="calls for the overhead figure")
    parser.add_argument("--heuristic", type=int, default=20000,
                        help="prompts for the offline heuristic judge figure (0: skip)")
    args = parser.parse_args()
    n, c = args.prompts, args.concurrency
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with ChildServer(_answer, 0.0) as url:
            bare_client(url, texts(50, "warm"), c)  # imports, connections
            print(f"instant server, concurrency {c}, {n} prompts:")
            bare = bare_client(url, texts(n, "bare"), c)
            line("bare openai client", n, bare, "calls")
            line("miner complete_many", n, miner_client(url, texts(n, "miner"), c, folder),
                 "calls", bare)
            stage, cached = score_stage(url, texts(n, "stage"), c, folder / "instant", reruns=1)
            line("score stage", n, stage, "prompts", bare)
            line("score stage, all cached", n, cached, "prompts")
            m = args.serial
            bare1 = bare_client(url, texts(m, "bare1"), 1)
            ours1 = miner_client(url, texts(m, "miner1"), 1, folder)
            print(f"one call at a time, {m} calls: bare {1000 * bare1[0] / m:.2f} ms/call, "
                  f"miner {1000 * ours1[0] / m:.2f} ms/call, overhead "
                  f"{1000 * (ours1[0] - bare1[0]) / m:+.2f} ms/call wall, "
                  f"{1000 * (ours1[1] - bare1[1]) / m:+.2f} ms/call CPU")
        with ChildServer(_answer, args.latency) as url:
            print(f"server latency {1000 * args.latency:.0f} ms, concurrency {c}, {n} prompts "
                  f"(ceiling {c / args.latency:.0f}/s, goal >= 250/s):")
            bare = bare_client(url, texts(n, "bare-slow"), c)
            line("bare openai client", n, bare, "calls")
            (stage,) = score_stage(url, texts(n, "slow"), c, folder / "slow")
            line("score stage", n, stage, "prompts", bare)
        if args.heuristic:
            heuristic_stage(args.heuristic, folder / "heuristic")


if __name__ == "__main__":
    main()
