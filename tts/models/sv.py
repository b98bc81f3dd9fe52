"""Speaker verification for v2Pro/v2ProPlus voices: Kaldi fbank features and ERes2NetV2.

A v2Pro SoVITS model conditions on a 20480-dim speaker embedding of the reference recording, made
by upstream's pretrained ERes2NetV2 (``pretrained_eres2netv2w24s4ep4.ckpt``: baseWidth 24, scale 4,
expansion 4) from 80-bin Kaldi fbank features of the reference at 16 kHz. The module tree mirrors
the checkpoint's keys (a plain state dict, ``seg_1`` included although the embedding upstream uses
stops before it), so the file loads with strict key matching.

    sv = load_sv("pretrained_eres2netv2w24s4ep4.ckpt")
    feats = sv.fbank(wav16k)   # (frames, 80)
    emb = sv.embed(wav16k)     # (20480,)
"""

from __future__ import annotations

import logging
import math
from functools import lru_cache
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from tts.models.checkpoints import CheckpointError, load_state_dict_strict, torch_load_problem

logger = logging.getLogger(__name__)

SV_SAMPLE_RATE = 16000
EMBEDDING_DIM = 20480  # channels x frequency rows of the last fused stage, averaged over time
SV_FILE = "pretrained_eres2netv2w24s4ep4.ckpt"


# ---- Kaldi fbank, as upstream calls it: 80 bins, 16 kHz, dither 0, every other option Kaldi's default ----


def _mel(freq):
    return 1127.0 * (1.0 + freq / 700.0).log() if isinstance(freq, torch.Tensor) else 1127.0 * math.log(1.0 + freq / 700.0)


