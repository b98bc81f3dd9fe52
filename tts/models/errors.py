"""Errors raised while reading user-supplied model files."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn


class CheckpointError(ValueError):
    """A model file could not be used; the message names the file and the problem."""

    def __init__(self, path: str | Path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


def load_state_dict_strict(module: nn.Module, state_dict: dict[str, torch.Tensor], path: str | Path) -> None:
    """Copy ``state_dict`` into ``module`` key for key, casting to each parameter's dtype.

    Raises CheckpointError listing missing, unexpected and mis-shaped keys, so a user
    handed the wrong file learns which file and why instead of a bare RuntimeError.
    """
    own = module.state_dict()
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    misshaped = sorted(
        f"{k} (file {tuple(state_dict[k].shape)}, model {tuple(own[k].shape)})"
        for k in set(own) & set(state_dict)
        if tuple(own[k].shape) != tuple(state_dict[k].shape)
    )
    if missing or unexpected or misshaped:
        parts = []
        for label, keys in (("missing", missing), ("unexpected", unexpected), ("mis-shaped", misshaped)):
            if keys:
                shown = ", ".join(keys[:8]) + (f", ... ({len(keys)} in all)" if len(keys) > 8 else "")
                parts.append(f"{label} keys: {shown}")
        raise CheckpointError(path, "weights do not match the model: " + "; ".join(parts))
    cast = {k: v.to(dtype=own[k].dtype) for k, v in state_dict.items()}
    module.load_state_dict(cast, strict=True)
