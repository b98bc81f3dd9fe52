"""Editing a built checkpoint file for tests: load, change, save under another name."""

from __future__ import annotations

from pathlib import Path

import torch


def edit_ckpt(src: Path, dst: Path, fn) -> Path:
    """``src`` loaded, changed in place by ``fn(dict)``, saved as ``dst``; returns ``dst``."""
    d = torch.load(src, weights_only=True)
    fn(d)
    torch.save(d, dst)
    return dst
