"""The tiny t2s checkpoint (built once per session), its loaded model, and an EOS-heavy variant."""

from __future__ import annotations

from pathlib import Path

import pytest

from tts.builders import build_t2s_checkpoint
from tts.models import T2SModel, load_t2s

from .ckpt_edit import edit_ckpt


@pytest.fixture(scope="session")
def tiny_path(tmp_path_factory) -> Path:
    return build_t2s_checkpoint(tmp_path_factory.mktemp("t2s") / "gpt-tiny.ckpt", size="tiny", seed=0)


@pytest.fixture(scope="session")
def tiny(tiny_path) -> T2SModel:
    return load_t2s(tiny_path)


@pytest.fixture(scope="session")
def eos_heavy_path(tiny_path, tmp_path_factory) -> Path:
    """The tiny model with EOS made the most likely token everywhere."""

    def edit(d):
        w = d["weight"]
        w["model.h.layers.1.norm2.weight"][0] = 0.0  # hidden feature 0 is the constant 10 ...
        w["model.h.layers.1.norm2.bias"][0] = 10.0
        w["model.ar_predict_layer.weight"][:, 0] = 0.0  # ... which only EOS reads
        w["model.ar_predict_layer.weight"][1024, 0] = 10.0

    return edit_ckpt(tiny_path, tmp_path_factory.mktemp("t2s-eos") / "eos.ckpt", edit)
