"""The config schema: every key of default.yaml declared once, every bad value one line.

The walk sets each key, in a config file, to a value of the wrong type and (where the key
has a constraint) to one just outside it, and to the edge values just inside.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from miner import schema
from miner.cli import main
from miner.config import default_config_path, load_config
from miner.constraints import Boolean, Interval, ListOf, Options, Text, accepted
from miner.errors import ConfigError
from miner.judge.rubric import load_rubric

DEFAULTS = yaml.safe_load(default_config_path().read_text("utf-8"))


def leaves(node: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every leaf path of a mapping (an empty mapping is a leaf: an empty open map)."""
    if isinstance(node, dict) and node:
        return [p for key, value in node.items() for p in leaves(value, (*path, key))]
    return [path]


def nest(path: tuple[str, ...], value: Any) -> dict:
    for part in reversed(path):
        value = {part: value}
    return value


# Every key a user can set: the leaves of default.yaml, plus one entry of each open map
# that default.yaml leaves empty (a judge entry, a quota).
USER_KEYS = [p for p in leaves(DEFAULTS)
             if p not in (("judges",), ("models",), ("select", "quotas"))]
USER_KEYS += [("judges", "my-judge", key) for key in DEFAULTS["score"]["judge_defaults"]]
USER_KEYS += [("models", "my-model", key) for key in DEFAULTS["score"]["judge_defaults"]]
USER_KEYS += [("select", "quotas", "coding")]


def test_every_key_of_default_yaml_is_declared_and_every_declaration_is_a_key():
    from_defaults = {schema.pattern(p) for p in USER_KEYS}
    assert from_defaults == set(schema.KEYS)
    # a judge entry takes exactly the settings of score.judge_defaults
    assert {k for k in schema.KEYS if k.startswith("judges.*.")} == {
        f"judges.*.{k}" for k in DEFAULTS["score"]["judge_defaults"]
    }


