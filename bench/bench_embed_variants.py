"""CPU embedder variants side by side: today's path against batch plans and ONNX Runtime.

Every variant is miner's own embedder (`make_embedder`) with one setting changed, or (ONNX
Runtime, which miner does not ship: not faster than bf16 here, and int8 is lossy) that
embedder's tokenising and batching around an ONNX export of the same model, fp32 or with
ONNX Runtime's dynamic int8 quantisation (`pip install onnxruntime onnx -c constraints.txt`;
skipped when absent). All embed the same real prompts in the same process, in alternating
rounds (so a busy machine slows all alike). Prints, per variant, prompts/s, the ratio to
today's path (`precision: auto`, batches of 64) and the min and mean cosine of its vectors
to today's.

    .venv/bin/python bench/bench_embed_variants.py --n 360 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_embed import DATA, load_prompts


def variants() -> dict[str, dict]:
    """Name -> the embed config changes of each variant (today's first)."""
    return {
        "today (auto, batch 64)": {},
        "batch_tokens 4096": {"batch_tokens": 4096},
        "batch_tokens 8192": {"batch_tokens": 8192},
        "batch_tokens 16384": {"batch_tokens": 16384},
    }


def onnx_embedders(section: dict, folder: Path) -> dict:
    """ONNX Runtime variants (fp32, int8), with a token budget of 8192; {} without it."""
    try:
        import onnxruntime
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError:
        return {}
    import torch

    from miner.embed.local import SentenceTransformerEmbedder, _load

    model = _load(SentenceTransformerEmbedder(section).path, "cpu", "fp32")
    plain, int8 = folder / "minilm.onnx", folder / "minilm.int8.onnx"
    names = ["input_ids", "attention_mask", "token_type_ids"]

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model[0].auto_model.eval()

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.inner(**dict(zip(names, inputs, strict=True))).last_hidden_state

    sample = tuple(torch.ones(2, 8, dtype=torch.long) for _ in names)
    torch.onnx.export(Hidden(), sample, str(plain), input_names=names, output_names=["hidden"],
                      dynamic_axes={n: {0: "b", 1: "t"} for n in [*names, "hidden"]},
                      opset_version=17, dynamo=False)
    quantize_dynamic(str(plain), str(int8), weight_type=QuantType.QInt8)

    class Onnx(SentenceTransformerEmbedder):
        def __init__(self, path: Path) -> None:
            super().__init__({**section, "precision": "fp32", "batch_tokens": 8192})
            self._model = model
            options = onnxruntime.SessionOptions()
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
            self.session = onnxruntime.InferenceSession(str(path), options,
                                                        providers=["CPUExecutionProvider"])

        def _embed_batch(self, batch: list[list[int]]) -> np.ndarray:
            feed = {k: v.numpy() for k, v in self._padded(batch).items()}
            hidden = self.session.run(None, feed)[0]
            mask = feed["attention_mask"][..., None].astype(np.float32)
            return (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)

    return {"onnx fp32, batch_tokens 8192": Onnx(plain), "onnx int8, batch_tokens 8192": Onnx(int8)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=360)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()

    from miner.config import load_config
    from miner.embed import make_embedder

    texts, origin = load_prompts(args.n, args.seed, args.data)
    section = load_config()["embed"]
    embedders = {name: make_embedder({**section, **changes})
                 for name, changes in variants().items()}
    embedders.update(onnx_embedders(section, Path(tempfile.mkdtemp(prefix="miner-onnx-"))))
    for embedder in embedders.values():
        embedder.encode(texts[:8])        # load, export, warm up
    names = list(embedders)
    seconds = dict.fromkeys(names, 0.0)
    vectors: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for turn, part in enumerate(np.array_split(np.arange(len(texts)), args.rounds)):
        chunk = [texts[i] for i in part]
        for name in names if turn % 2 == 0 else names[::-1]:
            started = time.perf_counter()
            vectors[name].append(embedders[name].encode(chunk))
            seconds[name] += time.perf_counter() - started
    today = np.concatenate(vectors[names[0]])
    print(f"prompts: {origin}; load average {os.getloadavg()[0]:.1f}")
    print("| variant | prompts/s | vs today | cosine to today min | mean |")
    print("|---|---:|---:|---:|---:|")
    for name in names:
        cosine = (np.concatenate(vectors[name]) * today).sum(axis=1)
        print(f"| {name} | {len(texts) / seconds[name]:.1f} | "
              f"{seconds[names[0]] / seconds[name]:.2f}x | {cosine.min():.5f} | "
              f"{cosine.mean():.6f} |")


if __name__ == "__main__":
    main()
