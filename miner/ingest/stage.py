"""The ingest stage: sources -> prompts.parquet + funnel.json, skipped when inputs are unchanged."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from miner.artifacts import FUNNEL, PROMPTS, SCREENED, read_json
from miner.console import info
from miner.errors import InputError
from miner.ingest.filters import PromptFilter
from miner.ingest.prompts import ReadCounts, iter_prompts
from miner.ingest.sources import Source, resolve_sources
from miner.run import Run, StageOutcome, file_digest

_WRITE_ROWS = 50_000

COLUMNS = (
    ("id", "string"), ("text", "string"), ("hash", "string"), ("source", "string"),
    ("row", "int64"), ("conversation_id", "string"), ("turn", "int64"), ("language", "string"),
    ("n_chars", "int64"), ("format", "string"), ("dup_of", "string"), ("near_dup_of", "string"),
    ("dataset", "string"),
)
SCREENED_COLUMNS = (
    ("id", "string"), ("source", "string"), ("row", "int64"), ("turn", "int64"),
    ("dataset", "string"), ("rule", "string"), ("match", "string"), ("text", "string"),
)


def prompts_schema(columns: tuple[tuple[str, str], ...] = COLUMNS):
    """The Arrow schema of prompts.parquet, or of another column list (docs/artifacts.md)."""
    import pyarrow as pa

    return pa.schema([(name, getattr(pa, kind)()) for name, kind in columns])


def _unique_sources(sources: list[Source]) -> list[Source]:
    """Drop a source named twice (by a glob and by name, or through a symbolic link): each
    real file is read once."""
    seen: set[tuple[str, str | None]] = set()
    unique = []
    for source in sources:
        where = source.hub_id if source.path is None else os.path.realpath(source.path)
        key = (source.format, where)
        if key in seen:
            info(f"{source.label}: the same file as one named before, read once")
            continue
        seen.add(key)
        unique.append(source)
    return unique


def source_digests(sources: list[Source]) -> dict[str, str]:
    """A content digest per source label: the stage's inputs, and the root of stable ids."""
    from miner.ingest.hub import hub_revision

    digests = {}
    for source in sources:
        if source.format == "hub":
            assert source.hub_id is not None
            digests[source.label] = hub_revision(source.hub_id)
            continue
        assert source.path is not None
        try:
            digests[source.label] = file_digest(source.path)
        except OSError as exc:
            raise InputError(f"{source.label}: cannot read ({exc.strerror or exc})") from None
    return digests


def _id_keys(digests: dict[str, str]) -> dict[str, str]:
    """Id roots: the content digest, numbered when two sources hold the same bytes."""
    seen: dict[str, int] = {}
    keys = {}
    for label, digest in digests.items():
        seen[digest] = seen.get(digest, 0) + 1
        keys[label] = digest if seen[digest] == 1 else f"{digest}#{seen[digest]}"
    return keys


def run_ingest(
    run: Run, config: dict, sources: list[str | Path], *, force: bool = False
) -> StageOutcome:
    """Read `sources` into the run's prompts.parquet and funnel.json.

    Skipped when the sources' contents and the `ingest` config are unchanged (unless
    `force`). Raises `InputError` for bad input and when no prompt survives the filters;
    nothing is written then.
    """
    section = config["ingest"]
    resolved = _unique_sources(resolve_sources([str(source) for source in sources]))
    digests = source_digests(resolved)

    def body() -> dict[str, Any]:
        return _ingest(run, section, resolved, digests)

    stage_config = dict(section)
    if section["screen"] or section["strip_residue"]:
        from miner.hygiene import rules_digest

        stage_config["hygiene_rules"] = rules_digest()   # a changed word list reruns ingest
    return run.run_stage(
        "ingest", inputs=digests, config=stage_config, outputs=[PROMPTS, FUNNEL, SCREENED],
        body=body, force=force,
    )


def _ingest(run: Run, section: dict, sources: list[Source], digests: dict[str, str]) -> dict:
    import pyarrow as pa
    import pyarrow.parquet as pq

    counts = ReadCounts()
    prompt_filter = PromptFilter(section, _id_keys(digests))
    schema = prompts_schema()
    prompts_path, funnel_path = run.output(PROMPTS), run.output(FUNNEL)
    with pq.ParquetWriter(prompts_path, schema) as writer:
        buffer: list[dict[str, Any]] = []
        for prompt in iter_prompts(sources, section, counts):
            row = prompt_filter.apply(prompt)
            if row is None:
                continue
            buffer.append(row)
            if len(buffer) >= _WRITE_ROWS:
                writer.write_table(pa.Table.from_pylist(buffer, schema=schema))
                buffer = []
        if buffer:
            writer.write_table(pa.Table.from_pylist(buffer, schema=schema))
    funnel = prompt_filter.funnel(counts)
    if prompt_filter.kept == 0:
        trail = " -> ".join(f"{step['step']} {step['count']:,}" for step in funnel)
        raise InputError(f"no prompts left to write ({trail}); nothing was written")
    funnel_path.write_text(json.dumps(funnel, indent=2, ensure_ascii=False) + "\n", "utf-8")
    pq.write_table(pa.Table.from_pylist(prompt_filter.screened,
                                        schema=prompts_schema(SCREENED_COLUMNS)),
                   run.output(SCREENED))
    return {
        "read": counts.read,
        "parsed": counts.parsed,
        "skipped": counts.skipped,
        "prompts": counts.prompts,
        "kept": prompt_filter.kept,
        "distinct": prompt_filter.kept - prompt_filter.duplicates,
        "duplicates": prompt_filter.duplicates,
        "cut": prompt_filter.cut,
        "screened": len(prompt_filter.screened),
        "residue_stripped": prompt_filter.stripped,
        "formats": counts.formats,
    }


def read_funnel(run: Run) -> list[dict[str, Any]]:
    """The funnel of the run's latest ingest."""
    return read_json(run, FUNNEL)
