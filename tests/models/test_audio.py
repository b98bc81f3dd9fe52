"""Reference audio: reading, resampling, the 3-10 s rule, padding, and the SoVITS spectrogram."""

from __future__ import annotations

import math

import numpy as np
import pytest
import soundfile as sf
import torch

from tts.models.audio import (
    ReferenceAudioError,
    load_prompt_wav16k,
    load_reference,
    reference_spectrogram,
    resample,
    resample_sinc,
    spectrogram,
)
from tts.models.sovits import SoVITSConfig

CFG = SoVITSConfig()


def _tone(seconds: float, sr: int, freq: float = 440.0, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(seconds * sr))) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_spectrogram_shape_and_silence_floor():
    n = 32000 * 3 + 77
    spec = spectrogram(np.zeros(n, dtype=np.float32), CFG)
    assert spec.shape == (1025, (n + 2 * 704 - 2048) // 640 + 1)
    assert spec.dtype == torch.float32
    assert torch.allclose(spec, torch.full_like(spec, 1e-4))  # sqrt(0 + 1e-8)


def test_spectrogram_peak_is_at_the_tone_frequency():
    spec = spectrogram(_tone(2.0, 32000, freq=1000.0), CFG)
    assert int(spec[:, 10].argmax()) == round(1000.0 * 2048 / 32000)


def test_spectrogram_matches_a_direct_stft():
    y = (torch.rand(40000, generator=torch.Generator().manual_seed(0)) * 2 - 1) * 0.9  # peak < 1: no scaling
    padded = torch.nn.functional.pad(y.view(1, 1, -1), (704, 704), mode="reflect").view(-1)
    frames = padded.unfold(0, 2048, 640) * torch.hann_window(2048)  # (F, 2048)
    direct = torch.fft.rfft(frames.double(), dim=-1).abs().T.float()
    assert torch.allclose(spectrogram(y, CFG), direct, atol=1e-3, rtol=1e-4)


def test_loud_audio_is_scaled_down_as_upstream():
    x = _tone(1.0, 32000, amp=1.0)
    # peak 1.5 -> divided by 1.5; peak 3 -> divided by 2 (upstream divides by min(2, peak))
    assert torch.allclose(spectrogram(x * 1.5, CFG), spectrogram(x * 1.5 / np.abs(x * 1.5).max(), CFG))
    assert torch.allclose(spectrogram(x * 3.0, CFG), 1.5 * spectrogram(x * 1.5, CFG), rtol=1e-4, atol=1e-3)


def test_resample_length_rule_and_identity():
    x = _tone(1.0, 44100)[:44099]
    y = resample(x, 44100, 16000)
    assert len(y) == math.ceil(44099 * 16000 / 44100) and y.dtype == np.float32
    assert resample(x, 16000, 16000) is x


def test_load_reference_mixes_channels_and_resamples(tmp_path):
    left, right = _tone(4.0, 48000, 300.0), _tone(4.0, 48000, 500.0, amp=0.2)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, right], axis=1), 48000, subtype="FLOAT")
    wav = load_reference(path, 16000)
    expected = resample(((left + right) / 2).astype(np.float32), 48000, 16000)
    assert wav.shape == (64000,)
    np.testing.assert_allclose(wav, expected, atol=1e-6)


def test_prompt_wav_is_padded_with_upstreams_silence(tmp_path):
    path = tmp_path / "ref.wav"
    sf.write(path, _tone(3.0, 16000), 16000, subtype="PCM_16")
    wav = load_prompt_wav16k(path)
    assert wav.shape == (48000 + 9600,)
    assert not wav[-9600:].any() and wav[:48000].any()


@pytest.mark.parametrize("seconds,ok", [(2.9, False), (3.0, True), (10.0, True), (10.5, False)])
def test_reference_length_rule(tmp_path, seconds, ok):
    path = tmp_path / f"ref_{seconds}.wav"
    sf.write(path, _tone(seconds, 32000), 32000, subtype="PCM_16")
    if ok:
        assert len(load_prompt_wav16k(path)) == int(seconds * 16000) + 9600
    else:
        with pytest.raises(ReferenceAudioError, match=rf"{seconds:.2f} s long; it must be between 3 and 10 s") as exc:
            load_prompt_wav16k(path)
        assert str(path) in str(exc.value)


def test_unreadable_audio_names_the_file(tmp_path):
    path = tmp_path / "broken.wav"
    path.write_bytes(b"RIFF....not audio")
    with pytest.raises(ReferenceAudioError, match="cannot read audio") as exc:
        load_reference(path, 16000)
    assert str(path) in str(exc.value)


def test_reference_spectrogram_of_a_32k_file_is_the_spectrogram_of_its_samples(tmp_path):
    x = _tone(3.5, 32000, 700.0)
    path = tmp_path / "ref32k.wav"
    sf.write(path, x, 32000, subtype="FLOAT")
    assert torch.equal(reference_spectrogram(path, CFG, 32000), spectrogram(x, CFG))


def test_sinc_resampling_matches_torchaudio_golden():
    # numbers from torchaudio's Resample(44100, 32000) algorithm (defaults) on the same input
    w = torch.rand(1, 10007, generator=torch.Generator().manual_seed(0)) * 2 - 1
    out = resample_sinc(w[0], 44100, 32000)
    assert out.shape == (7262,) and out.dtype == torch.float32
    assert out.abs().sum().item() == pytest.approx(2803.36377, rel=1e-6)
    assert out[100:104].tolist() == pytest.approx([0.114390813, 0.760989666, 0.771071792, 0.839800537], abs=1e-7)


def test_sinc_resampling_keeps_a_low_tone():
    out = resample_sinc(_tone(1.0, 48000, 300.0), 48000, 32000)
    expected = torch.from_numpy(_tone(1.0, 32000, 300.0))
    assert out.shape == (32000,)
    assert torch.allclose(out[200:-200], expected[200:-200], atol=2e-3)


def test_reference_spectrogram_resamples_like_upstream(tmp_path):
    x = _tone(3.5, 44100, 700.0)
    path = tmp_path / "ref44k.wav"
    sf.write(path, x, 44100, subtype="FLOAT")
    assert torch.equal(reference_spectrogram(path, CFG, 32000), spectrogram(resample_sinc(x, 44100, 32000), CFG))