def _get(node: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


def wrong_type(alternatives: list) -> Any:
    """A value of a type the key does not take."""
    return "hot" if not accepted(alternatives, "hot")[0] else 12


def outside(constraint: Any) -> list[Any]:
    """Values of the right type just outside `constraint`."""
    if isinstance(constraint, Interval):
        step = 1 if constraint.kind is int else 0.5
        values = []
        if constraint.low is not None:
            open_low = constraint.closed in ("right", "neither")
            values.append(constraint.low if open_low else constraint.low - step)
        if constraint.high is not None:
            open_high = constraint.closed in ("left", "neither")
            values.append(constraint.high if open_high else constraint.high + step)
        if constraint.kind is int:
            values.append(1.5)  # not a whole number
        return values
    if isinstance(constraint, Options):
        return ["not-a-choice"]
    if isinstance(constraint, Text):
        return ["  "]
    if isinstance(constraint, ListOf):
        return [[*outside(constraint.item)[:1]], *([[]] if constraint.nonempty else [])]
    if isinstance(constraint, Boolean):
        return [1, "true"]
    return []


def inside(constraint: Any) -> list[Any]:
    """The edge values `constraint` must still take."""
    if isinstance(constraint, Interval):
        values = []
        if constraint.low is not None and constraint.closed in ("both", "left"):
            values.append(constraint.low)
        if constraint.high is not None and constraint.closed in ("both", "right"):
            values.append(constraint.high)
        return values
    if isinstance(constraint, Options):
        return list(constraint.values)
    return []


def bad_values(path: tuple[str, ...]) -> list[Any]:
    alternatives = schema.KEYS[schema.pattern(path)]
    values = [wrong_type(alternatives)]
    for constraint in alternatives:
        values += [v for v in outside(constraint) if not accepted(alternatives, v)[0]]
    return values


WALK = [(path, value) for path in USER_KEYS for value in bad_values(path)]


def write(tmp_path: Path, layer: dict, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(layer), encoding="utf-8")
    return path


@pytest.mark.parametrize(("path", "value"), WALK, ids=[f"{'.'.join(p)}={v!r}" for p, v in WALK])
def test_every_bad_value_is_one_line_naming_key_value_and_rule(tmp_path, path, value):
    file = write(tmp_path, nest(path, value))
    with pytest.raises(ConfigError) as info:
        load_config(file)
    message = str(info.value)
    dotted = ".".join(path)
    allowed = schema.allowed(schema.pattern(path))
    assert message == f"{file}: '{dotted}' must be {allowed}, got {value!r}"
    assert "\n" not in message and "between" not in message


EDGES = [(p, v) for p in USER_KEYS for c in schema.KEYS[schema.pattern(p)] if c
         for v in inside(c)]


@pytest.mark.parametrize(("path", "value"), EDGES, ids=[f"{'.'.join(p)}={v!r}" for p, v in EDGES])
def test_edge_values_inside_a_constraint_load(tmp_path, path, value):
    layer = nest(path, value)
    if path == ("ingest", "min_chars"):
        layer["ingest"]["max_chars"] = max(value, 1)
    if path == ("ingest", "max_chars"):
        layer["ingest"]["min_chars"] = 0
    config = load_config(write(tmp_path, layer))
    assert _get(config, path) == value


@pytest.mark.parametrize(("text", "message"), [
    ("cluster:\n  hdbscan:\n    min_samples: 0\n",
     "'cluster.hdbscan.min_samples' must be an integer >= 1 or null, got 0"),
    ("index:\n  hnsw_m: 0\n", "'index.hnsw_m' must be an integer >= 2, got 0"),
    ("report:\n  table_rows: -1\n", "'report.table_rows' must be an integer >= 0, got -1"),
    ("score:\n  judge_defaults:\n    temperature: hot\n",
     "'score.judge_defaults.temperature' must be a number in [0, 2], got 'hot'"),
    ("judges:\n  local:\n    temperature: hot\n",
     "'judges.local.temperature' must be a number in [0, 2], got 'hot'"),
    ("embed:\n  max_chars: 0\n", "'embed.max_chars' must be an integer >= 1, got 0"),
    ("select:\n  top: -5\n", "'select.top' must be an integer >= 1, got -5"),
    ("select:\n  quotas: {coding: 0.7, math: 0.6}\n",
     "'select.quotas' shares add up to 1.30; at most 1 is allowed"),
    ("prices:\n  my-model: {input: 1.0}\n", "'prices.my-model' must set both input and output"),
    ("prices:\n  gpt-4.1: {input: -1}\n", "'prices.gpt-4.1.input' must be a number >= 0, got -1"),
    ("judges:\n  j:\n    modle: x\n", "unknown config key 'judges.j.modle' (known here: "
     "api_key_env, base_url, concurrency"),
    ("judges:\n  j:\n    base_url: []\n",
     "'judges.j.base_url' must be a URL, a non-empty list of URLs or null, got []"),
    ("ingest:\n  min_chars: 500\n  max_chars: 100\n",
     "'ingest.min_chars' (500) is above 'ingest.max_chars' (100)"),
    ("score:\n  then: gpt-4o\n", "a cascade needs both 'score.then'"),
    ("select: 3\n", "'select' must be a mapping, got 3"),
])
def test_the_values_a_hostile_run_tried_are_one_line_errors(tmp_path, text, message):
    file = tmp_path / "config.yaml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)) as info:
        load_config(file)
    assert "\n" not in str(info.value)


def test_hostile_names_and_values_stay_on_one_short_line(tmp_path):
    file = tmp_path / "config.yaml"
    file.write_text('judges:\n  "a\\nb\\x1b[31m":\n    rpm: 0\n'
                    f"select:\n  category: {'x' * 5000}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(file)
    message = str(info.value)
    assert "'judges.a\\nb\\x1b[31m.rpm' must be a number > 0 or null, got 0" in message
    assert "\n" not in message and "\x1b" not in message
    file.write_text(f"select:\n  top: {'9' * 5000}.5\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(file)
    assert len(str(info.value)) < 300


def test_flags_are_checked_like_files():
    with pytest.raises(ConfigError, match=r"^command line: 'ingest\.text_field' must be a "
                                          r"non-empty string or null, got ''$"):
        load_config(None, {"ingest.text_field": ""})
    with pytest.raises(ConfigError, match=r"^command line: 'index\.hnsw_m'"):
        load_config(None, {"index.hnsw_m": 1})


def test_integral_floats_are_stored_as_integers(tmp_path):
    config = load_config(write(tmp_path, {"select": {"top": 50.0}}))
    assert config["select"]["top"] == 50 and isinstance(config["select"]["top"], int)


def test_open_map_entries_keep_the_keys_a_file_does_not_set(tmp_path):
    config = load_config(write(tmp_path, {"prices": {"gpt-4o": {"input": 3.0}},
                                          "judges": {"a": {"rpm": 10}, "b": None}}))
    assert config["prices"]["gpt-4o"] == {"input": 3.0, "output": 10.0}
    assert config["judges"] == {"a": {"rpm": 10}, "b": {}}


def test_duplicate_yaml_key_names_key_and_line(tmp_path):
    file = tmp_path / "dup.yaml"
    file.write_text("select:\n  top: 5\n  min_score: 4\n  top: 50\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(f"{file}: line 4 duplicate key 'top'")):
        load_config(file)


def test_yaml_merge_keys_may_override(tmp_path):
    file = tmp_path / "merge.yaml"
    file.write_text("judges:\n  a: &base {rpm: 10, tpm: 100}\n  b:\n    <<: *base\n    rpm: 20\n",
                    encoding="utf-8")
    assert load_config(file)["judges"]["b"] == {"rpm": 20, "tpm": 100}


def test_non_utf8_config_file_is_one_line(tmp_path):
    file = tmp_path / "latin1.yaml"
    file.write_bytes("select:\n  category: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=re.escape(f"{file}: line 2 is not UTF-8 text "
                                                    "(byte 0xe9)")):
        load_config(file)


def test_non_utf8_rubric_file_is_one_line(tmp_path):
    file = tmp_path / "rubric.yaml"
    file.write_bytes(b"id: mine\nversion: 1\ntitle: \xff\xfe\n")
    with pytest.raises(ConfigError, match=re.escape(f"{file}: line 3 is not UTF-8 text")):
        load_rubric(str(file))


# -- through the command line -----------------------------------------------------------

@pytest.mark.parametrize(("args", "layer", "message"), [
    (["index"], {"index": {"hnsw_m": 0}}, "'index.hnsw_m' must be an integer >= 2, got 0"),
    (["report"], {"report": {"table_rows": -1}}, "'report.table_rows'"),
    (["score"], {"judges": {"j": {"temperature": "hot"}}}, "'judges.j.temperature'"),
    (["cluster"], {"cluster": {"hdbscan": {"min_samples": 0}}}, "'cluster.hdbscan.min_samples'"),
    (["embed"], {"embed": {"max_chars": 0}}, "'embed.max_chars'"),
    (["judges", "list"], {"judges": {"j": {"modle": "x"}}}, "unknown config key 'judges.j.modle'"),
    (["score", "--then", "gpt-4o"], {}, "a cascade needs both"),
    (["ingest", "log.jsonl", "--text-field", ""], {}, "command line: 'ingest.text_field'"),
])
def test_cli_bad_config_is_exit_1_and_one_error_line(tmp_path, args, layer, message):
    file = write(tmp_path, layer)
    run = ["--run", str(tmp_path / "run")] if args[:2] != ["judges", "list"] else []
    result = CliRunner().invoke(main, [*args, "--config", str(file), *run])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert message in lines[0]
    assert not (tmp_path / "run").exists()  # nothing was written


def test_cli_choices_ranges_and_defaults_come_from_the_schema():
    runner = CliRunner()
    cluster = runner.invoke(main, ["cluster", "--help"]).output
    outliers = "|".join(schema.choices("cluster.outliers"))
    assert f"[{outliers}]" in cluster
    assert f"[default: {DEFAULTS['cluster']['fit_sample']}; config cluster.fit_sample]" in (
        " ".join(cluster.split()))
    bad = runner.invoke(main, ["cluster", "--min-cluster-size", "1"])
    assert bad.exit_code == 2 and "x>=2" in bad.output
