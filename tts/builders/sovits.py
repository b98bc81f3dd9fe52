"""Deterministic random-weight SoVITS checkpoints in upstream's exact ``.pth`` format.

The file is what upstream's training writes: a torch zip archive of
``{"weight": fp16 state dict without enc_q, "config": utils.HParams, "info": str}``,
optionally with the first two bytes replaced by a version tag. The config object is
pickled under upstream's class path ``utils.HParams`` so loaders must deal with it
exactly as they would with a real file.
"""

from __future__ import annotations

import copy
import io
import pickle
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import torch

from tts.models.checkpoints import VERSION_TAGS, HParams
from tts.models.sovits import SoVITSConfig, SynthesizerTrn

# upstream configs/s2.json (the v2 training config every released voice uses)
FULL_HPS: dict[str, Any] = {
    "train": {
        "log_interval": 100, "eval_interval": 500, "seed": 1234, "epochs": 100, "learning_rate": 0.0001,
        "betas": [0.8, 0.99], "eps": 1e-09, "batch_size": 32, "fp16_run": True, "lr_decay": 0.999875,
        "segment_size": 20480, "init_lr_ratio": 1, "warmup_epochs": 0, "c_mel": 45, "c_kl": 1.0,
        "text_low_lr_rate": 0.4, "grad_ckpt": False,
    },
    "data": {
        "max_wav_value": 32768.0, "sampling_rate": 32000, "filter_length": 2048, "hop_length": 640,
        "win_length": 2048, "n_mel_channels": 128, "mel_fmin": 0.0, "mel_fmax": None, "add_blank": True,
        "n_speakers": 300, "cleaned_text": True,
    },
    "model": {
        "inter_channels": 192, "hidden_channels": 192, "filter_channels": 768, "n_heads": 2, "n_layers": 6,
        "kernel_size": 3, "p_dropout": 0.1, "resblock": "1", "resblock_kernel_sizes": [3, 7, 11],
        "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5], [1, 3, 5]], "upsample_rates": [10, 8, 2, 2, 2],
        "upsample_initial_channel": 512, "upsample_kernel_sizes": [16, 16, 8, 2, 2], "n_layers_q": 3,
        "use_spectral_norm": False, "gin_channels": 512, "semantic_frame_rate": "25hz", "freeze_quantizer": True,
    },
    "s2_ckpt_dir": "logs/s2/big2k1",
    "content_module": "cnhubert",
}

# Small but structurally complete: hidden 192, gin 512, SSL 768 and the 640x
# upsampling are fixed by the architecture; the rest shrinks.
TINY_MODEL_OVERRIDES: dict[str, Any] = {
    "inter_channels": 16, "filter_channels": 32, "n_layers": 2, "resblock_kernel_sizes": [3, 5],
    "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5]], "upsample_initial_channel": 32,
}


# upstream configs/s2v2Pro.json and s2v2ProPlus.json differ from s2.json only here
V2PRO_OVERRIDES: dict[str, Any] = {"gin_channels": 1024, "p_dropout": 0.0}
V2PROPLUS_OVERRIDES: dict[str, Any] = {**V2PRO_OVERRIDES, "upsample_initial_channel": 768,
                                       "upsample_kernel_sizes": [20, 16, 8, 2, 2]}
VERSIONS = ("v1", "v2", "v2Pro", "v2ProPlus")


def sovits_hps(size: str = "tiny", version: str = "v2") -> dict[str, Any]:
    """The hps dict a training run of ``size`` ("tiny" or "full") and ``version`` would save."""
    if size not in ("tiny", "full"):
        raise ValueError(f"size must be 'tiny' or 'full', got {size!r}")
    hps = copy.deepcopy(FULL_HPS)
    if version == "v2Pro":
        hps["model"].update(V2PRO_OVERRIDES)
    elif version == "v2ProPlus":
        hps["model"].update(V2PROPLUS_OVERRIDES)
    if size == "tiny":
        hps["model"].update(TINY_MODEL_OVERRIDES)
        if version == "v2ProPlus":  # keep Plus's wider first stage, scaled down like the rest
            hps["model"]["upsample_initial_channel"] = 64
    hps["model"]["version"] = version
    hps["name"] = f"random-{size}"
    hps["save_weight_dir"] = "SoVITS_weights"
    hps["pretrain"] = None
    hps["resume_step"] = None
    return hps


