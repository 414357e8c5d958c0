"""The development protocol: Arena-Hard v0.1 hidden among arena_catalog_dev (both Chatbot
Arena prompts; ~6% positive after ingest's filters), a perfect and instant local judge, and
every way of spending its calls side by side in one run.

Corpus: ../shared/data/arena_hard_v0.1.jsonl (500, ids `ah-<uid>`) then
../shared/data/arena_catalog_dev.jsonl.gz (8,828, ids `cat-<id>`), written as one JSONL and
built once into WORK/base with the CLI (ingest, embed, index, cluster, default config);
`--from-run DIR` copies a folder already built that way (e.g. /work/runs/protocol) instead.
Judge: bench/_protocol_judge.py, a local OpenAI-compatible server that answers
benchbuilder-v1 with all 7 criteria for a v0.1 prompt and the offline heuristic judge's
criteria cut to 5 for any other (min(5, heuristic score)), with no latency; miner calls it
through the real `openai` client (concurrency 32). A hard prompt is one judged at 7.

Rows, each on a fresh copy of WORK/base: random samples of 5/10/20% of the distinct prompts;
the plain active search (logistic regression on the run's MiniLM vectors, 250 prompts a
round, the first round the top of a ranking by heuristic score, then length, longest first);
the cascade capped at 5/10/20% of the distinct prompts' calls (`--max-calls`); the default
cascade; full scoring. Each then runs `miner select --top 500 --no-exclude-public` (the
shipped public-benchmark list holds v0.1 itself; default config otherwise);
the random and active rows write scores.parquet themselves (unjudged prompts unscored).
Printed per row: judge calls, hard prompts found, hard prompts in the benchmark, score wall
time (the CLI's, process start included; the baselines' judging loop).

    .venv/bin/python bench/bench_protocol.py [--data ../shared/data] [--work DIR] \\
        [--from-run /work/runs/protocol]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
AH, CATALOG = "arena_hard_v0.1.jsonl", "arena_catalog_dev.jsonl.gz"
MINER = [sys.executable, "-m", "miner.cli"]
UPSTREAM = ("prompts.parquet", "embeddings.npy", "embeddings.json", "index.faiss",
            "topics.parquet", "topic_info.json", "funnel.json")
SHARES = (0.05, 0.10, 0.20)
ROUND = 250


def write_mix(data: Path, path: Path) -> None:
    """Arena-Hard v0.1 then arena_catalog_dev, as the protocol's one JSONL source."""
    with path.open("w") as out:
        for line in (data / AH).read_text().splitlines():
            row = json.loads(line)
            out.write(json.dumps({"id": f"ah-{row['uid']}", "prompt": row["prompt"],
                                  "source": "arena-hard-v0.1"}) + "\n")
        with gzip.open(data / CATALOG, "rt", encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                out.write(json.dumps({"id": f"cat-{row['id']}", "prompt": row["prompt"],
                                      "source": "arena-catalog"}) + "\n")


def miner(*args: str) -> float:
    """Run one miner command; its wall time."""
    started = time.perf_counter()
    subprocess.run([*MINER, *args], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def build_base(data: Path, work: Path, from_run: Path | None) -> Path:
    """WORK/base with prompts, embeddings, index and topics (built once, then reused)."""
    base = work / "base"
    if (base / "topics.parquet").exists():
        return base
    shutil.rmtree(base, ignore_errors=True)
    if from_run is not None:
        base.mkdir(parents=True)
        for name in UPSTREAM:
            if (from_run / name).exists():
                shutil.copy2(from_run / name, base / name)
        return base
    mix = work / "protocol_mix.jsonl"
    write_mix(data, mix)
    for stage in ("ingest", "embed", "index", "cluster"):
        source = [str(mix)] if stage == "ingest" else []
        print(f"building {base}: {stage}", file=sys.stderr)
        miner(stage, *source, "--run", str(base))
    return base


def fresh(base: Path, path: Path) -> Path:
    """A new run folder holding base's upstream artifacts."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    for name in UPSTREAM:
        if (base / name).exists():
            shutil.copy2(base / name, path / name)
    return path


def answers(base: Path) -> tuple[dict[str, list[int]], set[str], pd.DataFrame]:
    """The perfect judge's criteria by text hash, the v0.1 prompt ids, the distinct prompts."""
    from miner.judge import heuristic
    from miner.judge.rubric import load_rubric

    rubric = load_rubric("benchbuilder-v1")
    prompts = pd.read_parquet(base / "prompts.parquet")
    hard = set(prompts.loc[prompts["conversation_id"].str.startswith("ah-"), "id"])
    distinct = prompts[prompts["dup_of"].isna()].reset_index(drop=True)
    table, h_scores = {}, []
    for row_id, text in zip(distinct["id"], distinct["text"], strict=True):
        own = sorted(heuristic.judge_text(text[:10000], rubric))
        h_scores.append(len(own))
        key = hashlib.sha256(text[:10000].encode()).hexdigest()
        table[key] = list(range(1, 8)) if row_id in hard else own[:5]
    distinct["heuristic"] = h_scores
    return table, hard, distinct


def config_file(folder: Path, url: str, **score: object) -> Path:
    path = folder / "bench.yaml"
    path.write_text(yaml.safe_dump({
        "score": {"judge": "protocol", **score},
        "judges": {"protocol": {"model": "protocol-judge", "base_url": url,
                                "concurrency": 32}},
    }))
    return path


def outcome(run: Path, hard: set[str], calls: int, seconds: float) -> dict:
    """Calls, hard prompts judged, hard prompts in the benchmark, wall time."""
    scores = pd.read_parquet(run / "scores.parquet")
    judged = scores[(scores["status"] == "ok") & (scores["source"] == "judge")]
    selection = pd.read_parquet(run / "benchmark" / "selection.parquet")
    chosen = selection.loc[selection["reason"] == "selected", "id"]
    return {"calls": calls, "found": int(judged["id"].isin(hard).sum()),
            "in_top": int(chosen.isin(hard).sum()), "benchmark": len(chosen), "s": seconds}


class Baseline:
    """Random or plain-active judging in this process through miner's own judge and cache;
    unjudged prompts stay unscored in scores.parquet."""

    def __init__(self, run: Path, cfg: Path) -> None:
        from miner.config import load_config
        from miner.judge.registry import resolve_judge
        from miner.judge.rubric import load_rubric
        from miner.judge.score import load_items
        from miner.llm import LLMCache
        from miner.run import Run

        self.run = Run(run)
        self.config = load_config(cfg)
        self.judge = resolve_judge(self.config)
        self.rubric = load_rubric("benchbuilder-v1")
        self.frame, items = load_items(self.run, 10000)
        self.items = {i.hash: i for i in items}
        self.cache = LLMCache(self.run.file("judge.sqlite"))
        self.verdicts: dict = {}

    def judge_hashes(self, hashes: list[str]) -> dict[str, float]:
        """Judge these item hashes; their scores."""
        from miner.judge.base import judge_items
        from miner.judge.parse import score_of

        got, _ = judge_items(self.judge, self.rubric, [self.items[h] for h in hashes],
                             self.cache, max_chars=10000)
        self.verdicts.update(got)
        return {h: score_of(v.value, self.rubric) for h, v in got.items() if v.status == "ok"}

    def write(self) -> None:
        import pyarrow.parquet as pq

        from miner.judge.score import score_table

        table = score_table(self.frame, self.rubric,
                            {h: (self.judge.name, v) for h, v in self.verdicts.items()})
        pq.write_table(table, self.run.file("scores.parquet"))
        self.cache.close()


def random_row(base: Path, path: Path, url: str, distinct: pd.DataFrame, share: float,
               hard: set[str]) -> dict:
    run = fresh(base, path)
    cfg = config_file(run, url)
    started = time.perf_counter()
    baseline = Baseline(run, cfg)
    hashes = distinct["hash"].to_numpy()
    n = int(share * len(hashes))
    chosen = np.random.default_rng(0).permutation(len(hashes))[:n]
    baseline.judge_hashes([str(h) for h in hashes[chosen]])
    baseline.write()
    seconds = time.perf_counter() - started
    miner("select", "--run", str(run), "--config", str(cfg), "--top", "500",
          "--no-exclude-public", "--force")
    return outcome(run, hard, n, seconds)


def active_row(base: Path, path: Path, url: str, distinct: pd.DataFrame, share: float,
               hard: set[str]) -> dict:
    """The plain active search: logistic regression on MiniLM vectors, 250 a round."""
    from sklearn.linear_model import LogisticRegression

    run = fresh(base, path)
    cfg = config_file(run, url)
    vectors = np.load(run / "embeddings.npy")
    prompts = pd.read_parquet(run / "prompts.parquet", columns=["id"])
    row_of = pd.Series(np.arange(len(prompts)), index=prompts["id"])
    x = vectors[row_of[distinct["id"]].to_numpy()]
    hashes = [str(h) for h in distinct["hash"]]
    started = time.perf_counter()
    baseline = Baseline(run, cfg)
    budget = int(share * len(hashes))
    order = np.lexsort((-distinct["text"].str.len().to_numpy(), -distinct["heuristic"]))
    judged: list[int] = []
    passed: dict[int, bool] = {}
    while len(judged) < budget:
        if passed and len(set(passed.values())) == 2:
            fitted = LogisticRegression(max_iter=1000).fit(x[judged], [passed[p] for p in judged])
            rank = fitted.decision_function(x)
            rank[judged] = -np.inf
            order = np.argsort(-rank, kind="stable")
        seen = set(judged)
        batch = [int(p) for p in order if p not in seen][:min(ROUND, budget - len(judged))]
        scores = baseline.judge_hashes([hashes[p] for p in batch])
        for p in batch:
            passed[p] = scores.get(hashes[p], 0) >= 6
        judged += batch
    baseline.write()
    seconds = time.perf_counter() - started
    miner("select", "--run", str(run), "--config", str(cfg), "--top", "500",
          "--no-exclude-public", "--force")
    return outcome(run, hard, budget, seconds)


def miner_row(base: Path, path: Path, url: str, hard: set[str],
              **score: object) -> dict:
    run = fresh(base, path)
    cfg = config_file(run, url, **score)
    seconds = miner("score", "--run", str(run), "--config", str(cfg))
    summary = json.loads((run / "score_summary.json").read_text())
    miner("select", "--run", str(run), "--config", str(cfg), "--top", "500",
          "--no-exclude-public")
    row = outcome(run, hard, summary["called"] + summary["cached"], seconds)
    strategy = summary["strategy"]
    if strategy.get("strategy") == "cascade":
        row["note"] = (f"{len(strategy['rounds'])} rounds, stopped: {strategy['stopped']}")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=ROOT / ".cache" / "bench_protocol")
    parser.add_argument("--from-run", type=Path, default=None,
                        help="copy this already built protocol run folder as the base")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data",
                        help="the folder holding the two sources (default ../shared/data)")
    args = parser.parse_args()
    if not ((args.data / AH).exists() and (args.data / CATALOG).exists()):
        print(f"skipped: {args.data} lacks {AH} or {CATALOG}")
        return
    args.work.mkdir(parents=True, exist_ok=True)
    base = build_base(args.data, args.work, args.from_run)
    table, hard, distinct = answers(base)
    answer_file = args.work / "answers.json"
    answer_file.write_text(json.dumps(table))
    port_file = args.work / "judge_url.txt"
    port_file.unlink(missing_ok=True)
    server = subprocess.Popen([sys.executable, str(ROOT / "bench" / "_protocol_judge.py"),
                               str(answer_file), str(port_file)])
    os.environ.update({"OPENAI_API_KEY": "bench", "PYTHONPATH": str(ROOT)})
    try:
        while not port_file.exists():
            time.sleep(0.1)
        url = port_file.read_text()
        n = len(distinct)
        rows: list[tuple[str, dict]] = []
        for share in SHARES:
            rows.append((f"random {share:.0%}", random_row(
                base, args.work / f"random{share}", url, distinct, share, hard)))
        for share in SHARES:
            rows.append((f"plain active search {share:.0%}", active_row(
                base, args.work / f"active{share}", url, distinct, share, hard)))
        for share in SHARES:
            rows.append((f"cascade, --max-calls {share:.0%}", miner_row(
                base, args.work / f"cascade{share}", url, hard, strategy="cascade",
                max_calls=int(share * n))))
        rows.append(("cascade, default", miner_row(base, args.work / "cascade", url, hard,
                                                   strategy="cascade")))
        rows.append(("full scoring", miner_row(base, args.work / "full", url, hard)))
    finally:
        server.terminate()
        server.wait()
    print(f"\n{n:,} distinct prompts, {len(hard & set(distinct['id'])):,} of them Arena-Hard "
          "v0.1 (hard: judged 7 by the perfect judge)")
    print("| run | judge calls | hard prompts found | hard in `select --top 500` | wall s |")
    print("|---|---:|---:|---:|---:|")
    for name, row in rows:
        note = f" ({row['note']})" if "note" in row else ""
        print(f"| {name}{note} | {row['calls']:,} ({row['calls'] / n:.1%}) | {row['found']} | "
              f"{row['in_top']} of {row['benchmark']} | {row['s']:.1f} |")


if __name__ == "__main__":
    main()
