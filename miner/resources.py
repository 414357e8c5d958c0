"""Locate the data folders (`configs/`, `prompts/`) in a wheel or in a source checkout."""

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Return the folder `name` ("configs" or "prompts").

    A built wheel carries them inside the package (`miner/configs`); an editable install
    reads them from the repository's top level.
    """
    for candidate in (_PACKAGE_DIR / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"miner's {name}/ folder is missing from the installation")
