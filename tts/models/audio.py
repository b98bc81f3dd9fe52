"""Reference audio: loading, resampling, the 3-10 s check and the SoVITS spectrogram.

Matches upstream GPT-SoVITS: the HuBERT prompt input is ``librosa.load(path, sr=16000)``
(soundfile read as float32, channel mean, soxr "HQ" resampling, length fixed to
ceil(n * 16000 / sr)), checked to hold 48000-160000 samples and padded with
``int(0.3 * sovits_sampling_rate)`` zeros. The reference spectrogram resamples to the
SoVITS rate with torchaudio's windowed-sinc method (as upstream's ``_get_ref_spec``),
then applies upstream's ``spectrogram_torch`` with ``center=False``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Protocol

import numpy as np
import soundfile as sf
import soxr
import torch
from torch.nn import functional as F

SSL_SAMPLE_RATE = 16000
MIN_REFERENCE_SAMPLES = 48000  # 3 s at 16 kHz (inclusive, as upstream)
MAX_REFERENCE_SAMPLES = 160000  # 10 s at 16 kHz (inclusive)


class ReferenceAudioError(ValueError):
    """The reference audio cannot be used; the message names the file and the problem."""

    def __init__(self, path: str | Path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class STFTConfig(Protocol):
    """What :func:`spectrogram` needs (``SoVITSConfig`` provides it)."""

    filter_length: int
    hop_length: int
    win_length: int


def read_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """Read an audio file as float32 mono (mean of the channels) and its sample rate."""
    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=True)  # (n, channels)
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise ReferenceAudioError(path, f"cannot read audio ({exc})") from exc
    wav = data.T  # (channels, n)
    wav = np.mean(wav, axis=0) if wav.shape[0] > 1 else wav[0]
    return np.ascontiguousarray(wav, dtype=np.float32), int(sr)


def resample(wav: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Resample 1-D float audio with soxr "HQ" to exactly ceil(n * sr_out / sr_in) samples (librosa's rule)."""
    if sr_in == sr_out:
        return wav
    out = soxr.resample(wav, sr_in, sr_out, quality="HQ")
    n = int(math.ceil(len(wav) * float(sr_out) / sr_in))
    if len(out) > n:
        out = out[:n]
    elif len(out) < n:
        out = np.pad(out, (0, n - len(out)))
    return np.asarray(out, dtype=wav.dtype)


def resample_sinc(wav: np.ndarray | torch.Tensor, sr_in: int, sr_out: int, lowpass_filter_width: int = 6,
                  rolloff: float = 0.99) -> torch.Tensor:
    """Windowed-sinc (Hann) resampling as ``torchaudio.transforms.Resample`` computes it with its defaults.

    Upstream resamples the reference to the SoVITS rate this way before the spectrogram;
    float32 in and out, ceil(n * sr_out / sr_in) samples.
    """
    x = torch.as_tensor(wav, dtype=torch.float32).reshape(-1)  # (n,)
    if sr_in == sr_out:
        return x
    g = math.gcd(int(sr_in), int(sr_out))
    a, b = int(sr_in) // g, int(sr_out) // g  # input / output samples per period
    cutoff = min(a, b) * rolloff  # in units of the reduced rates
    width = math.ceil(lowpass_filter_width * a / cutoff)
    taps = torch.arange(-width, width + a, dtype=torch.float64) / a  # (K,) input offsets, in periods
    phases = torch.arange(0, -b, -1) / b  # (b,) output phases; float32 division, as torchaudio does
    t = (phases[:, None] + taps[None, :]) * cutoff  # (b, K) float64
    t = t.clamp(-lowpass_filter_width, lowpass_filter_width)
    window = torch.cos(t * math.pi / lowpass_filter_width / 2) ** 2
    t = t * math.pi
    sinc = torch.where(t == 0, torch.ones_like(t), t.sin() / t)
    kernel = (sinc * (window * (cutoff / a))).to(torch.float32).unsqueeze(1)  # (b, 1, K)
    padded = F.pad(x.view(1, 1, -1), (width, width + a))  # (1, 1, n + 2 width + a)
    out = F.conv1d(padded, kernel, stride=a)  # (1, b, frames)
    out = out.transpose(1, 2).reshape(-1)  # interleave the phases
    return out[: math.ceil(b * x.numel() / a)]