@lru_cache(maxsize=8)
def mel_banks(num_bins: int, n_fft: int, sample_rate: float, low_freq: float = 20.0) -> torch.Tensor:
    """Kaldi's triangular mel filters over the FFT bins (without the Nyquist bin), (num_bins, n_fft // 2)."""
    high_freq = 0.5 * sample_rate
    low_mel, high_mel = _mel(low_freq), _mel(high_freq)
    delta = (high_mel - low_mel) / (num_bins + 1)
    index = torch.arange(num_bins).unsqueeze(1)  # (bins, 1)
    left, center, right = (low_mel + (index + k) * delta for k in (0, 1.0, 2.0))
    mel = _mel(sample_rate / n_fft * torch.arange(float(n_fft // 2))).unsqueeze(0)  # (1, n_fft / 2)
    rising = (mel - left) / (center - left)
    falling = (right - mel) / (right - center)
    return torch.max(torch.zeros(1), torch.min(rising, falling))  # (bins, n_fft / 2)


def kaldi_fbank(wav: torch.Tensor, num_mel_bins: int = 80, sample_rate: int = SV_SAMPLE_RATE,
                frame_length_ms: float = 25.0, frame_shift_ms: float = 10.0,
                preemphasis: float = 0.97) -> torch.Tensor:
    """Log mel filterbank energies of 1-D audio, (frames, num_mel_bins), as Kaldi computes them:
    frames of 25 ms every 10 ms (only whole frames), DC offset removed per frame, pre-emphasis,
    Povey window, zero padding to a power of two, power spectrum, mel filters, log (floored at
    float32 epsilon)."""
    x = torch.as_tensor(wav).reshape(-1)
    size = int(sample_rate * frame_length_ms * 0.001)
    shift = int(sample_rate * frame_shift_ms * 0.001)
    n_fft = 1 << (size - 1).bit_length()
    if x.numel() < size:
        raise ValueError(f"audio of {x.numel()} samples is shorter than one {frame_length_ms:g} ms frame ({size})")
    frames = x.unfold(0, size, shift)  # (m, size)
    frames = frames - frames.mean(dim=1, keepdim=True)
    previous = torch.cat([frames[:, :1], frames[:, :-1]], dim=1)  # each sample's predecessor (first repeated)
    frames = frames - preemphasis * previous
    window = torch.hann_window(size, periodic=False, dtype=frames.dtype).pow(0.85)  # Povey
    frames = F.pad(frames * window, (0, n_fft - size))  # (m, n_fft)
    power = torch.fft.rfft(frames).abs().pow(2.0)  # (m, n_fft / 2 + 1)
    banks = F.pad(mel_banks(num_mel_bins, n_fft, float(sample_rate)).to(frames.dtype), (0, 1))  # Nyquist: 0
    energies = torch.mm(power, banks.T)  # (m, bins)
    return torch.max(energies, torch.tensor(torch.finfo(torch.float).eps, dtype=energies.dtype)).log()


# ---- ERes2NetV2 -------------------------------------------------------------------------------


def _relu20(x: torch.Tensor) -> torch.Tensor:
    """The blocks' activation: ReLU capped at 20 (a hardtanh from 0 to 20)."""
    return F.hardtanh(x, 0.0, 20.0)


class AFF(nn.Module):
    """Attentional feature fusion of two maps of ``channels`` channels."""

    def __init__(self, channels: int, r: int = 4):
        super().__init__()
        inner = channels // r
        self.local_att = nn.Sequential(
            nn.Conv2d(channels * 2, inner, 1), nn.BatchNorm2d(inner), nn.SiLU(),
            nn.Conv2d(inner, channels, 1), nn.BatchNorm2d(channels),
        )

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        weight = 1.0 + torch.tanh(self.local_att(torch.cat((x, y), dim=1)))  # (B, C, F, T), in (0, 2)
        return x * weight + y * (2.0 - weight)


class Block(nn.Module):
    """A Res2Net block: ``scale`` groups of ``width`` channels, each group's 3x3 convolution fed with
    the previous group's output, summed (or, with ``fuse``, fused by AFF) with its own slice."""

    def __init__(self, in_planes: int, planes: int, stride: int, base_width: int, scale: int, expansion: int,
                 fuse: bool):
        super().__init__()
        width = int(math.floor(planes * (base_width / 64.0)))
        self.width = width
        self.conv1 = nn.Conv2d(in_planes, width * scale, 1, stride=stride, bias=False)
        self.bn1 = nn.BatchNorm2d(width * scale)
        self.convs = nn.ModuleList(nn.Conv2d(width, width, 3, padding=1, bias=False) for _ in range(scale))
        self.bns = nn.ModuleList(nn.BatchNorm2d(width) for _ in range(scale))
        self.fuse_models = nn.ModuleList(AFF(width, r=4) for _ in range(scale - 1)) if fuse else None
        self.conv3 = nn.Conv2d(width * scale, planes * expansion, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * expansion)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes * expansion:
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes * expansion, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(planes * expansion))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        slices = torch.split(_relu20(self.bn1(self.conv1(x))), self.width, dim=1)
        outs = []
        for i, piece in enumerate(slices):
            if i == 0:
                sp = piece
            elif self.fuse_models is not None:
                sp = self.fuse_models[i - 1](sp, piece)
            else:
                sp = sp + piece
            sp = _relu20(self.bns[i](self.convs[i](sp)))
            outs.append(sp)
        out = self.bn3(self.conv3(torch.cat(outs, dim=1)))
        return _relu20(out + self.shortcut(x))


class ERes2NetV2(nn.Module):
    """ERes2NetV2 as upstream's SV file stores it; ``embed`` is the embedding upstream's v2Pro uses
    (the fused last stage averaged over time, before the pooling and ``seg_1`` layer)."""

    def __init__(self, base_width: int = 24, scale: int = 4, expansion: int = 4, num_blocks=(3, 4, 6, 3),
                 m_channels: int = 64, feat_dim: int = 80, embedding_size: int = 192):
        super().__init__()
        self.feat_dim = feat_dim
        self.conv1 = nn.Conv2d(1, m_channels, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(m_channels)
        in_planes = m_channels
        for n, (mult, blocks, stride) in enumerate(zip((1, 2, 4, 8), num_blocks, (1, 2, 2, 2)), start=1):
            planes = m_channels * mult
            layer = []
            for s in [stride] + [1] * (blocks - 1):
                layer.append(Block(in_planes, planes, s, base_width, scale, expansion, fuse=n >= 3))
                in_planes = planes * expansion
            setattr(self, f"layer{n}", nn.Sequential(*layer))
        self.layer3_ds = nn.Conv2d(m_channels * 4 * expansion, m_channels * 8 * expansion, 3, padding=1, stride=2,
                                   bias=False)
        self.fuse34 = AFF(m_channels * 8 * expansion, r=4)
        stats_dim = int(feat_dim / 8) * m_channels * 8 * expansion
        self.seg_1 = nn.Linear(stats_dim * 2, embedding_size)  # in the file; not used by ``embed``

    def embed(self, feats: torch.Tensor) -> torch.Tensor:
        """fbank features (B, frames, feat_dim) -> (B, 20480)."""
        x = feats.transpose(1, 2).unsqueeze(1)  # (B, 1, F, T)
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer2(self.layer1(x))
        x3 = self.layer3(x)
        x = self.fuse34(self.layer4(x3), self.layer3_ds(x3))  # (B, C, F/8, T/8)
        return x.flatten(start_dim=1, end_dim=2).mean(-1)  # (B, C * F/8)


class SVModel:
    """A loaded speaker-verification network (eval mode): 16 kHz audio -> fbank -> embedding."""

    def __init__(self, net: ERes2NetV2, path: Path):
        self.net = net
        self.path = path

    @property
    def device(self) -> torch.device:
        return self.net.conv1.weight.device

    @property
    def dtype(self) -> torch.dtype:
        return self.net.conv1.weight.dtype

    def fbank(self, wav16k: torch.Tensor) -> torch.Tensor:
        """1-D float audio at 16 kHz -> (frames, 80) Kaldi fbank features (float32)."""
        return kaldi_fbank(torch.as_tensor(wav16k, dtype=torch.float32), num_mel_bins=self.net.feat_dim)

    @torch.inference_mode()
    def embed(self, wav16k: torch.Tensor) -> torch.Tensor:
        """1-D float audio at 16 kHz -> (20480,) speaker embedding (the model's dtype and device)."""
        feats = self.fbank(wav16k).to(self.device, self.dtype).unsqueeze(0)  # (1, frames, 80)
        return self.net.embed(feats)[0]


def load_sv(path: str | Path, device: str | torch.device = "cpu", dtype: torch.dtype | None = None) -> SVModel:
    """Load upstream's ERes2NetV2 speaker-verification file (a plain state dict) strictly, without
    running pickled code. ``dtype`` defaults to float16 on CUDA, float32 elsewhere (as upstream)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "speaker-verification model not found (tts.sv_path; `python -m tools.download` "
                                    f"fetches {SV_FILE})")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt or hostile files
        raise CheckpointError(path, f"not a readable speaker-verification checkpoint: {torch_load_problem(exc)}") \
            from exc
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(path, "not a speaker-verification checkpoint: expected a state dict of tensors")
    device = torch.device(device)
    if dtype is None:
        dtype = torch.float16 if device.type == "cuda" else torch.float32
    with torch.device("meta"):
        net = ERes2NetV2()
    net = net.to_empty(device="cpu")
    load_state_dict_strict(net, state, path)
    net = net.to(device=device, dtype=dtype).eval()
    net.requires_grad_(False)
    logger.info("loaded the speaker-verification model from %s", path)
    return SVModel(net, path)
