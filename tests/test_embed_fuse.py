"""Fused bf16 linear layers compute what the plain layers do, and can be undone."""

from __future__ import annotations

import pytest
import torch

from miner.embed.fuse import fuse_linear_layers, unfuse


class Intermediate(torch.nn.Module):
    """BERT's feed-forward shape: `dense` then `intermediate_act_fn`, then an output Linear."""

    def __init__(self, gelu: torch.nn.Module) -> None:
        super().__init__()
        self.dense = torch.nn.Linear(32, 64)
        self.intermediate_act_fn = gelu
        self.out = torch.nn.Linear(64, 16)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.intermediate_act_fn(self.dense(x)))


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_fused_layers_match_plain_ones_and_unfuse_restores(approximate):
    torch.manual_seed(0)
    model = Intermediate(torch.nn.GELU(approximate=approximate)).to(torch.bfloat16).eval()
    x = torch.randn(4, 7, 32).to(torch.bfloat16)
    with torch.inference_mode():
        plain = model(x).float()
        replaced = fuse_linear_layers(model)
        assert replaced, "torch has no fused oneDNN linear here"
        kinds = {type(m).__name__ for m in model.children()}
        assert "FusedLinear" in kinds
        # Only exact GELU is folded into the fused call; tanh-GELU stays a separate module.
        assert isinstance(model.intermediate_act_fn, torch.nn.Identity) == (approximate == "none")
        fused = model(x).float()
        torch.testing.assert_close(fused, plain, atol=0.05, rtol=0.02)
        unfuse(replaced)
        assert type(model.dense) is torch.nn.Linear and type(model.out) is torch.nn.Linear
        torch.testing.assert_close(model(x).float(), plain)
