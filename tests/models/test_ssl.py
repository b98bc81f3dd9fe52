"""HuBERT SSL features from a local folder, and the reference-prompt path into SoVITS tokens."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
import torch

from tts.builders.hubert import build_hubert_folder
from tts.builders.sovits import build_sovits_checkpoint
from tts.models import load_sovits
from tts.models.audio import load_prompt_wav16k
from tts.models.checkpoints import CheckpointError
from tts.models.ssl import HubertSSL


@pytest.fixture(scope="module")
def hubert_dir(tmp_path_factory):
    return build_hubert_folder(tmp_path_factory.mktemp("hubert") / "chinese-hubert-base", "tiny", seed=0)


@pytest.fixture(scope="module")
def ssl(hubert_dir):
    return HubertSSL.load(hubert_dir)


def test_folder_is_a_hubert_base_layout(hubert_dir):
    config = json.loads((hubert_dir / "config.json").read_text())
    assert config["model_type"] == "hubert" and config["hidden_size"] == 768
    assert config["conv_stride"] == [5, 2, 2, 2, 2, 2, 2]
    assert (hubert_dir / "preprocessor_config.json").is_file()


def test_features_shape_and_determinism(ssl, hubert_dir):
    wav = torch.randn(16000 * 4, generator=torch.Generator().manual_seed(0)) * 0.1
    feats = ssl(wav)
    assert feats.shape == (1, 768, 199) and feats.dtype == torch.float32
    assert torch.equal(HubertSSL.load(hubert_dir)(wav.numpy()), feats)


def test_raw_waveform_is_not_normalised(ssl):
    # upstream feeds the waveform as is: scaling the input must change the features
    wav = torch.randn(16000 * 3, generator=torch.Generator().manual_seed(1)) * 0.1
    assert not torch.allclose(ssl(wav), ssl(wav * 2), atol=1e-3)


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="config.json is missing") as exc:
        HubertSSL.load(tmp_path / "nowhere")
    assert "nowhere" in str(exc.value)


def test_reference_prompt_tokens_end_to_end(ssl, tmp_path):
    sovits = load_sovits(build_sovits_checkpoint(tmp_path / "s.pth", "tiny", seed=0))
    t = np.arange(int(3.5 * 44100)) / 44100
    sf.write(tmp_path / "ref.wav", (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 44100)
    wav16k = load_prompt_wav16k(tmp_path / "ref.wav", sovits.sampling_rate)
    assert len(wav16k) == 56000 + 9600
    feats = ssl(torch.from_numpy(wav16k))
    tokens = sovits.extract_prompt_tokens(feats)
    assert tokens.dim() == 1 and tokens.numel() == feats.shape[-1] // 2
    assert int(tokens.min()) >= 0 and int(tokens.max()) < 1024
