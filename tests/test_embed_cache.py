"""The embed stage's text-hash -> vector cache: chunks, compaction, damage, and its lock."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from miner.artifacts import open_embeddings
from miner.embed import Embedder, run_embed
from miner.embed.cache import COMPACT_ABOVE, VectorCache, text_hashes
from miner.errors import MinerError
from miner.run import Run
from tests.test_embed_fixtures import PROMPTS, config_with, unit_rows, write_prompts

KEY = {"backend": "test", "model": "m", "precision": "fp32", "max_chars": 10}


def vectors_by_hash(cache: VectorCache) -> dict[bytes, np.ndarray]:
    return {digest: np.array(cache.chunks[pos][2][row]) for digest, (pos, row) in
            cache.locate().items()}


def test_chunks_compact_into_one_and_keep_every_vector(tmp_path):
    rng = np.random.default_rng(0)
    texts = [f"text {i}" for i in range(2 * (COMPACT_ABOVE + 3))]
    hashes, vectors = text_hashes(texts), unit_rows(rng, len(texts), 8)
    with VectorCache(tmp_path, KEY) as cache:
        for start in range(0, len(texts), 2):
            cache.add(hashes[start:start + 2], vectors[start:start + 2])
        before = vectors_by_hash(cache)
        cache.compact()
    assert len(before) == len(texts)
    files = sorted(p.name for p in cache.folder.iterdir() if not p.name.startswith("."))
    merged = f"chunk-{COMPACT_ABOVE + 4:06d}"  # 35 chunks, then the merged one
    assert files == [f"{merged}.hashes.npy", f"{merged}.npy"]
    with VectorCache(tmp_path, KEY) as reopened:
        after = vectors_by_hash(reopened)
    assert after.keys() == before.keys()
    for digest, vector in before.items():
        np.testing.assert_array_equal(after[digest], vector)
    np.testing.assert_array_equal(after[hashes[5]], vectors[5])


def test_half_written_chunks_are_ignored_and_cleaned(tmp_path):
    rng = np.random.default_rng(1)
    with VectorCache(tmp_path, KEY) as cache:
        cache.add(text_hashes(["a", "b"]), unit_rows(rng, 2, 4))
        folder = cache.folder
    np.save(folder / "chunk-000002.npy", unit_rows(rng, 3, 4))  # its hashes never landed
    (folder / ".chunk-000003.npy.tmp-123").write_bytes(b"partial")  # a killed write
    with VectorCache(tmp_path, KEY) as reopened:
        assert len(reopened) == 2 and [number for number, _, _ in reopened.chunks] == [1]
    assert not (folder / "chunk-000002.npy").exists()
    assert not (folder / ".chunk-000003.npy.tmp-123").exists()


def test_a_second_embed_of_the_same_run_is_refused(tmp_path):
    from miner.embed import make_embedder

    write_prompts(tmp_path, PROMPTS[:2])
    embedder = make_embedder(config_with()["embed"])  # the model is not loaded: it never runs
    with VectorCache(Run(tmp_path).file("embed_cache"), embedder.cache_key()), \
            pytest.raises(MinerError, match="another `miner embed` is writing this cache"):
        run_embed(Run(tmp_path), config_with(), embedder=embedder)


class HashEmbedder(Embedder):
    """Vectors from each text's hash: cheap, deterministic, and counts what it embeds."""

    backend, model_id = "test", "hash"

    def __init__(self) -> None:
        self.texts: list[str] = []

    @property
    def dim(self) -> int:
        return 8

    def _encode(self, texts: list[str], progress) -> np.ndarray:
        self.texts.extend(texts)
        return np.stack([np.random.default_rng(list(digest)).standard_normal(8)
                         for digest in text_hashes(texts).tolist()]).astype(np.float32)


def _cut_short(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-20])


def _flat(path: Path) -> None:
    np.save(path, np.zeros(6, dtype=np.float32))


def _noise(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 3)


@pytest.mark.parametrize("damage", [_cut_short, _flat, _noise])
@pytest.mark.parametrize("which", ["chunk-000002.npy", "chunk-000002.hashes.npy"])
def test_a_damaged_chunk_is_embedded_again_with_a_one_line_notice(tmp_path, capsys, damage,
                                                                  which):
    write_prompts(tmp_path, PROMPTS)
    run, config = Run(tmp_path), config_with({"chunk_rows": 2})
    first = HashEmbedder()
    run_embed(run, config, embedder=first)
    before = np.array(open_embeddings(run))
    folder = next((tmp_path / "embed_cache").iterdir())
    damage(folder / which)
    capsys.readouterr()
    again = HashEmbedder()
    outcome = run_embed(run, config, embedder=again, force=True)
    notice = [line for line in capsys.readouterr().err.splitlines() if "damaged" in line]
    assert len(notice) == 1, notice
    assert notice[0].startswith(f"{folder / 'chunk-000002.npy'}: damaged cache chunk (")
    assert notice[0].endswith("); its texts are embedded again")
    assert outcome.counts["embedded"] == 2 and outcome.counts["cached"] == len(PROMPTS) - 2
    assert sorted(again.texts) == sorted(first.texts[2:4])
    np.testing.assert_array_equal(open_embeddings(run), before)
