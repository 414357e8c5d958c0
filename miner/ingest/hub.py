"""Hugging Face hub ids as sources, through `datasets` (optional) when online.

Offline, or without `datasets`, a hub id fails with one line saying what to do instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from miner.errors import InputError
from miner.ingest.readers import RawRow
from miner.ingest.sources import Source

_TRUE = {"1", "true", "yes", "on"}


def hub_offline() -> bool:
    """Whether the hub is switched off (HF_HUB_OFFLINE or HF_DATASETS_OFFLINE set)."""
    return any(
        os.environ.get(name, "").strip().lower() in _TRUE
        for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
    )


def _check_available(hub_id: str) -> None:
    if hub_offline():
        raise InputError(
            f"{hub_id}: not a local file or folder, and the Hugging Face hub is offline "
            "(HF_HUB_OFFLINE is set): download the dataset and pass its files or a "
            "save_to_disk folder"
        )
    try:
        import datasets  # noqa: F401
    except ImportError:
        raise InputError(
            f"{hub_id}: reading a hub dataset needs the `datasets` package: "
            "pip install 'miner[hub]'"
        ) from None


def hub_revision(hub_id: str) -> str:
    """The dataset's current commit on the hub: the input digest that makes reruns skip."""
    _check_available(hub_id)
    from huggingface_hub import HfApi

    try:
        return f"hub:{HfApi().dataset_info(hub_id).sha}"
    except Exception as exc:  # network, auth and not-found errors come in many types
        raise InputError(
            f"{hub_id}: cannot reach it on the Hugging Face hub ({_one_line(exc)})"
        ) from None


def read_hub(source: Source, *, split: str) -> Iterator[RawRow]:
    """Stream the rows of one split of a hub dataset."""
    assert source.hub_id is not None
    _check_available(source.hub_id)
    import datasets

    number = 0
    try:
        for record in datasets.load_dataset(source.hub_id, split=split, streaming=True):
            number += 1
            yield RawRow(number, record)
    except Exception as exc:  # the hub client raises many types; the user needs one line
        raise InputError(
            f"{source.hub_id}: row {number + 1}: cannot load from the Hugging Face hub "
            f"({_one_line(exc)})"
        ) from None


def _one_line(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:limit]
