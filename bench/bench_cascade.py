"""Cascade against full scoring with a reference judge, on 20k and 100k wild_dev prompts.

The reference judge is miner's offline heuristic judge (`heuristic`): deterministic and
text-based (its criteria read the prompt's words, code and structure), so its answers carry
meaning and a predictor can learn them from the text, as it would an LLM's; it stands in for
an LLM judge whose every call would cost.

Corpus: the 19,328 real prompts of ../shared/data/wild_dev.jsonl.gz, then recombined ones up
to N: a seeded pair of real prompts (a, b) gives the first half of a's sentences followed by
the second half of b's (word halves for a one-sentence prompt); recombinations whose text
repeats an earlier one are dropped and drawn again.
Vectors: embedding 100k prompts with MiniLM on this machine is too slow (bench/_wild_vectors.py
takes ~50 minutes for the 19k alone under the usual load), so every prompt gets an LSA vector
instead: word 1-2-gram hashing (2^18 features) -> TF-IDF -> TruncatedSVD to 128 dimensions
(seeded; fitted on a 20,000-prompt sample), L2-normalised. Real text, real vectors, not MiniLM.
Topics: FAISS spherical k-means on those vectors, N // 250 topics (seed 0, 20 iterations),
no outliers; not the BERTopic cluster stage (too slow at 100k here), so both strategies see
the same topics.

Both strategies run the real score and select stages on their own run folder with the
default config (select.top 500, min_score 6, min_topic_mean 3, per_topic 2, relax auto);
the cascade with score.strategy cascade. Printed side by side, per N.

    .venv/bin/python bench/bench_cascade.py --n 20000 100000
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "wild_dev.jsonl.gz"
WORK = ROOT / ".cache" / "bench_cascade"
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def real_prompts() -> list[str]:
    with gzip.open(DATA, "rt", encoding="utf-8") as handle:
        return [json.loads(line)["prompt"][:10000] for line in handle]


def _halves(text: str) -> tuple[str, str]:
    parts = _SENTENCE.split(text.strip())
    if len(parts) < 2:
        parts = text.split()
    middle = (len(parts) + 1) // 2
    return " ".join(parts[:middle]), " ".join(parts[middle:])


def corpus(n: int, seed: int = 0) -> list[str]:
    """The real prompts, then distinct recombinations of two of them, up to `n`."""
    texts = real_prompts()[:n]
    seen = {hashlib.sha256(t.encode()).digest() for t in texts}
    base = list(texts)
    halves = [_halves(t) for t in base]
    rng = np.random.default_rng(seed)
    while len(texts) < n:
        a, b = rng.integers(0, len(base), size=2)
        if a == b:
            continue
        text = (halves[a][0] + " " + halves[b][1]).strip()[:10000]
        key = hashlib.sha256(text.encode()).digest()
        if text and key not in seen:
            seen.add(key)
            texts.append(text)
    return texts


def lsa_vectors(texts: list[str], dim: int = 128, seed: int = 0) -> np.ndarray:
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

    hashed = HashingVectorizer(n_features=2**18, ngram_range=(1, 2), alternate_sign=False,
                               norm=None).transform(texts)
    sample = np.random.default_rng(seed).permutation(len(texts))[:20000]
    tfidf = TfidfTransformer().fit(hashed[sample])
    weighted = tfidf.transform(hashed)
    svd = TruncatedSVD(dim, random_state=seed).fit(weighted[sample])
    vectors = svd.transform(weighted).astype(np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return vectors


def kmeans_topics(vectors: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    import faiss

    km = faiss.Kmeans(vectors.shape[1], k, niter=20, seed=seed, spherical=True, verbose=False)
    km.train(vectors)
    return km.index.search(vectors, 1)[1][:, 0].astype(np.int64)


def write_run(path: Path, texts: list[str], vectors: np.ndarray, topics: np.ndarray):
    from miner.run import Run

    path.mkdir(parents=True, exist_ok=True)
    ids = [f"w{i:06d}" for i in range(len(texts))]
    pd.DataFrame({"id": ids, "text": texts,
                  "hash": [hashlib.sha256(t.encode()).hexdigest() for t in texts],
                  "dup_of": None, "near_dup_of": None}).to_parquet(path / "prompts.parquet",
                                                                  index=False)
    np.save(path / "embeddings.npy", vectors)
    pd.DataFrame({"id": ids, "topic": topics}).to_parquet(path / "topics.parquet", index=False)
    info = {"topics": [{"topic": int(t), "label": f"topic {t}"} for t in np.unique(topics)],
            "categories": []}
    (path / "topic_info.json").write_text(json.dumps(info))
    return Run(path)


def strategy_run(path: Path, texts, vectors, topics, strategy: str) -> dict:
    """Score and select on a fresh run folder; the figures of its benchmark."""
    import shutil

    from miner.config import load_config
    from miner.judge import run_score
    from miner.select import run_select

    shutil.rmtree(path, ignore_errors=True)
    run = write_run(path, texts, vectors, topics)
    config = load_config(overrides={"score.judge": "heuristic", "score.strategy": strategy})
    started = time.perf_counter()
    run_score(run, config)
    score_s = time.perf_counter() - started
    run_select(run, config)
    summary = json.loads(run.file("score_summary.json").read_text())
    selection = pd.read_parquet(run.file("benchmark/selection.parquet"))
    selected = selection[selection["reason"] == "selected"]
    chosen = json.loads(run.file("benchmark/selection.json").read_text())
    scores = pd.read_parquet(run.file("scores.parquet")).set_index("id")
    return {"summary": summary, "selected": selected, "scores": scores,
            "relaxed": chosen.get("relaxed_text"), "score_s": score_s}


def compare(n: int, full: dict, cascade: dict) -> list[tuple[str, str, str]]:
    truth = full["scores"]["score"]           # the reference judge's score of every prompt
    f_sel, c_sel = full["selected"], cascade["selected"]
    c_scores = cascade["scores"]
    f_topics, c_topics = set(f_sel["topic"]), set(c_sel["topic"])
    confirmed = (c_scores.loc[c_sel["id"], "source"] == "judge").all()
    at_min = (c_scores.loc[c_sel["id"], "score"] >= 6).all()
    strategy = cascade["summary"]["strategy"]
    passing = int((truth >= 6).sum())
    unjudged_passing = int((truth[c_scores["source"] == "predicted"] >= 6).sum())
    return [
        ("judge calls", f"{n:,}", f"{strategy['calls']:,} ({strategy['call_share']:.1%})"),
        ("score stage s", f"{full['score_s']:.0f}", f"{cascade['score_s']:.0f}"),
        ("cascade rounds", "-", f"{len(strategy['rounds'])} ({strategy['stopped']})"),
        ("questions", str(len(f_sel)), str(len(c_sel))),
        ("relaxed", str(full["relaxed"] or "no"), str(cascade["relaxed"] or "no")),
        ("judge-confirmed, score >= 6", "all" if (f_sel["score"] >= 6).all() else "no",
         "all" if confirmed and at_min else "NO"),
        ("topics covered", str(len(f_topics)),
         f"{len(c_topics)} ({len(c_topics & f_topics) / max(len(f_topics), 1):.1%} of full's)"),
        ("mean judged score", f"{f_sel['score'].mean():.3f}",
         f"{truth.loc[c_sel['id']].mean():.3f}"),
        ("passing prompts (score >= 6)", f"{passing:,}",
         f"{unjudged_passing:,} never judged; predicted "
         f"{strategy['predicted_passing_unjudged']:,.0f}"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[20_000, 100_000])
    args = parser.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} is absent")
        return
    sys.stderr.write("")
    for n in args.n:
        started = time.perf_counter()
        texts = corpus(n)
        vectors = lsa_vectors(texts)
        topics = kmeans_topics(vectors, n // 250)
        prep_s = time.perf_counter() - started
        full = strategy_run(WORK / f"full{n}", texts, vectors, topics, "full")
        cascade = strategy_run(WORK / f"cascade{n}", texts, vectors, topics, "cascade")
        print(f"\nN = {n:,} ({min(n, 19328):,} real + {max(n - 19328, 0):,} recombined), "
              f"{n // 250} topics; corpus, LSA vectors and topics {prep_s:.0f} s")
        rows = [("", "full", "cascade"), *compare(n, full, cascade)]
        width = max(len(r[0]) for r in rows)
        for label, a, b in rows:
            print(f"  {label:<{width}}  {a:>28}  {b}")


if __name__ == "__main__":
    main()
