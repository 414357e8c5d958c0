"""Test-wide settings: everything offline, numba's compiled code cached between runs."""

import os
from pathlib import Path

import pytest

_CACHE = Path(__file__).resolve().parent.parent / ".cache"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("NUMBA_CACHE_DIR", str(_CACHE / "numba"))
# Keys must come from the test itself, never from the developer's shell.
for _name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
    os.environ.pop(_name, None)
# The static embedder's token table, distilled once per test session into a temporary folder
# (never the developer's ~/.cache): tests that build it share it.
os.environ.pop("MINER_STATIC_DIR", None)


@pytest.fixture(scope="session")
def static_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the static table distilled from the bundled MiniLM."""
    from miner.embed import make_embedder
    from tests.test_embed_fixtures import config_with

    folder = tmp_path_factory.mktemp("static")
    embedder = make_embedder(config_with({"backend": "static", "static_dir": str(folder)})["embed"])
    assert embedder.dim > 0          # builds the table
    return folder
