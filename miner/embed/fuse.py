"""Fused bf16 linear layers for CPU inference (oneDNN's linear with its bias and GELU fused).

`nn.Linear` on CPU first copies the bias into the output and then multiplies; oneDNN's fused
linear does both in one pass, and can apply GELU on the way out. On bf16 this cut CPU time of
all-MiniLM-L6-v2 by 11-15% (docs/performance.md). The op is the one torch's own compiler
emits; where it is missing, or the fused model disagrees with the plain one on a probe text,
the model is left as it was.
"""

from __future__ import annotations

from typing import Any


def _fused_op() -> Any | None:
    import torch

    return getattr(torch.ops.mkldnn, "_linear_pointwise", None) if hasattr(torch.ops, "mkldnn") \
        else None


def _exact_gelu(module: Any) -> bool:
    """Whether `module` is GELU without the tanh approximation (what the fused op computes)."""
    import torch

    if isinstance(module, torch.nn.GELU):
        return module.approximate == "none"
    return type(module).__name__ == "GELUActivation" and not getattr(module, "approximate", False)


def _make_fused_linear():
    import torch

    class FusedLinear(torch.nn.Module):
        """A Linear (optionally followed by exact GELU) as one oneDNN call."""

        def __init__(self, linear: torch.nn.Linear, gelu: bool) -> None:
            super().__init__()
            self.linear = linear
            self.attr = "gelu" if gelu else "none"
            self.algorithm = "none" if gelu else ""

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.ops.mkldnn._linear_pointwise(
                x, self.linear.weight, self.linear.bias, self.attr, [], self.algorithm
            )

    return FusedLinear


def fuse_linear_layers(model: Any) -> list[tuple[Any, str, Any]]:
    """Swap the model's Linear layers (and Linear + exact GELU pairs) for fused ones, in place.

    Returns what was replaced, as (parent, attribute, original) so `unfuse` can undo it.
    """
    import torch

    if _fused_op() is None:
        return []
    fused_linear = _make_fused_linear()
    replaced: list[tuple[Any, str, Any]] = []
    for parent in list(model.modules()):
        dense = getattr(parent, "dense", None)
        act = getattr(parent, "intermediate_act_fn", None)
        if isinstance(dense, torch.nn.Linear) and act is not None and _exact_gelu(act):
            replaced.append((parent, "dense", dense))
            replaced.append((parent, "intermediate_act_fn", act))
            parent.dense = fused_linear(dense, gelu=True)
            parent.intermediate_act_fn = torch.nn.Identity()
        for name, child in list(parent.named_children()):
            if type(child) is torch.nn.Linear:
                replaced.append((parent, name, child))
                setattr(parent, name, fused_linear(child, gelu=False))
    return replaced


def unfuse(replaced: list[tuple[Any, str, Any]]) -> None:
    """Put back what `fuse_linear_layers` replaced."""
    for parent, name, original in reversed(replaced):
        setattr(parent, name, original)
