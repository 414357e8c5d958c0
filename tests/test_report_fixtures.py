"""Hand-built run folders for the report tests (columns as docs/artifacts.md describes).

No tests here: the builders are shared by tests/test_report*.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

CRITERIA = (
    "specificity",
    "domain_knowledge",
    "complexity",
    "problem_solving",
    "creativity",
    "technical_accuracy",
    "real_world",
)
TOPIC_WORDS = (
    ("python", "pandas", "dataframe"),
    ("poem", "rhyme", "verse"),
    ("sql", "join", "query"),
    ("recipe", "oven", "flour"),
    ("physics", "quantum", "energy"),
    ("resume", "interview", "job"),
)
# Prompts that try to break out of the page; each would set window.__pwned or open a dialog.
HOSTILE = (
    "<script>window.__pwned = 1; alert(1)</script>",
    "</script><script>window.__pwned = 2</script>",
    '"><img src=x onerror="window.__pwned = 3; alert(3)">',
    '<a href="javascript:window.__pwned = 4">click me</a> javascript:alert(4)',
    "{{ 7*7 }} {% raw %}{{ config }}{% endraw %} ${alert(5)} %{x}",
    "<!-- <script>window.__pwned = 6</script> -->",
    '<svg onload="window.__pwned = 7"><iframe src="https://example.invalid/x"></iframe>',
    "<b>bold</b><br><a href='javascript:alert(8)'>plotly link</a> <img src=https://example.invalid/p.png>",
    "line\u2028separator\u2029and & &amp; &lt;script&gt;window.__pwned = 9&lt;/script&gt;",
    "W" * 200_000,
)
HOSTILE_LABEL = "<script>window.__pwned = 10</script>"
HOSTILE_KEYWORD = '"><img src=x onerror=alert(11)>'
# Labels that plotly's pseudo-HTML would read as markup or entities if passed on raw (short
# enough that no chart shortens them).
QUOTED_LABEL = '"q" & <b>b</b> <a href=javascript:x>l</a> &lt;'
QUOTED_CATEGORY = 'two: "quoted" & <i>co</i>'
MOVED = (20, 21, 22)


def sentinel(i: int) -> str:
    """A word unique to prompt i, for finding it in the page."""
    return f"zq{i:05d}x"


def build_run(
    path: Path,
    *,
    per_topic: int = 30,
    hostile: bool = True,
    artifacts: tuple[str, ...] = ("funnel", "topics", "scores", "summary", "select"),
    seed: int = 0,
) -> Path:
    """Write prompts.parquet and the chosen optional artifacts for 6 planted topics."""
    rng = np.random.default_rng(seed)
    path.mkdir(parents=True, exist_ok=True)
    n_topics = len(TOPIC_WORDS)
    texts, topics = [], []
    for topic, words in enumerate(TOPIC_WORDS):
        for j in range(per_topic):
            i = len(texts)
            texts.append(f"Question {sentinel(i)} about {' and '.join(words)}, variant {j}.")
            topics.append(topic if j < per_topic - 2 else -1)
    if hostile:
        for k, text in enumerate(HOSTILE):
            texts[k * 3] = f"{sentinel(k * 3)} {text}"
    n = len(texts)
    ids = [f"p{i:05d}" for i in range(n)]
    dup_of = [None] * n
    dup_of[5] = ids[4]
    near = [None] * n
    near[7] = ids[6]
    pd.DataFrame(
        {
            "id": ids,
            "text": texts,
            "hash": [f"h{i}" for i in range(n)],
            "source": "log.jsonl",
            "row": range(n),
            "conversation_id": ids,
            "turn": 1,
            "language": "en",
            "n_chars": [len(t) for t in texts],
            "format": "jsonl",
            "dup_of": dup_of,
            "near_dup_of": near,
        }
    ).to_parquet(path / "prompts.parquet")
    if "funnel" in artifacts:
        (path / "funnel.json").write_text(
            json.dumps(
                [
                    {"step": "read", "count": n + 40},
                    {"step": "parsed", "count": n + 20},
                    {"step": "kept: min_chars", "count": n + 5},
                    {"step": "kept: dedup", "count": n},
                ]
            )
        )
    centres = rng.normal(scale=8, size=(n_topics, 2))
    if "topics" in artifacts:
        xy = np.array([centres[t] if t >= 0 else (0, 0) for t in topics]) + rng.normal(size=(n, 2))
        pd.DataFrame(
            {
                "id": ids,
                "topic": topics,
                # Topic 0's prompts 20-22 were moved there by the outlier step (probability 0).
                "probability": np.where(np.isin(np.arange(n), MOVED), 0.0, rng.uniform(0.3, 1, n)),
                "x": xy[:, 0].astype("float32"),
                "y": xy[:, 1].astype("float32"),
            }
        ).to_parquet(path / "topics.parquet")
        labels = [" ".join(w) for w in TOPIC_WORDS]
        if hostile:
            labels[1] = HOSTILE_LABEL
            labels[4] = QUOTED_LABEL
        info = {
            "topics": [
                {
                    "topic": t,
                    "parent": t // 2,
                    "size": topics.count(t),
                    "share": topics.count(t) / n,
                    "keywords": list(TOPIC_WORDS[t])
                    + ([HOSTILE_KEYWORD] if hostile and t == 2 else []),
                    "label": labels[t],
                    "representative_ids": [ids[t * per_topic + j] for j in (1, 2, 3)],
                }
                for t in range(n_topics)
            ],
            "categories": [
                {
                    "category": c,
                    "label": QUOTED_CATEGORY if hostile and c == 2 else f"category {c}",
                    "topics": [2 * c, 2 * c + 1],
                    "size": topics.count(2 * c) + topics.count(2 * c + 1),
                }
                for c in range(n_topics // 2)
            ],
            "outliers": topics.count(-1),
        }
        (path / "topic_info.json").write_text(json.dumps(info))
    scores = None
    if "scores" in artifacts:
        # Topic t's prompts meet criteria with probability rising with t: a real spread.
        crit = (
            rng.uniform(size=(n, len(CRITERIA)))
            < (0.15 + 0.12 * (np.array(topics) % n_topics))[:, None]
        )
        status = np.where(rng.uniform(size=n) < 0.05, "no_match", "ok")
        status[10] = "multiple_match"
        frame = pd.DataFrame(
            {
                "id": ids,
                "hash": [f"h{i}" for i in range(n)],
                "judge": "heuristic",
                "rubric": "benchbuilder-v1",
            }
        )
        for k, name in enumerate(CRITERIA):
            frame[name] = pd.array(np.where(status == "ok", crit[:, k], None), dtype="boolean")
        scores = np.where(status == "ok", crit.sum(axis=1), np.nan)
        frame["score"] = scores
        frame["status"] = status
        frame.to_parquet(path / "scores.parquet")
    if "summary" in artifacts:
        (path / "score_summary.json").write_text(
            json.dumps(
                {
                    "judge": "heuristic",
                    "offline": True,
                    "note": "offline heuristic judge: <i>no endpoint</i>",
                    "rubric": "benchbuilder-v1",
                    "scored": n,
                    "answers_tokens": {"prompt": 12345, "completion": 678},
                    "answers_cost_usd": 0.0,
                }
            )
        )
    if "select" in artifacts:
        write_selection(path, ids, texts, topics, scores, dup_of, near)
    return path


def write_selection(path, ids, texts, topics, scores, dup_of, near, top: int = 20) -> list[int]:
    """benchmark/ as the select stage writes it: reasons per candidate, hash-based uids."""
    n = len(ids)
    scores = np.zeros(n) if scores is None else scores
    order = np.argsort(-np.nan_to_num(scores, nan=-1), kind="stable")
    chosen = [int(i) for i in order if dup_of[i] is None and near[i] is None][:top]
    reasons = []
    for i in range(n):
        if i in chosen:
            reasons.append("selected")
        elif dup_of[i] is not None:
            reasons.append("duplicate")
        elif near[i] is not None:
            reasons.append("near_duplicate")
        else:
            reasons.append("low_score" if np.isnan(scores[i]) or scores[i] < 5 else "not_needed")
    bench = path / "benchmark"
    bench.mkdir(exist_ok=True)
    uids = [f"{i * 7919:032x}" for i in range(n)]
    pd.DataFrame(
        {"id": ids, "uid": uids, "topic": topics, "score": scores, "reason": reasons}
    ).to_parquet(bench / "selection.parquet")
    with open(bench / "question.jsonl", "w") as handle:
        for i in chosen:
            record = {
                "uid": uids[i],
                "category": "arena-hard-v0.1",
                "cluster": str(topics[i]),
                "prompt": texts[i],
            }
            handle.write(json.dumps(record) + "\n")
    (bench / "selection.json").write_text(
        json.dumps(
            {
                "questions": len(chosen),
                "top": top + 5,
                "reached_top": False,
                "shortfall": [f"{len(chosen)} prompts pass the filters <b>(score >= 6)</b>"],
            }
        )
    )
    return chosen


def build_large_run(path: Path, n: int, texts: list[str], n_topics: int | None = None,
                    seed: int = 0) -> None:
    """A run folder of `n` prompts (texts cycled) with random topics, map, scores and 500
    selected: the report's inputs at scale, cheap to make (report tests and bench_report)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    n_topics = n_topics or max(20, int(np.sqrt(n) / 2))
    ids = pa.array([f"p{i:08d}" for i in range(n)])
    text = pa.array([texts[i % len(texts)] for i in range(n)])
    nulls = pa.nulls(n, pa.string())
    pq.write_table(
        pa.table({"id": ids, "text": text, "dup_of": nulls, "near_dup_of": nulls}),
        path / "prompts.parquet",
    )
    topic = rng.integers(-1, n_topics, n)
    xy = rng.normal(size=(n, 2)).astype("float32")
    pq.write_table(
        pa.table(
            {
                "id": ids,
                "topic": topic,
                "probability": rng.uniform(size=n),
                "x": xy[:, 0],
                "y": xy[:, 1],
            }
        ),
        path / "topics.parquet",
    )
    categories = max(2, round(np.sqrt(n_topics)))
    info = {
        "topics": [
            {
                "topic": t,
                "parent": t % categories,
                "label": f"topic {t} keywords here",
                "keywords": ["alpha", "beta", "gamma", "delta"],
                "representative_ids": [f"p{t:08d}"],
            }
            for t in range(n_topics)
        ],
        "categories": [
            {
                "category": c,
                "label": f"category {c}",
                "topics": list(range(c, n_topics, categories)),
                "size": 0,
            }
            for c in range(categories)
        ],
    }
    (path / "topic_info.json").write_text(json.dumps(info))
    score = rng.integers(0, 8, n).astype(float)
    crit = {name: rng.uniform(size=n) < 0.5 for name in CRITERIA}
    pq.write_table(
        pa.table(
            {
                "id": ids,
                **crit,
                "score": score,
                "judge": pa.array(["heuristic"] * n),
                "status": pa.array(["ok"] * n),
            }
        ),
        path / "scores.parquet",
    )
    chosen = np.zeros(n, dtype=bool)
    chosen[rng.choice(np.flatnonzero(score >= 6), size=500, replace=False)] = True
    (path / "benchmark").mkdir()
    reason = np.where(chosen, "selected", "not_needed")
    pq.write_table(
        pa.table({"id": ids, "reason": reason}), path / "benchmark" / "selection.parquet"
    )
