"""The OpenAI-compatible embeddings backend (`text-embedding-3-small`, vLLM, TEI, llama.cpp...).

The endpoint and key come from the environment variables the config names; the key is
handed to the client and never logged, recorded or cached. Replies are checked strictly:
one vector per input, all the same width, finite and non-zero.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from miner.embed.base import Embedder
from miner.errors import ConfigError, MinerError

# A key for endpoints that ignore it (local servers), used only when a base URL is set.
_NO_KEY = "unused"


class APIEmbedder(Embedder):
    """Embeddings from an OpenAI-compatible `/embeddings` endpoint."""

    backend = "openai"
    precision = "api"
    device = "api"

    def __init__(self, section: dict[str, Any]) -> None:
        import openai

        self.model_id = str(section["model"])
        self.max_chars = int(section["max_chars"])
        self.batch_size = int(section["api_batch_size"])
        self.dimensions = section.get("dimensions")
        self.concurrency = int(section["api_concurrency"])
        base_url = os.environ.get(section["base_url_env"]) or None
        api_key = os.environ.get(section["api_key_env"])
        if not api_key and base_url is None:
            raise ConfigError(
                f"embed.backend openai needs an API key in ${section['api_key_env']} "
                f"(or an endpoint in ${section['base_url_env']} that takes none)"
            )
        self.endpoint = base_url or "https://api.openai.com/v1"
        self.client = openai.OpenAI(
            api_key=api_key or _NO_KEY,
            base_url=base_url,
            max_retries=int(section["api_max_retries"]),
            timeout=float(section["api_timeout_s"]),
        )
        self._dim: int | None = int(self.dimensions) if self.dimensions else None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = self._request(["dimension probe"]).shape[1]
        return self._dim

    def label(self) -> str:
        parts = urlsplit(self.endpoint)
        port = f":{parts.port}" if parts.port else ""
        return f"API at {parts.scheme}://{parts.hostname}{port}"

    def cache_key(self) -> dict[str, Any]:
        return {**super().cache_key(), "dimensions": self.dimensions}

    def _encode(self, texts: list[str], progress: Any | None) -> np.ndarray:
        """Batches of `api_batch_size`, up to `api_concurrency` in flight, results in order."""
        batches = [texts[i:i + self.batch_size] for i in range(0, len(texts), self.batch_size)]
        pool = ThreadPoolExecutor(max_workers=max(1, min(self.concurrency, len(batches))))
        parts = []
        try:
            futures = [pool.submit(self._request, batch) for batch in batches]
            for future, batch in zip(futures, batches, strict=True):
                parts.append(future.result())
                if progress is not None:
                    progress.update(len(batch))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # on failure: send nothing more
        widths = sorted({part.shape[1] for part in parts})
        if len(widths) > 1:
            raise MinerError(f"embeddings API {self.endpoint}: batches of widths {widths}")
        self._dim = widths[0]
        return np.concatenate(parts)

    def _request(self, texts: list[str]) -> np.ndarray:
        """One API call; its vectors in input order, checked."""
        import openai

        # The API rejects empty strings; a space embeds as "nothing".
        inputs = [text if text.strip() else " " for text in texts]
        extra = {"dimensions": int(self.dimensions)} if self.dimensions else {}
        try:
            reply = self.client.embeddings.create(
                model=self.model_id, input=inputs, encoding_format="float", **extra
            )
        except openai.APIStatusError as exc:
            raise MinerError(
                f"embeddings API {self.endpoint}: HTTP {exc.status_code} for model "
                f"{self.model_id!r}: {_short(exc.message)}"
            ) from None
        except openai.APIError as exc:
            raise MinerError(f"embeddings API {self.endpoint}: {_short(str(exc))}") from None
        except ValueError as exc:  # a 200 reply whose body is not JSON
            raise MinerError(
                f"embeddings API {self.endpoint}: reply is not valid JSON ({_short(str(exc))})"
            ) from None
        return self._check(reply, len(texts))

    def _check(self, reply: Any, expected: int) -> np.ndarray:
        where = f"embeddings API {self.endpoint}"
        data = getattr(reply, "data", None)
        if not isinstance(data, list) or len(data) != expected:
            got = len(data) if isinstance(data, list) else "no"
            raise MinerError(f"{where}: sent {expected} texts, got {got} vectors back")
        indices = [getattr(item, "index", None) for item in data]
        if sorted(i for i in indices if isinstance(i, int)) != list(range(expected)):
            raise MinerError(f"{where}: reply indices are not 0..{expected - 1}")
        rows: list[list[float]] = [[]] * expected
        for item in data:
            vector = item.embedding
            if not isinstance(vector, list) or not vector:
                raise MinerError(f"{where}: vector {item.index} is not a list of numbers")
            rows[item.index] = vector
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


def _short(message: str, limit: int = 200) -> str:
    """First line of an error message, bounded."""
    line = (message.strip().splitlines() or [""])[0]
    return line if len(line) <= limit else line[:limit] + "..."
