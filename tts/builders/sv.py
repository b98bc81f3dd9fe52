"""A deterministic random-weight speaker-verification checkpoint in upstream's format.

Upstream stores ``pretrained_eres2netv2w24s4ep4.ckpt`` as a plain ERes2NetV2 state dict (float32)
and loads it with ``load_state_dict``. The architecture is fixed (its embedding size is what v2Pro
SoVITS files expect), so there is one size. Batch-norm statistics and affine parameters are drawn
too, so a test exercises every one of them.
"""

from __future__ import annotations

from pathlib import Path

import torch

from tts.models.sv import ERes2NetV2


def random_sv_weights(seed: int = 0) -> dict[str, torch.Tensor]:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = ERes2NetV2()
    gen = torch.Generator().manual_seed(seed + 1)
    state = {}
    for key, value in net.state_dict().items():
        if key.endswith("running_var"):
            value = 0.5 + torch.rand(value.shape, generator=gen)
        elif key.endswith("running_mean") or key.endswith("bn1.bias") or ".bias" in key and "bn" in key:
            value = 0.1 * torch.randn(value.shape, generator=gen)
        elif key.endswith(".weight") and value.dim() == 1:  # batch-norm scales
            value = 1.0 + 0.1 * torch.randn(value.shape, generator=gen)
        state[key] = value.detach().clone()
    return state


def build_sv_checkpoint(path: str | Path, seed: int = 0) -> Path:
    """Write a random ERes2NetV2 (baseWidth 24, scale 4, expansion 4) state dict as upstream stores it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(random_sv_weights(seed), path)
    return path
