"""Deterministic random-weight GPT (t2s) checkpoints in upstream's exact ``.ckpt`` format.

The file is what upstream's ``s1_train.py`` writes after each epoch: a ``torch.save``d dict
``{"weight": fp16 state dict with "model." keys, "config": the training YAML as a dict,
"info": "GPT-e<epoch>"}``. "full" is upstream's ``s1longer-v2.yaml`` (24 layers x 512);
"tiny" keeps the vocabularies (1025 semantic, 732 phones) and shrinks everything else.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from pathlib import Path
from typing import Any

import torch

from tts.models.t2s import T2SConfig
from tts.models.t2s_generate import T2SModel

_FULL_CONFIG: dict[str, Any] = {
    "train": {
        "seed": 1234,
        "epochs": 20,
        "batch_size": 8,
        "save_every_n_epoch": 1,
        "precision": "16-mixed",
        "gradient_clip": 1.0,
    },
    "optimizer": {"lr": 0.01, "lr_init": 0.00001, "lr_end": 0.0001, "warmup_steps": 2000, "decay_steps": 40000},
    "data": {"max_eval_sample": 8, "max_sec": 54, "num_workers": 4, "pad_val": 1024},
    "model": {
        "vocab_size": 1025,
        "phoneme_vocab_size": 732,
        "embedding_dim": 512,
        "hidden_dim": 512,
        "head": 16,
        "linear_units": 2048,
        "n_layer": 24,
        "dropout": 0,
        "EOS": 1024,
        "random_bert": 0,
    },
    "inference": {"top_k": 15},
}

# tiny: 2 layers x 32, max_sec 4 (early stop after 200 tokens); vocabularies stay real-sized
_TINY_MODEL = {"embedding_dim": 32, "hidden_dim": 32, "head": 2, "linear_units": 128, "n_layer": 2}
_TINY_DATA = {"max_sec": 4}

SIZES = ("tiny", "full")


def t2s_checkpoint_config(size: str = "tiny") -> dict[str, Any]:
    """The ``config`` dict stored in a built checkpoint of ``size`` ("tiny" or "full")."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}, got {size!r}")
    config = copy.deepcopy(_FULL_CONFIG)
    if size == "tiny":
        config["model"].update(_TINY_MODEL)
        config["data"].update(_TINY_DATA)
    return config


def random_t2s_weights(config: T2SConfig, seed: int = 0) -> OrderedDict[str, torch.Tensor]:
    """fp32 random weights with upstream's key names and order, a pure function of (config, seed).

    Scales keep activations and logits in a realistic range: linear weights ~ N(0, 1/fan_in),
    embeddings ~ N(0, 0.3^2), biases ~ N(0, 0.02^2), norm scales and alphas ~ 1 + N(0, 0.1^2).
    """
    gen = torch.Generator().manual_seed(seed)
    shapes = T2SModel(config).state_dict()
    weights: OrderedDict[str, torch.Tensor] = OrderedDict()
    for key, ref in shapes.items():
        noise = torch.randn(ref.shape, generator=gen)
        if key.endswith(("norm1.weight", "norm2.weight", ".alpha")):
            value = 1.0 + 0.1 * noise
        elif key.endswith(("bias", "norm1.bias", "norm2.bias")):
            value = 0.02 * noise
        elif "word_embeddings" in key:
            value = 0.3 * noise
        else:  # linear weight (out, in)
            value = noise / ref.shape[1] ** 0.5
        weights[key] = value
    return weights


def build_t2s_checkpoint(path: str | Path, size: str = "tiny", seed: int = 0) -> Path:
    """Write a random-weight GPT ``.ckpt`` of ``size`` to ``path``; same (size, seed) -> same weights."""
    path = Path(path)
    config = t2s_checkpoint_config(size)
    cfg = T2SConfig.from_checkpoint_config(config, path)
    weights = OrderedDict((k, v.half()) for k, v in random_t2s_weights(cfg, seed).items())
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"weight": weights, "config": config, "info": "GPT-e1"}, path)
    return path
