"""From sources to prompts: read rows, recognise each record, apply the turn policy.

Malformed or unrecognised rows stop ingest with one line naming the file, the line or row
and the problem, or (`on_error: skip`) are counted and skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from miner.console import info, progress
from miner.errors import InputError
from miner.ingest.readers import read_rows
from miner.ingest.schemas import Conversation, RecordError, recognise
from miner.ingest.sources import Source
from miner.ingest.turns import select_turns

_PROGRESS_EVERY = 2048
SKIP_HINT = "use --on-error skip to skip such rows"


@dataclass
class Prompt:
    """One prompt with its provenance."""

    text: str
    source: Source
    row: int
    turn: int
    conversation: Conversation


@dataclass
class ReadCounts:
    """How many records were read, parsed and skipped, and how many prompts came out."""

    read: int = 0
    parsed: int = 0
    skipped: int = 0
    no_user_turn: int = 0
    prompts: int = 0
    first_skip: str | None = None
    formats: dict[str, int] = field(default_factory=dict)


def iter_prompts(sources: list[Source], section: dict, counts: ReadCounts,
                 skip_hint: str = SKIP_HINT) -> Iterator[Prompt]:
    """Yield every prompt of `sources` in order, updating `counts` as it goes; a bad row's
    error ends with `skip_hint` (how the command at hand skips such rows)."""
    for source in sources:
        with progress(desc=f"reading {source.label}", unit=" rows") as bar:
            for number, raw in enumerate(
                read_rows(source, max_record_bytes=section["max_record_bytes"],
                          hub_split=section["hub_split"]),
                start=1,
            ):
                if number % _PROGRESS_EVERY == 0:
                    bar.update(_PROGRESS_EVERY)
                counts.read += 1
                problem = raw.problem
                conversation = None
                if problem is None:
                    try:
                        conversation = recognise(raw.data, section["text_field"])
                    except RecordError as exc:
                        problem = str(exc)
                if conversation is None:
                    where = f"{source.label}: {source.unit} {raw.row}"
                    _on_bad_row(f"{where}: {problem}", section, counts, skip_hint)
                    continue
                counts.parsed += 1
                counts.formats[conversation.format] = counts.formats.get(conversation.format, 0) + 1
                turns = select_turns(conversation.user_turns, section["turns"])
                if not turns:
                    counts.no_user_turn += 1
                for turn, text in turns:
                    counts.prompts += 1
                    yield Prompt(text, source, raw.row, turn, conversation)
    if counts.skipped:
        info(f"skipped {counts.skipped:,} malformed row(s); the first: {counts.first_skip}")


def _on_bad_row(message: str, section: dict, counts: ReadCounts, skip_hint: str) -> None:
    if section["on_error"] == "fail":
        raise InputError(f"{message} ({skip_hint})")
    counts.skipped += 1
    if counts.first_skip is None:
        counts.first_skip = message


def read_prompt_texts(sources: list[str | Path], config: dict,
                      skip_hint: str = SKIP_HINT) -> list[str]:
    """Every prompt text in `sources` (any format ingest reads), turn policy applied, no filters.

    `sources` are paths, globs, folders or hub ids; `config` is the full effective config;
    `skip_hint` ends a bad row's error (the calling command's way to skip such rows).
    """
    from miner.ingest.sources import resolve_sources
    from miner.ingest.text import clean

    section = config["ingest"]
    resolved = resolve_sources([str(source) for source in sources])
    return [clean(prompt.text)
            for prompt in iter_prompts(resolved, section, ReadCounts(), skip_hint)]