def load_reference(path: str | Path, sr: int) -> np.ndarray:
    """A file as float32 mono at ``sr`` (upstream's ``librosa.load(path, sr=sr)``)."""
    wav, file_sr = read_audio(path)
    return resample(wav, file_sr, sr)


def load_prompt_wav16k(path: str | Path, sovits_sampling_rate: int = 32000) -> np.ndarray:
    """The HuBERT input for a reference: 16 kHz mono, checked to be 3-10 s long, then
    ``int(0.3 * sovits_sampling_rate)`` zeros appended (9600 for 32 kHz models, as upstream).
    """
    wav = load_reference(path, SSL_SAMPLE_RATE)
    if not MIN_REFERENCE_SAMPLES <= len(wav) <= MAX_REFERENCE_SAMPLES:
        raise ReferenceAudioError(
            path, f"reference audio is {len(wav) / SSL_SAMPLE_RATE:.2f} s long; it must be between 3 and 10 s")
    pad = np.zeros(int(sovits_sampling_rate * 0.3), dtype=np.float32)
    return np.concatenate([wav, pad])


def spectrogram(wav: np.ndarray | torch.Tensor, cfg: STFTConfig) -> torch.Tensor:
    """Linear magnitude spectrogram (filter_length // 2 + 1, frames) of 1-D audio at the model's rate.

    Audio peaking above 1 is divided by min(2, peak) first; then reflect padding of
    (filter_length - hop) / 2 each side, Hann window, no centering, magnitude
    sqrt(re^2 + im^2 + 1e-8), all in float32.
    """
    y = torch.as_tensor(wav, dtype=torch.float32).reshape(1, -1)  # (1, n)
    peak = y.abs().max()
    if peak > 1:
        y = y / torch.clamp(peak, max=2.0)
    n_fft, hop, win = cfg.filter_length, cfg.hop_length, cfg.win_length
    pad = int((n_fft - hop) / 2)
    if y.shape[-1] <= pad:
        raise ValueError(f"audio of {y.shape[-1]} samples is too short for a spectrogram (needs more than {pad})")
    y = F.pad(y.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)  # (1, n + 2 pad)
    spec = torch.stft(y, n_fft, hop_length=hop, win_length=win, window=torch.hann_window(win), center=False,
                      normalized=False, onesided=True, return_complex=True)  # (1, bins, frames)
    spec = torch.sqrt(torch.view_as_real(spec).pow(2).sum(-1) + 1e-8)
    return spec[0]  # (bins, frames)


def reference_wav16k_for_sv(path: str | Path, sampling_rate: int) -> torch.Tensor:
    """The speaker-verification input of a reference (v2Pro), as upstream makes it: the audio at the
    SoVITS rate (as for the spectrogram), divided by min(2, peak) when it peaks above 1, then
    windowed-sinc resampled to 16 kHz. 1-D float32."""
    wav, sr = read_audio(path)
    y = resample_sinc(wav, sr, sampling_rate)
    peak = y.abs().max()
    if peak > 1:
        y = y / torch.clamp(peak, max=2.0)
    return resample_sinc(y, sampling_rate, 16000)


def reference_spectrogram(path: str | Path, cfg: STFTConfig, sampling_rate: int) -> torch.Tensor:
    """The reference spectrogram of a file at the SoVITS model's rate, (bins, frames).

    As upstream: channel mean, then windowed-sinc resampling (:func:`resample_sinc`,
    not soxr) to ``sampling_rate``, then :func:`spectrogram`.
    """
    wav, sr = read_audio(path)
    return spectrogram(resample_sinc(wav, sr, sampling_rate), cfg)
