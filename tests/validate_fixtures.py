"""A run folder and scripted servers for `miner validate` tests.

The run holds HARD prompts (score 7; the benchmark selects some) and EASY ones (score 1).
Models answer "<name> answers with quality Q". The judge follows a rule a test can check:
on an EASY prompt it calls a tie; otherwise the answer of higher quality wins, strongly
when the qualities differ by 2 or more, except on prompts whose number is a multiple of 7,
where it picks the other answer (so no model wins every game and ratings stay finite).
"""

from __future__ import annotations

import hashlib
import json
import re

import pandas as pd

from miner.run import Run
from tests.openai_server import chat_body

QUALITY = {"strong": 3, "mid": 2, "weak": 1}
_ANSWER = re.compile(r"(\w+) answers with quality (\d)")
_PROMPT = re.compile(r"<\|User Prompt\|>\n(.*?)\n\n<\|The Start", re.S)
_A = re.compile(r"Assistant A's Answer\|>\n(.*?)\n<\|The End of Assistant A", re.S)
_B = re.compile(r"Assistant B's Answer\|>\n(.*?)\n<\|The End of Assistant B", re.S)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def make_validation_run(path, hard: int = 30, easy: int = 60, selected: int = 20,
                        texts: list[str] | None = None) -> Run:
    """prompts.parquet and benchmark/selection.parquet of a small mined run: the first
    `selected` prompts are the benchmark (`texts` replaces the HARD and EASY prompts)."""
    rows, selection = [], []
    if texts is None:
        texts = [f"HARD task {i}: prove the bound" for i in range(hard)]
        texts += [f"EASY chat {i}: say hi" for i in range(easy)]
    for i, text in enumerate(texts):
        rows.append({"id": f"p{i}", "text": text, "hash": text_hash(text), "dup_of": None,
                     "near_dup_of": None})
        chosen = i < selected
        selection.append({"id": f"p{i}", "uid": text_hash(text)[:32],
                          "reason": "selected" if chosen else "not_needed",
                          "score": 7.0 if text.startswith("HARD") else 1.0,
                          "rank": i + 1 if chosen else None})
    path.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).astype({"dup_of": "string", "near_dup_of": "string"}).to_parquet(
        path / "prompts.parquet", index=False)
    (path / "benchmark").mkdir(exist_ok=True)
    frame = pd.DataFrame(selection).astype({"rank": "Int64"})
    frame.to_parquet(path / "benchmark" / "selection.parquet", index=False)
    return Run(path)


def answer_of(model: str) -> str:
    return f"{model} answers with quality {QUALITY[model]}"


def expected_label(prompt: str, answer_a: str, answer_b: str) -> str:
    """The judge's rule (see the module doc)."""
    if prompt.startswith("EASY"):
        return "A=B"
    qa = int(_ANSWER.search(answer_a).group(2))
    qb = int(_ANSWER.search(answer_b).group(2))
    if int(prompt.split()[2].rstrip(":")) % 7 == 0:
        qa, qb = qb, qa
    diff = qa - qb
    if diff == 0:
        return "A=B"
    strong = abs(diff) >= 2
    return ("A>>B" if strong else "A>B") if diff > 0 else ("B>>A" if strong else "B>A")


def judge_parts(request: dict) -> tuple[str, str, str]:
    """(prompt, answer A, answer B) of a pairwise judge request."""
    text = request["messages"][-1]["content"]
    return (_PROMPT.search(text).group(1), _A.search(text).group(1), _B.search(text).group(1))


def handler(request: dict) -> dict:
    """Answers for the model names of QUALITY; verdicts for model `judge`."""
    model = request["model"]
    if model == "judge":
        prompt, a, b = judge_parts(request)
        label = expected_label(prompt, a, b)
        return chat_body(f"My own answer first. Then: my final verdict is [[{label}]]",
                         model=model)
    return chat_body(answer_of(model), model=model)


def server_config(base_url: str, **validate) -> dict:
    """Config overrides: the three models and the judge at `base_url`."""
    entry = {"base_url": base_url, "concurrency": 4, "max_retries": 0}
    return {"models": {m: dict(entry) for m in QUALITY},
            "judges": {"judge": dict(entry)},
            "validate": {"models": ["strong", "weak"], "baseline": "mid", "judge": "judge",
                         "rounds": 200, **validate}}


def request_key(body: dict) -> str:
    """An identity of one request's content (model and messages)."""
    return text_hash(json.dumps([body["model"], body["messages"]], sort_keys=True))
