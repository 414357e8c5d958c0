"""The static backend: a token table really distilled from the bundled MiniLM, mean-pooled."""

from __future__ import annotations

import numpy as np
import pytest

from miner.embed import make_embedder
from miner.errors import MinerError
from tests.test_embed_fixtures import PROMPTS, config_with


def test_paraphrases_are_nearest_and_the_table_is_built_once(static_dir):
    section = config_with({"backend": "static", "static_dir": str(static_dir)})["embed"]
    embedder = make_embedder(section)
    vectors = embedder.encode(PROMPTS)
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -1)
    # PROMPTS holds two paraphrase pairs: rows 0/4 (Python lists), 1/5 (chocolate cake)
    assert similarity[0].argmax() == 4 and similarity[1].argmax() == 5
    (table,) = static_dir.glob("static-*.npy")
    stamp = table.stat().st_mtime_ns
    assert make_embedder(section).encode(["again"]).shape == (1, embedder.dim)
    assert table.stat().st_mtime_ns == stamp
    assert embedder.model_id == "static:sentence-transformers/all-MiniLM-L6-v2"


def test_a_model_folder_without_tokenizer_json_is_one_line(tmp_path, static_dir):
    section = config_with({"backend": "static", "static_dir": str(static_dir),
                           "model": str(tmp_path)})["embed"]
    with pytest.raises(MinerError, match="needs a local model folder with tokenizer.json"):
        make_embedder(section).encode(["text"])
