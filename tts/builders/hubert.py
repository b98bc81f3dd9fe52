"""Deterministic random-weight chinese-hubert-base folders (Hugging Face layout)."""

from __future__ import annotations

from pathlib import Path

import torch

# chinese-hubert-base's architecture (TencentGameMate/chinese-hubert-base config.json)
FULL_HUBERT: dict = dict(
    hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072, hidden_act="gelu",
    conv_dim=[512] * 7, conv_stride=[5, 2, 2, 2, 2, 2, 2], conv_kernel=[10, 3, 3, 3, 3, 2, 2], conv_bias=False,
    feat_extract_norm="group", feat_extract_activation="gelu", feat_proj_layer_norm=True,
    num_conv_pos_embeddings=128, num_conv_pos_embedding_groups=16, do_stable_layer_norm=False,
    layer_norm_eps=1e-5, vocab_size=32,
)
# hidden 768 and the 320x frame stride are what SoVITS relies on; the rest shrinks
TINY_OVERRIDES: dict = dict(
    num_hidden_layers=1, intermediate_size=64, conv_dim=[32] * 7, num_conv_pos_embeddings=16,
)


def build_hubert_folder(path: str | Path, size: str = "tiny", seed: int = 0) -> Path:
    """Write a random HubertModel (save_pretrained) plus its feature-extractor config to ``path``."""
    from transformers import HubertConfig, HubertModel, Wav2Vec2FeatureExtractor

    if size not in ("tiny", "full"):
        raise ValueError(f"size must be 'tiny' or 'full', got {size!r}")
    kwargs = dict(FULL_HUBERT)
    if size == "tiny":
        kwargs.update(TINY_OVERRIDES)
    config = HubertConfig(**kwargs)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = HubertModel(config).eval()
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(path))
    Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True,
                             return_attention_mask=False).save_pretrained(str(path))
    return path
