"""Rubrics as data files: loading and checking them, and rendering a prompt into messages.

A rubric is a YAML file (see `prompts/rubrics/benchbuilder-v1.yaml`) with `id`, `version`,
`title`, `kind` (`criteria`: the judge lists the criteria met and the score is how many;
`rating`: one whole number within `range`), `criteria` (for `criteria` rubrics: a list of
`{name, question}`), `system` and `user` message templates (`{prompt}` is replaced by the
prompt text, `{criteria}` by the numbered criteria), and `answer` (`parser`: json with a
`field`, or regex with a one-group `pattern`; `response_format`; `expected_tokens`;
`flag_field`: the JSON key of a boolean the judge adds, true for a request for harm or a
prompt with no task).
Any mistake in the file is one `ConfigError` naming the file and the key.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from miner.config import read_yaml
from miner.errors import ConfigError
from miner.resources import resource_dir
from miner.run import file_digest

KINDS = ("criteria", "rating")
PARSERS = ("json", "regex")
RESERVED_COLUMNS = frozenset({"id", "hash", "judge", "rubric", "score", "status", "flagged"})
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Rubric:
    """A loaded, checked rubric."""

    id: str
    version: int
    title: str
    kind: str
    criteria: tuple[str, ...]
    questions: tuple[str, ...]
    low: int
    high: int
    system: str
    user: str
    parser: str
    field: str | None
    pattern: re.Pattern[str] | None
    response_format: str | None
    expected_tokens: int
    flag_field: str | None   # JSON key of the judge's "flagged" answer (harm or no task)
    path: Path
    digest: str

    @property
    def label(self) -> str:
        """`<id>-v<version>`: how artifacts and the cache name this rubric."""
        return f"{self.id}-v{self.version}"

    @property
    def max_score(self) -> int:
        """The highest score this rubric gives."""
        return len(self.criteria) if self.kind == "criteria" else self.high

    @functools.cached_property
    def system_message(self) -> str:
        """The system message, criteria filled in (built once: a million requests share it)."""
        pairs = zip(self.criteria, self.questions, strict=True)
        numbered = "\n".join(f"{i}. {name}: {q}" for i, (name, q) in enumerate(pairs, start=1))
        return self.system.replace("{criteria}", numbered)

    def messages(self, prompt: str) -> list[dict[str, str]]:
        """The chat messages asking the judge to grade `prompt`."""
        return [
            {"role": "system", "content": self.system_message},
            {"role": "user", "content": self.user.replace("{prompt}", prompt)},
        ]

    def response_format_body(self) -> dict[str, str] | None:
        """The `response_format` request field, or None."""
        return None if self.response_format is None else {"type": self.response_format}


def rubrics_dir() -> Path:
    """The folder of shipped rubrics."""
    return resource_dir("prompts") / "rubrics"


def available_rubrics() -> list[str]:
    """Names of the shipped rubrics (file names without `.yaml`)."""
    return sorted(p.stem for p in rubrics_dir().glob("*.yaml"))


def rubric_path(name: str) -> Path:
    """The file of rubric `name`: a path to a YAML file, a shipped `<id>-v<version>`, or a
    shipped `<id>` (its highest version)."""
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml") or len(candidate.parts) > 1:
        if not candidate.is_file():
            raise ConfigError(f"{candidate}: rubric file not found")
        return candidate
    shipped = rubrics_dir() / f"{name}.yaml"
    if shipped.is_file():
        return shipped
    versions = {}
    for path in rubrics_dir().glob(f"{name}-v*.yaml"):
        number = path.stem[len(name) + 2:]
        if number.isdigit():
            versions[int(number)] = path
    if not versions:
        known = ", ".join(available_rubrics())
        raise ConfigError(f"score.rubric: no rubric named '{name}' (shipped: {known}; "
                          "or give the path of your own rubric file)")
    return versions[max(versions)]


def _require(data: dict[str, Any], key: str, kind: type, where: Path) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        raise ConfigError(f"{where}: rubric key '{key}' must be a {kind.__name__}, got {value!r}")
    return value


def load_rubric(name: str) -> Rubric:
    """Load and check a rubric by shipped name or file path."""
    path = rubric_path(name)
    data = read_yaml(path)
    allowed = {"id", "version", "title", "kind", "criteria", "range", "system", "user", "answer"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(f"{path}: unknown rubric key '{unknown[0]}' "
                          f"(known: {', '.join(sorted(allowed))})")
    rubric_id = _require(data, "id", str, path)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", rubric_id):
        raise ConfigError(f"{path}: rubric key 'id' must be letters, digits, '-', '_' or '.'")
    version = _require(data, "version", int, path)
    kind = _require(data, "kind", str, path)
    if kind not in KINDS:
        raise ConfigError(f"{path}: rubric key 'kind' must be one of {', '.join(KINDS)}")
    system = _require(data, "system", str, path)
    user = _require(data, "user", str, path)
    if "{prompt}" not in user:
        raise ConfigError(f"{path}: rubric key 'user' must contain {{prompt}}")
    names: list[str] = []
    questions: list[str] = []
    low, high = 0, 0
    if kind == "criteria":
        criteria = _require(data, "criteria", list, path)
        if not criteria:
            raise ConfigError(f"{path}: rubric key 'criteria' must list at least one criterion")
        for number, item in enumerate(criteria, start=1):
            if not isinstance(item, dict) or set(item) != {"name", "question"}:
                raise ConfigError(f"{path}: criteria[{number}] must have exactly 'name' and "
                                  "'question'")
            crit_name = item["name"]
            if (not isinstance(crit_name, str) or not _NAME.match(crit_name)
                    or crit_name in RESERVED_COLUMNS or crit_name in names):
                raise ConfigError(f"{path}: criteria[{number}].name {crit_name!r} must be a new "
                                  "lower_case name, not one of "
                                  f"{', '.join(sorted(RESERVED_COLUMNS))}")
            if not isinstance(item["question"], str) or not item["question"].strip():
                raise ConfigError(f"{path}: criteria[{number}].question must be text")
            names.append(crit_name)
            questions.append(item["question"].strip())
    else:
        bounds = data.get("range")
        if (not isinstance(bounds, list) or len(bounds) != 2
                or not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds)
                or bounds[0] >= bounds[1]):
            raise ConfigError(f"{path}: rubric key 'range' must be [low, high] whole numbers "
                              f"with low < high, got {bounds!r}")
        low, high = bounds
    answer = _require(data, "answer", dict, path)
    parser = answer.get("parser")
    if parser not in PARSERS:
        raise ConfigError(f"{path}: answer.parser must be one of {', '.join(PARSERS)}")
    field = answer.get("field")
    pattern = None
    if parser == "json" and (not isinstance(field, str) or not field):
        raise ConfigError(f"{path}: answer.field must name the JSON key holding the answer")
    if parser == "regex":
        try:
            pattern = re.compile(str(answer.get("pattern")))
        except re.error as exc:
            raise ConfigError(f"{path}: answer.pattern is not a valid regex ({exc})") from None
        if pattern.groups != 1:
            raise ConfigError(f"{path}: answer.pattern must have exactly one capture group")
    response_format = answer.get("response_format", "none")
    if response_format not in ("json_object", "none", None):
        raise ConfigError(f"{path}: answer.response_format must be json_object or none")
    expected = answer.get("expected_tokens", 20)
    if not isinstance(expected, int) or expected < 1:
        raise ConfigError(f"{path}: answer.expected_tokens must be a positive integer")
    extra = sorted(set(answer) - {"parser", "field", "pattern", "response_format",
                                   "expected_tokens", "flag_field"})
    if extra:
        raise ConfigError(f"{path}: unknown key 'answer.{extra[0]}'")
    flag_field = answer.get("flag_field")
    if flag_field is not None and (parser != "json" or not isinstance(flag_field, str)
                                   or not _NAME.match(flag_field) or flag_field == field):
        raise ConfigError(f"{path}: answer.flag_field must be a lower_case JSON key other "
                          "than answer.field, with parser json")
    return Rubric(
        id=rubric_id, version=version, title=str(data.get("title") or rubric_id), kind=kind,
        criteria=tuple(names), questions=tuple(questions), low=low, high=high,
        system=system.strip(), user=user.strip(), parser=parser,
        field=field if parser == "json" else None, pattern=pattern,
        response_format=None if response_format in (None, "none") else response_format,
        expected_tokens=expected, flag_field=flag_field, path=path, digest=file_digest(path),
    )
