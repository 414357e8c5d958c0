"""The run folder: artifacts published per stage, `manifest.json`, stage skipping, one writer.

Each stage reads artifacts written by earlier stages and writes its own (`miner.artifacts`
declares them all). Its manifest entry holds a fingerprint of its inputs (upstream artifact
digests, source file digests) and of its effective config section; when that fingerprint is
unchanged and the outputs are intact the stage is skipped. A stage writes its outputs into a
staging folder; they are moved into place together and then recorded in the manifest, and
`Run.require` refuses an artifact that does not match its stage's record, so a stage killed
while publishing never passes off a mixed set. A stage holds the run folder's lock while it
runs (`miner.lock`); temporary files of killed commands are removed when a run is opened.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shlex
import shutil
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from miner import __version__
from miner.artifacts import ARTIFACTS, SHARED, Artifact
from miner.config import Config, fingerprint
from miner.console import info
from miner.errors import InputError, MinerError, MissingArtifactError
from miner.lock import locked
from miner.oserrors import os_error_line
from miner.redact import redact_urls

MANIFEST = "manifest.json"
PUBLISHING = "publishing"   # the manifest's note of a stage moving its outputs into place
CONFIG = "config.yaml"
# Temporary names: `atomic_path`'s `.<name>.tmp-<pid>` and a stage's `.stage-<stage>-<pid>`.
_TEMPORARY = re.compile(r"^\.(?:.+\.tmp|stage-[a-z]+)-(\d+)$")
_SUBFOLDERS = ("benchmark", "report")
_SPLIT_LABEL = re.compile(r"^(?P<folder>.+)\[[^\[\]/]+\]$")   # ingest's "folder[split]"
_NAMED_SOURCES = 4   # a rerun hint names this many sources at most


class StaleArtifactError(MissingArtifactError):
    """An artifact does not match what its stage recorded in the manifest."""

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


def manifest_problem(value: Any) -> str | None:
    """What keeps `value` from being a manifest (None when it is one): the shape every
    reader of `manifest.json` relies on."""
    if not isinstance(value, dict) or not isinstance(value.get("stages"), dict):
        return "expected an object with a 'stages' object"
    for stage, entry in value["stages"].items():
        if not isinstance(entry, dict):
            return f"stage '{stage:.40}' is not an object"
        if not isinstance(entry.get("inputs", {}), dict):
            return f"stage '{stage:.40}': 'inputs' is not an object"
        outputs = entry.get("outputs", {})
        if not isinstance(outputs, dict):
            return f"stage '{stage:.40}': 'outputs' is not an object"
        for name, record in outputs.items():
            if not (isinstance(record, dict) and isinstance(record.get("digest"), str)
                    and isinstance(record.get("stat"), list)):
                return f"stage '{stage:.40}': output '{name:.60}' has no digest and stat"
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_leftovers(folder: Path) -> list[Path]:
    """Remove temporary files and staging folders that killed commands left in `folder`."""
    removed = []
    for parent in (folder, *(folder / name for name in _SUBFOLDERS)):
        if not parent.is_dir():
            continue
        for entry in parent.iterdir():
            match = _TEMPORARY.match(entry.name)
            if match and not _alive(int(match.group(1))):
                _remove(entry)
                removed.append(entry)
    return removed


class Run:
    """A run folder holding one pipeline's artifacts and manifest."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._staging: Path | None = None    # the running stage's staging folder
        if self.path.is_dir():
            remove_leftovers(self.path)
            self._finish_publishing()

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"

    def file(self, item: Artifact | str) -> Path:
        """Path of an artifact inside the run folder (it may not exist yet); while a stage
        runs, the staged copy of what it has written so far."""
        name = str(item)
        if self._staging is not None and (self._staging / name).exists():
            return self._staging / name
        return self.path / name

    def output(self, item: Artifact | str) -> Path:
        """Where the running stage writes an output: its staging folder (published together
        with the stage's manifest entry when the stage ends)."""
        if self._staging is None or str(item) in SHARED:
            return self.path / str(item)
        path = self._staging / str(item)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def has(self, item: Artifact | str) -> bool:
        """Whether an artifact has been written."""
        return self.file(item).exists()

    def require(self, item: Artifact | str) -> Path:
        """Path of an artifact that must exist and match its stage's manifest record; a
        clear error names the command to run."""
        name = str(item)
        declared = ARTIFACTS.get(name)
        path = self.file(name)
        if not path.exists():
            hint = f": run {self.rerun_hint(declared.stage)} first" if declared else ""
            raise MissingArtifactError(f"{path} does not exist{hint}")
        if declared is None or name in SHARED or path.parent != self.path / Path(name).parent:
            return path
        # The whole set its stage published must match the record: a stage killed while
        # publishing leaves some new files beside old ones. An artifact its stage never
        # recorded was placed by hand and is taken as it is.
        recorded = (self.stage_entry(declared.stage) or {}).get("outputs") or {}
        if name not in recorded:
            return path
        for member, record in recorded.items():
            member_path = self.path / member
            if member in SHARED or not member_path.exists():
                continue
            if record["stat"] != _stat_key(member_path) and (
                    file_digest(member_path) != record["digest"]):
                raise StaleArtifactError(
                    f"{member_path} does not match what the {declared.stage} stage recorded "
                    f"in {MANIFEST} (a stage was interrupted while writing, or the file was "
                    f"changed): run {self.rerun_hint(declared.stage, force=True)}"
                )
        return path

    def _finish_publishing(self) -> None:
        """Record the outputs of a stage killed after moving them all into place and before
        recording them (they match the entry it noted first), so no stage sees them as
        damaged; a set only partly moved is left to `require`'s refusal."""
        if not (self.path / MANIFEST).is_file():
            return
        with contextlib.suppress(MinerError, OSError, KeyError, TypeError, ValueError):
            note = self.manifest.get(PUBLISHING)
            if not isinstance(note, dict) or _alive(int(note.get("pid") or 0)):
                return
            stage, entry = str(note["stage"]), note["entry"]
            if manifest_problem({"stages": {stage: entry}}) is not None:
                return
            for name, record in entry["outputs"].items():
                path = self.path / name
                if not path.exists() or (record["stat"] != _stat_key(path)
                                         and file_digest(path) != record["digest"]):
                    return
            with self.writing():
                self._record(stage, entry)
            info(f"{stage}: it was stopped after publishing its outputs; recorded them now")

    def rerun_hint(self, stage: str, *, force: bool = False) -> str:
        """The command that redoes `stage` here, in backticks. Ingest's names the sources its
        last run read (from the manifest; it cannot run without them), or SOURCE... with
        where to find them when there are many."""
        sources: list[str] = []
        if stage == "ingest":
            for label in (self.stage_entry("ingest") or {}).get("inputs") or {}:
                split = _SPLIT_LABEL.match(label)   # a save_to_disk split: its folder
                if split and (Path(split["folder"]) / "dataset_dict.json").is_file():
                    label = split["folder"]
                if label not in sources:
                    sources.append(label)
        named = [shlex.quote(source) for source in sources]
        note = ""
        if stage == "ingest" and not 0 < len(named) <= _NAMED_SOURCES:
            if named:
                note = (f" (SOURCE...: the {len(named):,} sources under stages.ingest.inputs "
                        f"in {self.path / MANIFEST})")
            named = ["SOURCE..."]
        words = ["miner", stage, *named, "--run", str(self.path), *(["--force"] if force else [])]
        return f"`{' '.join(words)}`{note}"

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the run folder's lock: one writing command at a time."""
        with locked(self.path):
            yield

    # -- manifest ---------------------------------------------------------------------
    @property
    def manifest(self) -> dict[str, Any]:
        """The parsed manifest (empty skeleton when the run is new); one that is not JSON or
        not shaped like a manifest is an `InputError` naming it."""
        path = self.file(MANIFEST)
        if not path.exists():
            return {"miner": __version__, "stages": {}}
        try:
            value = json.loads(path.read_text("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            problem: str | None = f"not JSON: {str(exc)[:100]}"
        else:
            problem = manifest_problem(value)
        if problem is not None:
            raise InputError(f"{path}: not a run manifest ({problem}); delete it and the "
                             "stages run again")
        return value

    def stage_entry(self, stage: str) -> dict[str, Any] | None:
        """The manifest entry of `stage`, or None when it never ran."""
        return self.manifest["stages"].get(stage)

    def digest(self, item: Artifact | str) -> str:
        """Digest of an artifact, from the manifest when its file is unchanged."""
        name = str(item)
        path = self.require(name)
        for entry in self.manifest["stages"].values():
            recorded = entry.get("outputs", {}).get(name)
            if recorded and recorded["stat"] == _stat_key(path):
                return recorded["digest"]
        return file_digest(path)

    def changed_inputs(self, stage: str) -> list[str]:
        """The artifacts `stage` read that have changed (or gone) since it last ran; none
        when it never ran."""
        entry = self.stage_entry(stage) or {}
        changed = []
        for name, recorded in entry.get("inputs", {}).items():
            if name in ARTIFACTS and (self.digest(name) if self.has(name) else None) != recorded:
                changed.append(name)
        return changed

    def _record(self, stage: str, entry: dict[str, Any]) -> None:
        """Write `stage`'s entry; an output whose declared producer is another stage (index
        rewrites ingest's prompts.parquet to add `near_dup_of`) is re-recorded under that
        stage too, or it would see its output as damaged and redo itself."""
        manifest = self.manifest
        manifest["miner"] = __version__
        for name, recorded in entry["outputs"].items():
            declared = ARTIFACTS.get(name)
            producer = manifest["stages"].get(declared.stage) if declared else None
            if declared and declared.stage != stage and producer:
                producer.get("outputs", {}).get(name, {}).update(recorded)
        manifest["stages"][stage] = entry
        manifest.pop(PUBLISHING, None)
        write_json(self.path / MANIFEST, manifest)

    def save_config(self, config: Config) -> None:
        """Save the effective config of the latest command as `config.yaml` (a URL's
        user-info redacted: the run folder is no place for a password)."""
        import yaml

        with atomic_path(self.path / CONFIG) as tmp:
            tmp.write_text(yaml.safe_dump(redact_urls(config), sort_keys=False,
                                          allow_unicode=True), "utf-8")

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
        outputs: Sequence[Artifact | str],
        body: Callable[[], Mapping[str, Any]],
        force: bool = False,
    ) -> StageOutcome:
        """Run `body` unless the stage is fresh; record its fingerprint, counts and timing.

        The fingerprint covers `inputs`, `config` and miner's version.

        `inputs` maps input names to digests (see `digest`, `file_digest`); `config` is the
        stage's effective config section; `body` writes `outputs` and returns its counts.
        """
        self.path.mkdir(parents=True, exist_ok=True)
        names = [str(item) for item in outputs]
        with self.writing():
            # The version too: an upgraded miner redoes stages whose code may have changed.
            stage_fingerprint = fingerprint(
                {"inputs": inputs, "config": config, "miner": __version__})
            if not force and self.is_fresh(stage, stage_fingerprint):
                info(f"{stage}: up to date, skipped (use --force to redo it)")
                entry = self.stage_entry(stage) or {}
                return StageOutcome(stage, True, entry.get("counts", {}), 0.0)
            started = time.perf_counter()
            staging = self.path / f".stage-{stage}-{os.getpid()}"
            _remove(staging)
            staging.mkdir()
            self._staging = staging
            try:
                counts = dict(body())
                seconds = round(time.perf_counter() - started, 3)
                entry = self._stage_entry(stage_fingerprint, inputs, config, counts, seconds,
                                          {name: self.file(name) for name in names})
                self._publish(staging, names, stage, entry)
            except OSError as exc:   # no space, read-only: one line naming the file
                line = os_error_line(exc, f"writing in {self.path}")
                if line is None:
                    raise
                raise MinerError(f"{stage}: {line}") from None
            finally:
                self._staging = None
                _remove(staging)
            self._record(stage, entry)
            return StageOutcome(stage, False, counts, seconds)

    def _publish(self, staging: Path, outputs: list[str], stage: str,
                 entry: dict[str, Any]) -> None:
        """Move the staged outputs into place; the manifest notes the entry first, so a
        command killed between the moves and the record can be finished (`_finish_publishing`)."""
        manifest = self.manifest
        manifest[PUBLISHING] = {"stage": stage, "pid": os.getpid(), "entry": entry}
        write_json(self.path / MANIFEST, manifest)
        for name in outputs:
            staged = staging / name
            if not staged.exists():
                continue
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_dir() and staged.is_dir():
                _remove(target)
            os.replace(staged, target)

    @staticmethod
    def _stage_entry(stage_fingerprint: str, inputs: Mapping[str, Any], config: Any,
                     counts: dict[str, Any], seconds: float,
                     outputs: Mapping[str, Path]) -> dict[str, Any]:
        """A stage's manifest entry; `outputs` are the files as staged (a move keeps their
        size and modification time, so the record holds once they are published)."""
        return {
            "fingerprint": stage_fingerprint,
            "inputs": dict(inputs),
            "config_fingerprint": fingerprint(config),
            "counts": counts,
            "seconds": seconds,
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "versions": package_versions(),
            "outputs": {
                name: {"digest": file_digest(path), "stat": _stat_key(path)}
                for name, path in outputs.items()
            },
        }
