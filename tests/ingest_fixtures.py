"""Small records in every schema ingest recognises, and writers for every source format.

Field lists follow the published schemas (LMSYS-Chat-1M, WildChat-1M, Chatbot Arena battles,
ShareGPT, OpenAI chat, Arena-Hard v0.1/v2.0/old, MT-bench); the texts are made up.
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path
from typing import Any

MODERATION_CATEGORIES = (
    "harassment", "harassment/threatening", "hate", "hate/threatening", "self-harm",
    "self-harm/instructions", "self-harm/intent", "sexual", "sexual/minors", "violence",
    "violence/graphic",
)

PROMPT_A = "Explain how a hash map handles collisions, with an example in Python."
PROMPT_B = "Now compare open addressing with separate chaining for cache behaviour."
PROMPT_C = "Write a short story about a lighthouse keeper who befriends a storm."


def moderation(flagged: bool = False) -> dict[str, Any]:
    """One OpenAI moderation entry with all 11 categories."""
    return {
        "categories": {name: flagged and name == "violence" for name in MODERATION_CATEGORIES},
        "category_scores": {name: 0.9 if flagged and name == "violence" else 0.001
                            for name in MODERATION_CATEGORIES},
        "flagged": flagged,
    }


def chat(turns: list[str]) -> list[dict[str, str]]:
    """Alternating user/assistant messages, one user message per entry of `turns`."""
    messages = []
    for text in turns:
        messages.append({"role": "user", "content": text})
        messages.append({"role": "assistant", "content": "Here is an answer."})
    return messages


def lmsys(conversation_id: str, turns: list[str], *, language: str = "English",
          flagged: bool = False, redacted: bool = False) -> dict[str, Any]:
    """An LMSYS-Chat-1M record."""
    conversation = chat(turns)
    return {
        "conversation_id": conversation_id,
        "model": "vicuna-13b",
        "conversation": conversation,
        "turn": len(turns),
        "language": language,
        "openai_moderation": [moderation(flagged and i == 0) for i in range(len(conversation))],
        "redacted": redacted,
    }


def wildchat(conversation_hash: str, turns: list[str], *, toxic: bool = False) -> dict[str, Any]:
    """A WildChat-1M record."""
    conversation = [
        {**message, "language": "English", "toxic": toxic, "redacted": False,
         "timestamp": "2023-04-09 00:02:53"}
        for message in chat(turns)
    ]
    return {
        "conversation_hash": conversation_hash,
        "model": "gpt-3.5-turbo-0301",
        "timestamp": "2023-04-09 00:02:53",
        "conversation": conversation,
        "turn": len(turns),
        "language": "English",
        "openai_moderation": [moderation(toxic) for _ in conversation],
        "detoxify_moderation": [{"toxicity": 0.001} for _ in conversation],
        "toxic": toxic,
        "redacted": False,
        "state": "Texas",
        "country": "United States",
        "hashed_ip": "abc123",
        "header": {"user-agent": "Mozilla/5.0"},
    }


def arena_battle(question_id: str, turns: list[str]) -> dict[str, Any]:
    """A Chatbot Arena battle record."""
    conversation = [{**message, "num_tokens": 12} for message in chat(turns)]
    return {
        "question_id": question_id,
        "model_a": "gpt-4-0613",
        "model_b": "claude-2.1",
        "winner": "model_a",
        "conversation_a": conversation,
        "conversation_b": conversation,
        "turn": len(turns),
        "anony": True,
        "language": "English",
        "tstamp": 1700000000.5,
        "is_code": False,
        "is_refusal": False,
        "category_tag": {"criteria_v0.1": {"complexity": True}},
        "output_log": None,
    }


def sharegpt(conversation_id: str, turns: list[str]) -> dict[str, Any]:
    """A ShareGPT record (from/value messages)."""
    messages = []
    for text in turns:
        messages.append({"from": "human", "value": text})
        messages.append({"from": "gpt", "value": "Here is an answer."})
    return {"id": conversation_id, "conversations": messages}


def openai_chat(turns: list[str], *, parts: bool = False) -> dict[str, Any]:
    """An OpenAI chat record; `parts` writes user content as a list of text parts."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": "You are helpful."}]
    for message in chat(turns):
        if parts and message["role"] == "user":
            message = {"role": "user", "content": [{"type": "text", "text": message["content"]}]}
        messages.append(message)
    return {"messages": messages}


def arena_hard_v01(uid: str, prompt: str) -> dict[str, Any]:
    return {"uid": uid, "category": "arena-hard-v0.1", "cluster": "Python Coding", "prompt": prompt}


def arena_hard_v2(uid: str, prompt: str) -> dict[str, Any]:
    return {"uid": uid, "category": "hard_prompt", "subcategory": "coding", "prompt": prompt}


def arena_hard_old(question_id: str, prompt: str) -> dict[str, Any]:
    return {"question_id": question_id, "category": "arena-hard-v0.1", "cluster": "Python",
            "turns": [{"content": prompt}]}


def mt_bench(question_id: int, turns: list[str]) -> dict[str, Any]:
    return {"question_id": question_id, "category": "writing", "turns": turns}


# -- writers ------------------------------------------------------------------------------

def _write_text(path: Path, text: str, gz: bool) -> Path:
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(text)
    else:
        path.write_text(text, "utf-8")
    return path


def write_jsonl(path: Path, records: list[Any], *, gz: bool = False) -> Path:
    """Records as JSON lines (gzip'd when `gz`)."""
    return _write_text(path, "".join(json.dumps(record) + "\n" for record in records), gz)


def write_json_array(path: Path, records: list[Any], *, gz: bool = False) -> Path:
    """Records as one indented JSON array (gzip'd when `gz`)."""
    return _write_text(path, json.dumps(records, indent=2), gz)


def write_parquet(path: Path, records: list[dict[str, Any]], *, gz: bool = False) -> Path:
    """Records as Parquet (then gzip'd as a whole when `gz`)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(records)
    if not gz:
        pq.write_table(table, path)
        return path
    plain = path.with_name(path.name.removesuffix(".gz"))
    pq.write_table(table, plain)
    with open(plain, "rb") as src, gzip.open(path, "wb") as dst:
        dst.write(src.read())
    plain.unlink()
    return path


def write_csv(path: Path, records: list[dict[str, Any]], *, gz: bool = False) -> Path:
    """Records as CSV; nested values are written as JSON text, as exports do."""
    fields = list(records[0])
    opener = gzip.open if gz else open
    with opener(path, "wt", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(fields)
        for record in records:
            writer.writerow([
                json.dumps(record[name]) if isinstance(record[name], (list, dict)) else record[name]
                for name in fields
            ])
    return path


def save_to_disk(
    path: Path, records: list[dict[str, Any]], *, splits: tuple[str, ...] = ()
) -> Path:
    """Records as a `datasets.save_to_disk` folder (a DatasetDict when `splits` are named)."""
    import datasets

    dataset = datasets.Dataset.from_list(records)
    if splits:
        datasets.DatasetDict({split: dataset for split in splits}).save_to_disk(str(path))
    else:
        dataset.save_to_disk(str(path))
    return path
