"""The `Embedder` interface every backend implements, and the helpers they share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np


class Embedder(ABC):
    """Turns texts into float32, L2-normalised vectors (one row per text, in order).

    `model_id` names the model, `dim` its vector width, `precision` the arithmetic it runs
    in (fp32, bf16, fp16, or "api"), `device` where it runs. Texts longer than `max_chars`
    are cut before embedding, so an unbounded line never reaches a tokenizer.
    """

    backend: str = ""
    model_id: str = ""
    precision: str = "fp32"
    device: str = "cpu"
    max_chars: int = 20_000

    @property
    @abstractmethod
    def dim(self) -> int:
        """Width of the vectors `encode` returns."""

    @abstractmethod
    def _encode(self, texts: list[str], progress: Any | None) -> np.ndarray:
        """Embed `texts` (already clipped); rows need not be normalised."""

    def encode(self, texts: list[str], *, progress: Any | None = None) -> np.ndarray:
        """Embed `texts`: an (n, dim) float32 array of unit rows; `progress.update(k)` per batch."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        clipped = [clip(text, self.max_chars) for text in texts]
        return normalise(self._encode(clipped, progress))

    def label(self) -> str:
        """Where and how it runs, for messages ("bf16 on cpu")."""
        return f"{self.precision} on {self.device}"

    def cache_key(self) -> dict[str, Any]:
        """What decides the vectors a text gets: cached vectors are reused only when equal."""
        return {
            "backend": self.backend,
            "model": self.model_id,
            "precision": self.precision,
            "max_chars": self.max_chars,
        }


def clip(text: Any, max_chars: int) -> str:
    """`text` as a string of at most `max_chars` characters."""
    text = text if isinstance(text, str) else ("" if text is None else str(text))
    return text[:max_chars]


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm, as float32 (all-zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    np.maximum(norms, np.float32(1e-12), out=norms)
    return vectors / norms
