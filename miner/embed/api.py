"""The OpenAI-compatible embeddings backend (`text-embedding-3-small`, vLLM, TEI, llama.cpp...).

Requests go through miner's one OpenAI-compatible transport (`miner.llm.apost_many`): the
same retries with backoff and Retry-After, concurrency and round-robin as the judge. The
endpoint and key come from the environment variables the config names; the key is handed to
the client and never logged, recorded or cached. Replies are checked strictly: one vector per
input, all the same width, finite and non-zero.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from miner.embed.base import Embedder
from miner.errors import ConfigError, MinerError
from miner.llm import LLMSpec, apost_many
from miner.llm.spec import OPENAI_URL

# Replies carry a batch of vectors as JSON text: 2,048 inputs x 3,072 floats is ~120 MB.
EMBEDDINGS_REPLY_BYTES = 256 << 20


class APIEmbedder(Embedder):
    """Embeddings from an OpenAI-compatible `/embeddings` endpoint."""

    backend = "openai"
    precision = "api"
    device = "api"

    def __init__(self, section: dict[str, Any]) -> None:
        self.model_id = str(section["model"])
        self.max_chars = int(section["max_chars"])
        self.batch_size = int(section["api_batch_size"])
        self.dimensions = section.get("dimensions")
        concurrency = int(section["api_concurrency"])
        base_url = os.environ.get(section["base_url_env"]) or None
        if not os.environ.get(section["api_key_env"]) and base_url is None:
            raise ConfigError(
                f"embed.backend openai needs an API key in ${section['api_key_env']} "
                f"(or an endpoint in ${section['base_url_env']} that takes none)"
            )
        self.endpoint = (base_url or OPENAI_URL).rstrip("/")
        self.spec = LLMSpec(
            name=f"embeddings API {self.endpoint}", model=self.model_id,
            base_urls=(self.endpoint,), api_key_env=str(section["api_key_env"]),
            concurrency=concurrency, timeout_s=float(section["api_timeout_s"]),
            max_retries=int(section["api_max_retries"]),
            max_answer_bytes=EMBEDDINGS_REPLY_BYTES,
        )
        self._dim: int | None = int(self.dimensions) if self.dimensions else None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = self._encode(["dimension probe"], None).shape[1]
        return self._dim

    def label(self) -> str:
        parts = urlsplit(self.endpoint)
        port = f":{parts.port}" if parts.port else ""
        return f"API at {parts.scheme}://{parts.hostname}{port}"

    def cache_key(self) -> dict[str, Any]:
        return {**super().cache_key(), "dimensions": self.dimensions}

    def _body(self, texts: list[str]) -> dict[str, Any]:
        # The API rejects empty strings; a space embeds as "nothing".
        body: dict[str, Any] = {"model": self.model_id, "encoding_format": "float",
                                "input": [text if text.strip() else " " for text in texts]}
        if self.dimensions:
            body["dimensions"] = int(self.dimensions)
        return body

    def _encode(self, texts: list[str], progress: Any | None) -> np.ndarray:
        """Batches of `api_batch_size`, up to `api_concurrency` in flight, results in order."""
        batches = [texts[i:i + self.batch_size] for i in range(0, len(texts), self.batch_size)]
        posts = [("/embeddings", self._body(batch), sum(len(t) for t in batch) // 4 + 1)
                 for batch in batches]

        def done(index: int) -> None:
            if progress is not None:
                progress.update(len(batches[index]))

        replies = asyncio.run(apost_many(self.spec, posts, json.loads, on_done=done))
        parts = [self._check(reply, len(batch)) for reply, batch in zip(replies, batches,
                                                                        strict=True)]
        widths = sorted({part.shape[1] for part in parts})
        if len(widths) > 1:
            raise MinerError(f"embeddings API {self.endpoint}: batches of widths {widths}")
        self._dim = widths[0]
        return np.concatenate(parts)

    def _check(self, reply: Any, expected: int) -> np.ndarray:
        where = f"embeddings API {self.endpoint}"
        data = reply.get("data") if isinstance(reply, dict) else None
        if not isinstance(data, list) or len(data) != expected:
            got = len(data) if isinstance(data, list) else "no"
            raise MinerError(f"{where}: sent {expected} texts, got {got} vectors back")
        indices = [item.get("index") if isinstance(item, dict) else None for item in data]
        if sorted(i for i in indices if isinstance(i, int)) != list(range(expected)):
            raise MinerError(f"{where}: reply indices are not 0..{expected - 1}")
        rows: list[list[float]] = [[]] * expected
        for item in data:
            vector = item.get("embedding")
            if not isinstance(vector, list) or not vector:
                raise MinerError(f"{where}: vector {item['index']} is not a list of numbers")
            rows[item["index"]] = vector
        widths = {len(row) for row in rows}
        if len(widths) != 1 or (self._dim is not None and widths != {self._dim}):
            want = f" (expected {self._dim})" if self._dim is not None else ""
            raise MinerError(f"{where}: vectors of widths {sorted(widths)}{want}")
        try:
            vectors = np.asarray(rows, dtype=np.float64)
        except (TypeError, ValueError):
            raise MinerError(f"{where}: a vector holds something other than numbers") from None
        norms = np.linalg.norm(vectors, axis=1)
        bad = np.flatnonzero(~np.isfinite(norms) | (norms == 0))
        if bad.size:
            raise MinerError(f"{where}: vector {int(bad[0])} is zero or not finite")
        return vectors.astype(np.float32)
