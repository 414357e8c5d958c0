"""The `onnx` backend: the local sentence-transformers model run by ONNX Runtime on a CPU.

The model's transformer is exported with `torch.onnx` on first use (offline, from the model
on disk) into `embed.onnx_dir` (default ~/.cache/miner/onnx), one file per model, opset and
precision; `int8` adds ONNX Runtime's dynamic int8 quantisation of the weights (lossy: see
docs/performance.md, "Embedding speed, round 3"). Tokenising, length-sorted batching and
mean pooling are those of the sentence-transformers backend, so `fp32` computes what its
`fp32` does (cosine >= 0.9999).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np

from miner.console import info
from miner.embed.local import SentenceTransformerEmbedder, _load
from miner.errors import ConfigError, MinerError
from miner.run import atomic_path

DEFAULT_DIR = Path("~/.cache/miner/onnx")
OPSET = 17
PRECISIONS = {"auto": "fp32", "fp32": "fp32", "int8": "int8"}


def onnx_dir(section: dict[str, Any]) -> Path:
    """Where exported models live: `embed.onnx_dir`, else $MINER_ONNX_DIR, else ~/.cache."""
    chosen = section.get("onnx_dir") or os.environ.get("MINER_ONNX_DIR") or DEFAULT_DIR
    return Path(chosen).expanduser()


class OnnxEmbedder(SentenceTransformerEmbedder):
    """A sentence-transformers model (mean pooling) exported to ONNX, on CPU."""

    backend = "onnx"

    def __init__(self, section: dict[str, Any]) -> None:
        requested = str(section["precision"])
        if requested not in PRECISIONS:
            raise ConfigError(f"embed.precision is {requested!r}, but the onnx backend runs "
                              "auto, fp32 or int8")
        if section["device"] == "cuda":
            raise ConfigError("embed.device is cuda, but the onnx backend runs on the CPU")
        super().__init__({**section, "device": "cpu", "precision": "fp32"})
        self.precision = PRECISIONS[requested]
        self.folder = onnx_dir(section)
        self._session: Any = None

    @property
    def model(self) -> Any:
        """The sentence-transformers model in fp32 (its tokenizer; the export's source)."""
        if self._model is None:
            self._model = _load(self.path, "cpu", "fp32")
        return self._model

    @property
    def file(self) -> Path:
        """The exported model: one per model, opset and precision."""
        recipe = f"{self.model_id}|{self.path}|opset-{OPSET}|{self.precision}"
        digest = hashlib.sha256(recipe.encode()).hexdigest()[:12]
        return self.folder / f"onnx-{digest}-{self.precision}.onnx"

    @property
    def session(self) -> Any:
        """The ONNX Runtime session, exporting the model first when its file is missing."""
        if self._session is None:
            import onnxruntime

            if not self.file.exists():
                export(self.model, self.file, quantise=self.precision == "int8")
            options = onnxruntime.SessionOptions()
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
            self._session = onnxruntime.InferenceSession(
                str(self.file), options, providers=["CPUExecutionProvider"])
        return self._session

    def _embed_batch(self, batch: list[list[int]]) -> np.ndarray:
        """Mean of the last hidden states over each text's tokens (as the Pooling module)."""
        features = {name: value.numpy() for name, value in self._padded(batch).items()}
        wanted = {item.name for item in self.session.get_inputs()}
        hidden = self.session.run(None, {k: v for k, v in features.items() if k in wanted})[0]
        mask = features["attention_mask"][..., None].astype(np.float32)
        return (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)

    def cache_key(self) -> dict[str, Any]:
        return {**super().cache_key(), "opset": OPSET}


def _check_mean_pooling(model: Any) -> None:
    """The export covers the transformer; pooling must be the plain mean it reimplements."""
    modules = [type(module).__name__ for module in model]
    pooling = model[1] if len(model) > 1 else None
    mode = getattr(pooling, "pooling_mode", None)               # sentence-transformers >= 5.2
    if mode is None:                                            # older: one flag per mode
        mode = getattr(pooling, "get_pooling_mode_str", lambda: "")()
    mean = mode in ("mean", "mean_tokens", ["mean"])
    if modules[:2] != ["Transformer", "Pooling"] or not mean or \
            any(name not in ("Normalize",) for name in modules[2:]):
        raise MinerError(f"embed.backend onnx runs models made of a transformer and mean "
                         f"pooling (then Normalize); this one is {' -> '.join(modules)}: "
                         "use backend sentence-transformers")


def export(model: Any, destination: Path, *, quantise: bool) -> None:
    """Export `model`'s transformer to ONNX at `destination` (int8 weights if `quantise`)."""
    import torch

    _check_mean_pooling(model)
    info(f"embed: exporting the model to ONNX at {destination} (once)")
    transformer = model[0].auto_model.float().eval()
    names = [name for name in ("input_ids", "attention_mask", "token_type_ids")
             if name == "input_ids" or name == "attention_mask"
             or name in getattr(model.tokenizer, "model_input_names", ())]

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = transformer

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.inner(**dict(zip(names, inputs, strict=True))).last_hidden_state

    sample = tuple(torch.ones(2, 8, dtype=torch.long) for _ in names)
    axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "hidden"]}
    with atomic_path(destination) as tmp:
        plain = tmp.with_name(tmp.name + ".fp32") if quantise else tmp
        with torch.inference_mode(False), torch.no_grad():
            torch.onnx.export(Hidden(), sample, str(plain), input_names=names,
                              output_names=["hidden"], dynamic_axes=axes, opset_version=OPSET,
                              dynamo=False)
        if quantise:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            quantize_dynamic(str(plain), str(tmp), weight_type=QuantType.QInt8)
            plain.unlink()
