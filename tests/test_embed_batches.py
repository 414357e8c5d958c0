"""The CPU batch plan: a token budget per forward pass (`embed.batch_tokens`)."""

from __future__ import annotations

import numpy as np

from miner.embed import make_embedder
from tests.test_embed_fixtures import PROMPTS, config_with

# The fixture prompts, mixes of them, an empty text, very short ones and one far past the
# 256 tokens MiniLM reads.
TEXTS = [*PROMPTS, "", "ok", "  spaced   out\n\ttext  ",
         *[f"{a} {b}" for a in PROMPTS[:4] for b in PROMPTS[4:]],
         " ".join(PROMPTS) * 300,
         "def f(x):\n    return [i ** 2 for i in range(x)]  # squares"]


def test_a_token_budget_batches_short_texts_together_and_keeps_the_vectors():
    plain = make_embedder(config_with()["embed"])
    budget = make_embedder(config_with({"batch_tokens": 64})["embed"])
    lengths = [len(ids) for ids in budget.tokenize(TEXTS)]
    order = np.argsort([-n for n in lengths], kind="stable")
    batches = list(budget._batches(order, lengths))
    assert sorted(np.concatenate(batches).tolist()) == list(range(len(TEXTS)))
    assert len(batches[0]) == 1                      # the 256-token text alone
    assert max(len(rows) for rows in batches) >= 3   # short texts share a batch
    for rows in batches:                             # no batch pads past the budget
        assert len(rows) == 1 or len(rows) * lengths[rows[0]] <= 64
    vectors = budget.encode(TEXTS)
    assert vectors.shape == (len(TEXTS), 384)
    # bf16 sums padded batches of other shapes: rounding differs, at cosine ~0.9999
    assert ((vectors * plain.encode(TEXTS)).sum(axis=1)).min() >= 0.9995
    assert budget.cache_key() == plain.cache_key()   # same vectors: the cache is shared


def test_without_a_budget_batches_hold_batch_size_texts():
    embedder = make_embedder(config_with({"batch_tokens": None, "batch_size": 4})["embed"])
    lengths = [len(ids) for ids in embedder.tokenize(TEXTS)]
    batches = list(embedder._batches(np.arange(len(TEXTS)), lengths))
    assert [len(rows) for rows in batches[:-1]] == [4] * (len(batches) - 1)
