"""Errors raised while reading user-supplied model files."""

from __future__ import annotations

import re
from pathlib import Path

import torch
from torch import nn


class CheckpointError(ValueError):
    """A model file could not be used; the message names the file and the problem."""

    def __init__(self, path: str | Path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


def torch_load_problem(exc: BaseException) -> str:
    """What a failed ``torch.load(weights_only=True)`` means, in one line, without torch's advice to
    retry unsafely (a model file never needs pickled code)."""
    text = str(exc)
    refused = re.search(r"Unsupported global: GLOBAL (\S+)", text)
    if refused:
        return f"refusing to load global {refused.group(1)!r} (not allowed in a model file)"
    detail = re.search(r"WeightsUnpickler error:\s*(.+?)\s*(?:\n|$)", text)
    if detail:
        return f"corrupt or not a torch file ({detail.group(1).rstrip('.')})"
    if "failed finding central directory" in text or "PytorchStreamReader" in text:
        return "truncated or corrupt torch zip archive"
    first = text.strip().splitlines()[0] if text.strip() else ""
    return f"corrupt or not a torch file ({type(exc).__name__}{': ' + first if first else ''})"


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
