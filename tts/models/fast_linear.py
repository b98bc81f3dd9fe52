"""Opt-in faster Linear layers on CPU ("fast mode"), for any module tree (t2s, BERT).

Modes, by what a matrix product reads:
  "int8":   int8 weights with dynamic int8 activations (4x fewer weight bytes, ~2% error per product);
  "fp16":   fp16 weights with float32 activations (2x fewer bytes, ~0.02% error);
  "onednn": the same float32 weights repacked once for oneDNN's kernels (faster reads on CPUs
            where MKL's small-batch products are slow; the summation order differs, ~1e-6).
None of them is bit-identical to ``F.linear``: outputs agree with the exact model within those
tolerances, and sampled tokens most of the time, not always.
"""

from __future__ import annotations

import warnings

import torch
from torch import nn

FAST_MODES = ("int8", "fp16", "onednn")


class OneDNNLinear(nn.Module):
    """A float32 Linear whose weight is repacked once for oneDNN (mode "onednn").

    ``batch_size`` is the number of rows the layer usually sees (1 for token-by-token decoding;
    None when it varies): oneDNN picks its weight layout for it.
    """

    def __init__(self, linear: nn.Linear, batch_size: int | None = None):
        super().__init__()
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.packed = torch.ops.mkldnn._reorder_linear_weight(linear.weight.detach(), batch_size=batch_size)
        self.bias = None if linear.bias is None else linear.bias.detach()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        no_scalars = torch.jit.annotate(list[int | float | complex | None], [])  # TorchScript: Scalar?[]
        return torch.ops.mkldnn._linear_pointwise(x, self.packed, self.bias, "none", no_scalars, "")


def _swap_linears(root: nn.Module, batch_size: int | None) -> None:
    for name, child in list(root.named_children()):
        if type(child) is nn.Linear:
            setattr(root, name, OneDNNLinear(child, batch_size))
        else:
            _swap_linears(child, batch_size)


def convert_linears(root: nn.Module, mode: str, batch_size: int | None = None) -> nn.Module:
    """Every ``nn.Linear`` in ``root`` (or ``root`` itself) in fast ``mode``; float32 weights on
    CPU only. Returns the converted module (``root`` itself, changed in place, except when
    ``root`` is a bare Linear)."""
    if mode not in FAST_MODES:
        raise ValueError(f"fast mode must be one of {FAST_MODES}, got {mode!r}")
    if type(root) is nn.Linear:
        return convert_linears(nn.Sequential(root), mode, batch_size)[0]
    if mode == "onednn":
        _swap_linears(root, batch_size)
        return root
    with warnings.catch_warnings():
        # torch.ao eager quantization is deprecated in favour of torchao but still works in torch 2.x
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        from torch.ao.quantization import (
            default_dynamic_qconfig,
            float16_dynamic_qconfig,
            quantize_dynamic,
        )

        spec = {nn.Linear: default_dynamic_qconfig if mode == "int8" else float16_dynamic_qconfig}
        return quantize_dynamic(root, spec, inplace=True)
