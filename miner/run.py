"""The run folder: named artifacts, atomic writes, `manifest.json`, and stage skipping.

Each stage reads artifacts written by earlier stages and writes its own. Its manifest entry
holds a fingerprint of its inputs (upstream artifact digests, source file digests) and of its
effective config section; when that fingerprint is unchanged and the outputs are intact the
stage is skipped. Artifacts are written under a temporary name and renamed into place, so a
killed stage never leaves a half-written artifact under a finished name.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from miner import __version__
from miner.config import Config, fingerprint
from miner.console import info
from miner.errors import MissingArtifactError

MANIFEST = "manifest.json"
CONFIG = "config.yaml"

# Which command writes each artifact, for "run X first" messages.
PRODUCER = {
    "prompts.parquet": "ingest",
    "funnel.json": "ingest",
    "embeddings.npy": "embed",
    "embeddings.json": "embed",
    "index.faiss": "index",
    "topics.parquet": "cluster",
    "topic_info.json": "cluster",
    "scores.parquet": "score",
    "score_summary.json": "score",
    "judge.sqlite": "score",
    "benchmark": "select",
}

_TRACKED_PACKAGES = (
    "numpy", "pyarrow", "torch", "sentence-transformers", "faiss-cpu", "bertopic",
    "umap-learn", "hdbscan", "scikit-learn", "openai",
)


def package_versions() -> dict[str, str]:
    """Versions of the libraries whose behaviour shapes the artifacts."""
    versions = {"miner": __version__}
    for name in _TRACKED_PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return versions


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes, or of a folder's relative names and file bytes."""
    digest = hashlib.sha256()
    paths = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for item in paths:
        if path.is_dir():
            digest.update(str(item.relative_to(path)).encode() + b"\0")
        with open(item, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 22), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def _stat_key(path: Path) -> list[int]:
    """Size and modification time: a cheap check that a recorded digest still holds."""
    if path.is_dir():
        files = [p.stat() for p in path.rglob("*") if p.is_file()]
        return [sum(s.st_size for s in files), max((s.st_mtime_ns for s in files), default=0)]
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary sibling of `target`; rename it onto `target` only on success.

    Works for files and folders: whatever the caller creates at the yielded path replaces
    `target` when the block exits cleanly, and is removed when it raises.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    _remove(tmp)
    try:
        yield tmp
        if target.is_dir() and tmp.is_dir():
            _remove(target)
        os.replace(tmp, target)
    finally:
        _remove(tmp)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def write_json(path: Path, value: Any) -> None:
    """Write JSON atomically, UTF-8, indented for people to read."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8")


@dataclass
class StageOutcome:
    """What a stage did: skipped or ran, its counts, and its wall time."""

    name: str
    skipped: bool
    counts: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        """What `--json` prints for a stage command."""
        return {"skipped": self.skipped, "seconds": self.seconds, "counts": self.counts}


class Run:
    """A run folder holding one pipeline's artifacts and manifest."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"

    def file(self, name: str) -> Path:
        """Path of artifact `name` inside the run folder (it may not exist yet)."""
        return self.path / name

    def has(self, name: str) -> bool:
        """Whether artifact `name` has been written."""
        return self.file(name).exists()

    def require(self, name: str) -> Path:
        """Path of an artifact that must exist; a clear error names the command to run."""
        path = self.file(name)
        if not path.exists():
            producer = PRODUCER.get(name)
            hint = f": run `miner {producer} --run {self.path}` first" if producer else ""
            raise MissingArtifactError(f"{path} does not exist{hint}")
        return path

    # -- manifest ---------------------------------------------------------------------
    @property
    def manifest(self) -> dict[str, Any]:
        """The parsed manifest (empty skeleton when the run is new)."""
        path = self.file(MANIFEST)
        if not path.exists():
            return {"miner": __version__, "stages": {}}
        return json.loads(path.read_text("utf-8"))

    def stage_entry(self, stage: str) -> dict[str, Any] | None:
        """The manifest entry of `stage`, or None when it never ran."""
        return self.manifest["stages"].get(stage)

    def digest(self, name: str) -> str:
        """Digest of artifact `name`, from the manifest when its file is unchanged."""
        path = self.require(name)
        for entry in self.manifest["stages"].values():
            recorded = entry.get("outputs", {}).get(name)
            if recorded and recorded["stat"] == _stat_key(path):
                return recorded["digest"]
        return file_digest(path)

    def _record(self, stage: str, entry: dict[str, Any]) -> None:
        manifest = self.manifest
        manifest["miner"] = __version__
        manifest["stages"][stage] = entry
        write_json(self.file(MANIFEST), manifest)

    def amend_output(self, name: str) -> None:
        """Re-record artifact `name` under the stage that wrote it, after a later stage
        rewrote it on purpose (index adds `near_dup_of` to ingest's prompts.parquet);
        otherwise the writer would see its output as damaged and redo itself."""
        manifest = self.manifest
        path = self.file(name)
        for entry in manifest["stages"].values():
            recorded = entry.get("outputs", {}).get(name)
            if recorded is not None:
                recorded.update(digest=file_digest(path), stat=_stat_key(path))
        write_json(self.file(MANIFEST), manifest)

    def save_config(self, config: Config) -> None:
        """Save the effective config of the latest command as `config.yaml`."""
        import yaml

        with atomic_path(self.file(CONFIG)) as tmp:
            tmp.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), "utf-8")

    # -- stages -----------------------------------------------------------------------
    def is_fresh(self, stage: str, stage_fingerprint: str) -> bool:
        """Whether `stage` last ran with this fingerprint and its outputs are intact."""
        entry = self.stage_entry(stage)
        if not entry or entry.get("fingerprint") != stage_fingerprint:
            return False
        for name, recorded in entry.get("outputs", {}).items():
            path = self.file(name)
            if not path.exists():
                return False
            if recorded["stat"] != _stat_key(path) and file_digest(path) != recorded["digest"]:
                return False
        return True

    def run_stage(
        self,
        stage: str,
        *,
        inputs: Mapping[str, Any],
        config: Any,
        outputs: list[str],
        body: Callable[[], Mapping[str, Any]],
        force: bool = False,
    ) -> StageOutcome:
        """Run `body` unless the stage is fresh; record its fingerprint, counts and timing.

        The fingerprint covers `inputs`, `config` and miner's version.

        `inputs` maps input names to digests (see `digest`, `file_digest`); `config` is the
        stage's effective config section; `body` writes `outputs` and returns its counts.
        """
        self.path.mkdir(parents=True, exist_ok=True)
        # The version too: an upgraded miner redoes stages whose code may have changed.
        stage_fingerprint = fingerprint({"inputs": inputs, "config": config, "miner": __version__})
        if not force and self.is_fresh(stage, stage_fingerprint):
            info(f"{stage}: up to date, skipped (use --force to redo it)")
            entry = self.stage_entry(stage) or {}
            return StageOutcome(stage, True, entry.get("counts", {}), 0.0)
        started = time.perf_counter()
        counts = dict(body())
        seconds = round(time.perf_counter() - started, 3)
        self._record(stage, {
            "fingerprint": stage_fingerprint,
            "inputs": dict(inputs),
            "config_fingerprint": fingerprint(config),
            "counts": counts,
            "seconds": seconds,
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "versions": package_versions(),
            "outputs": {
                name: {"digest": file_digest(self.file(name)), "stat": _stat_key(self.file(name))}
                for name in outputs
            },
        })
        return StageOutcome(stage, False, counts, seconds)
