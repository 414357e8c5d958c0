"""Recognise a record's schema by its fields and pull out its user turns and metadata.

Known schemas: LMSYS-Chat-1M and WildChat (`conversation` of role/content), Chatbot Arena
battles (`conversation_a`), ShareGPT (`conversations` of from/value), OpenAI chat
(`messages`), Arena-Hard question files (`prompt`, or `turns[].content`), MT-bench (`turns`
of strings), and flat records (`prompt`, `text`, `instruction`, `question`, or a field named
by `--text-field`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from miner.console import printable

USER_ROLES = frozenset({"user", "human", "prompter"})
FLAT_FIELDS = ("prompt", "text", "instruction", "question")
_ID_FIELDS = ("conversation_id", "conversation_hash", "question_id", "uid", "id")
_MAX_FIELDS_SHOWN = 12
_MODERATION_FIELDS = ("openai_moderation", "detoxify_moderation", "flagged", "toxic")
_DATASET_FIELDS = ("source", "dataset")
_MAX_DATASET_CHARS = 100


class RecordError(ValueError):
    """A record whose schema is unrecognised or whose fields have the wrong shape."""


@dataclass
class Conversation:
    """What ingest needs from one record: its user turns (in order) and metadata."""

    format: str
    user_turns: list[str]
    conversation_id: str | None = None
    language: str | None = None
    flagged: bool = False
    redacted: bool = False
    moderated: bool = False          # the record has a moderation field at all
    dataset: str | None = None       # the record's own `source` (or `dataset`) field


def recognise(record: Any, text_field: str | None = None) -> Conversation:
    """Read one record into a `Conversation`, or raise `RecordError` naming the problem."""
    if not isinstance(record, dict):
        raise RecordError(f"expected an object (a record), got {_kind(record)}")
    if text_field:
        if text_field not in record:
            raise RecordError(f"no field '{text_field}' (fields seen: {_fields(record)})")
        return _conversation(record, "flat", [_text(record[text_field], text_field)])
    if "conversation_a" in record:
        return _conversation(record, "arena-battle", _user_turns(record, "conversation_a"))
    if "conversation" in record:
        kind = ("lmsys-chat" if "conversation_id" in record
                else "wildchat" if "conversation_hash" in record else "chat")
        return _conversation(record, kind, _user_turns(record, "conversation"))
    if "conversations" in record:
        return _conversation(record, "sharegpt", _user_turns(record, "conversations"))
    if "messages" in record:
        return _conversation(record, "openai-chat", _user_turns(record, "messages"))
    if "turns" in record:
        return _from_turns(record)
    if "prompt" in record and "uid" in record:
        return _conversation(record, "arena-hard", [_text(record["prompt"], "prompt")])
    for name in FLAT_FIELDS:
        if name in record:
            text = _text(record[name], name)
            extra = record.get("input") if name == "instruction" else None
            if isinstance(extra, str) and extra.strip():  # Alpaca: instruction + input
                text = f"{text}\n\n{extra}"
            return _conversation(record, "flat", [text])
    raise RecordError(
        f"unrecognised record (fields seen: {_fields(record)}); "
        "pass --text-field NAME to read one of them as the prompt"
    )


def _conversation(record: dict[str, Any], kind: str, turns: list[str]) -> Conversation:
    conversation_id = next(
        (record[name] for name in _ID_FIELDS if record.get(name) not in (None, "")), None
    )
    language = record.get("language")
    return Conversation(
        format=kind,
        user_turns=turns,
        conversation_id=None if conversation_id is None else str(conversation_id),
        language=language if isinstance(language, str) and language.strip() else None,
        flagged=_flagged(record),
        redacted=_redacted(record),
        moderated=any(name in record for name in _MODERATION_FIELDS),
        dataset=_dataset(record),
    )


def _from_turns(record: dict[str, Any]) -> Conversation:
    """MT-bench (`turns` of strings) or the older Arena-Hard form (`turns` of {content})."""
    turns = record["turns"]
    if not isinstance(turns, list):
        raise RecordError(f"'turns' must be a list, got {_kind(turns)}")
    if all(isinstance(turn, str) for turn in turns):
        return _conversation(record, "mt-bench", list(turns))
    texts = []
    for index, turn in enumerate(turns):
        if not isinstance(turn, dict) or "content" not in turn:
            raise RecordError(f"'turns'[{index}] must be a string or an object with 'content'")
        texts.append(_text(turn["content"], f"turns[{index}].content"))
    return _conversation(record, "arena-hard", texts)


def _user_turns(record: dict[str, Any], field: str) -> list[str]:
    """The user messages of a chat-shaped list (role/content or from/value)."""
    messages = record[field]
    if not isinstance(messages, list):
        raise RecordError(f"'{field}' must be a list of messages, got {_kind(messages)}")
    turns = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise RecordError(f"'{field}'[{index}] must be an object, got {_kind(message)}")
        role = message.get("role", message.get("from"))
        if not isinstance(role, str):
            raise RecordError(f"'{field}'[{index}] has no 'role' (or 'from')")
        if role.lower() not in USER_ROLES:
            continue
        content = message.get("content", message.get("value", message.get("text")))
        turns.append(_text(content, f"{field}[{index}].content"))
    return turns


def _text(value: Any, where: str) -> str:
    """A message's text: a string, or OpenAI content parts whose text parts are joined."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(part, dict) for part in value):
        return "\n".join(
            part["text"] for part in value
            if part.get("type", "text") == "text" and isinstance(part.get("text"), str)
        )
    raise RecordError(f"'{where}' must be text, got {_kind(value)}")


def _truthy(value: Any) -> bool:
    """True for true booleans and their CSV spellings."""
    if value is True or value is False or value is None:  # the common case, checked first
        return value is True
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return isinstance(value, (int, float)) and value == 1


def _flagged(record: dict[str, Any]) -> bool:
    """Whether a moderation field flags the record (any message's moderation entry counts)."""
    moderation = record.get("openai_moderation")
    entries = moderation if isinstance(moderation, list) else [moderation]
    if any(isinstance(entry, dict) and _truthy(entry.get("flagged")) for entry in entries):
        return True
    return _truthy(record.get("flagged")) or _truthy(record.get("toxic"))


def _dataset(record: dict[str, Any]) -> str | None:
    """The dataset a record says it comes from (its `source` or `dataset` text field)."""
    for name in _DATASET_FIELDS:
        value = record.get(name)
        if isinstance(value, str) and value.strip():
            return printable(" ".join(value.split()))[:_MAX_DATASET_CHARS]
    return None


def _redacted(record: dict[str, Any]) -> bool:
    """Whether the record, or any of its messages, is marked redacted."""
    if _truthy(record.get("redacted")):
        return True
    messages = record.get("conversation")
    return isinstance(messages, list) and any(
        isinstance(message, dict) and _truthy(message.get("redacted")) for message in messages
    )


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _fields(record: dict[str, Any]) -> str:
    names = [printable(" ".join(str(name).split()))[:40]
             for name in list(record)[:_MAX_FIELDS_SHOWN]]
    more = len(record) - len(names)
    return ", ".join(names) + (f" and {more} more" if more > 0 else "") if names else "none"
