"""Layered config: defaults < file < flags; unknown keys and wrong types are one-line errors."""

import pytest
import yaml

from miner.config import default_config_path, fingerprint, load_config
from miner.errors import ConfigError


def test_defaults_load_and_every_section_is_a_mapping():
    config = load_config()
    assert set(config) >= {"ingest", "embed", "index", "cluster", "score", "select", "report"}
    assert all(isinstance(section, dict) for section in config.values())


def test_file_then_flags_override_defaults(tmp_path):
    override = tmp_path / "mine.yaml"
    override.write_text("ingest:\n  min_chars: 5\n  max_chars: 99\n")
    config = load_config(override, {"ingest.max_chars": 50, "ingest.turns": None})
    defaults = yaml.safe_load(default_config_path().read_text())
    assert config["ingest"]["min_chars"] == 5
    assert config["ingest"]["max_chars"] == 50  # the flag wins over the file
    assert config["ingest"]["turns"] == defaults["ingest"]["turns"]  # an unset flag changes nothing


def test_unknown_key_names_its_dotted_path(tmp_path):
    override = tmp_path / "bad.yaml"
    override.write_text("ingest:\n  min_charz: 5\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: unknown config key 'ingest\.min_charz'"):
        load_config(override)


def test_unknown_section_is_an_error(tmp_path):
    override = tmp_path / "bad.yaml"
    override.write_text("embedding:\n  model: x\n")
    with pytest.raises(ConfigError, match="unknown config key 'embedding'"):
        load_config(override)


def test_wrong_type_is_an_error(tmp_path):
    override = tmp_path / "bad.yaml"
    override.write_text("ingest:\n  min_chars: lots\n")
    message = r"bad\.yaml: 'ingest\.min_chars' must be an integer >= 0, got 'lots'$"
    with pytest.raises(ConfigError, match=message):
        load_config(override)


def test_malformed_yaml_names_file_and_line(tmp_path):
    override = tmp_path / "broken.yaml"
    override.write_text("ingest:\n  min_chars: [1,\n")
    with pytest.raises(ConfigError, match=r"broken\.yaml: line \d+"):
        load_config(override)


def test_missing_config_file_is_one_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "absent.yaml")


def test_open_maps_accept_user_named_entries(tmp_path):
    override = tmp_path / "judges.yaml"
    override.write_text("judges:\n  my-local-judge:\n    model: llama\n")
    config = load_config(override)
    assert config["judges"]["my-local-judge"]["model"] == "llama"


def test_fingerprint_is_stable_and_order_free():
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})