class _UpstreamPickler(pickle._Pickler):
    """Writes our HParams stand-in under upstream's global name ``utils.HParams``."""

    def save_global(self, obj, name=None):
        if obj is HParams:
            self.write(pickle.GLOBAL + b"utils\nHParams\n")
            self.memoize(obj)
            return
        super().save_global(obj, name)


_upstream_pickle = SimpleNamespace(Pickler=_UpstreamPickler, __name__="upstream_pickle")


def save_sovits_file(path: str | Path, weights: dict[str, torch.Tensor], hps: dict[str, Any], info: str,
                     version_tag: str | None = None) -> Path:
    """Write ``{"weight", "config", "info"}`` as upstream does (fp16, no enc_q, HParams config).

    ``version_tag`` ("v1", "v2", "v2Pro", ...) replaces the zip's leading "PK" with
    upstream's two-byte tag; None writes a plain zip file.
    """
    path = Path(path)
    opt = {
        "weight": {k: v.detach().to("cpu", torch.float16) for k, v in weights.items() if "enc_q" not in k},
        "config": HParams(**hps),
        "info": info,
    }
    buf = io.BytesIO()
    torch.save(opt, buf, pickle_module=_upstream_pickle, pickle_protocol=2)
    data = buf.getvalue()
    if version_tag is not None:
        tags = {v: k for k, v in VERSION_TAGS.items()}
        if version_tag not in tags:
            raise ValueError(f"unknown version tag {version_tag!r}; known: {sorted(tags)}")
        data = tags[version_tag] + data[2:]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def random_sovits_weights(cfg: SoVITSConfig, seed: int = 0) -> dict[str, torch.Tensor]:
    """Deterministic random weights for ``cfg`` in the stored (weight-norm) layout."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = SynthesizerTrn(cfg)  # untrained, weight norm not folded: the layout files store
        gen = torch.Generator().manual_seed(seed + 1)
        for layer in net.quantizer.vq.layers:
            cb = layer._codebook
            cb.embed.copy_(torch.randn(cb.embed.shape, generator=gen))
            cb.embed_avg.copy_(cb.embed)
            cb.cluster_size.fill_(1.0)
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def build_sovits_checkpoint(path: str | Path, size: str = "tiny", seed: int = 0, version_tag: str | None = None,
                            version: str = "v2", output_gain: float = 1.0) -> Path:
    """Write a random-weight SoVITS ``.pth`` ("tiny" or "full" = upstream s2.json), deterministic in ``seed``.

    ``version`` "v1" writes the v1 layout (322-symbol embedding, reference encoder on
    all 1025 bins), "v2Pro"/"v2ProPlus" upstream's v2Pro layouts (tagged 05/06, as upstream always
    saves them, unless ``version_tag`` says otherwise); ``version_tag`` optionally tags v1/v2 files
    as upstream's newer saves do.
    ``output_gain`` scales the decoder's last convolution (``dec.conv_post``, before its tanh):
    random weights speak at about -53 dBFS, so demo mode raises them to a speech-like level;
    1 keeps the weights as drawn (tests and goldens).
    """
    if version not in VERSIONS:
        raise ValueError(f"version must be one of {', '.join(VERSIONS)}, got {version!r}")
    if version_tag is None and version in ("v2Pro", "v2ProPlus"):
        version_tag = version
    hps = sovits_hps(size, version)
    cfg = SoVITSConfig.from_checkpoint_config(hps, version)
    weights = random_sovits_weights(cfg, seed)
    if output_gain != 1.0:
        weights["dec.conv_post.weight"] = weights["dec.conv_post.weight"] * output_gain
    info = f"random {size} {version} weights, seed {seed}" + (f", output gain {output_gain:g}" if output_gain != 1 else "")
    return save_sovits_file(path, weights, hps, info, version_tag)
