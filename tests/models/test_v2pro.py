"""v2Pro / v2ProPlus: resampling, Kaldi fbank, the ERes2NetV2 embedding and the SoVITS decode against
upstream's own code (tests/models/data/v2pro_golden.json), and strict loading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from tts.builders import build_tts_models
from tts.builders.sovits import build_sovits_checkpoint, random_sovits_weights, save_sovits_file, sovits_hps
from tts.models import load_sovits, load_sv
from tts.models.audio import read_audio, reference_wav16k_for_sv
from tts.models.checkpoints import CheckpointError
from tts.models.sovits import SoVITSConfig

from .test_sovits import _golden_inputs

GOLDEN = json.loads((Path(__file__).parent / "data" / "v2pro_golden.json").read_text(encoding="utf-8"))
VERSIONS = ("v2Pro", "v2ProPlus")


def assert_summary(x: torch.Tensor, gold: dict, tol: float) -> None:
    flat = x.detach().double().reshape(-1)
    assert list(flat.shape) == gold["shape"]
    picked = flat[:: gold["step"]][: len(gold["values"])]
    assert (picked - torch.tensor(gold["values"], dtype=torch.float64)).abs().max().item() <= tol
    assert flat.abs().sum().item() == pytest.approx(gold["sumabs"], rel=tol)


@pytest.fixture(scope="module")
def ref(tmp_path_factory):
    return build_tts_models(tmp_path_factory.mktemp("v2pro-models"), "tiny", 0).ref_audio


@pytest.fixture(scope="module")
def sv(sv_checkpoint):
    return load_sv(sv_checkpoint)


@pytest.fixture(scope="module")
def wav16k(ref):
    return reference_wav16k_for_sv(ref, 32000)


@pytest.fixture(scope="module")
def sovits(tmp_path_factory):
    root = tmp_path_factory.mktemp("v2pro-sovits")
    return {v: load_sovits(build_sovits_checkpoint(root / f"{v}.pth", "tiny", seed=0, version=v)) for v in VERSIONS}


def test_resampling_to_16k_equals_torchaudio(ref, wav16k):
    wav, sr = read_audio(ref)
    assert sr == 32000 and wav16k.shape == (len(wav) // 2,)
    assert_summary(wav16k, GOLDEN["resample"], 1e-6)


def test_fbank_equals_upstream(sv, wav16k):
    feats = sv.fbank(wav16k)
    assert feats.shape == (498, 80)  # whole 25 ms frames every 10 ms of 5 s
    assert_summary(feats, GOLDEN["fbank"], 1e-5)


def test_sv_embedding_equals_upstream(sv, wav16k):
    emb = sv.embed(wav16k)
    assert emb.shape == (20480,) and emb.dtype == torch.float32
    assert_summary(emb, GOLDEN["sv_embedding"], 1e-4)


@pytest.mark.parametrize("version", VERSIONS)
def test_decode_equals_upstream(sovits, version):
    model = sovits[version]
    assert model.version == version and model.config.is_v2pro and model.config.symbols == "v2"
    codes, phones, refer, _ = _golden_inputs()
    sv_emb = torch.rand(1, 20480, generator=torch.Generator().manual_seed(7))
    wav = model.decode(codes, phones, refer, noise_scale=0.0, sv_emb=sv_emb)
    assert_summary(wav, GOLDEN["decode"][version], 1e-4)


def test_v2pro_configs_are_upstreams():
    pro, plus = (SoVITSConfig.from_checkpoint_config(sovits_hps("full", v), v) for v in VERSIONS)
    assert (pro.gin_channels, pro.upsample_initial_channel, pro.upsample_kernel_sizes[0]) == (1024, 512, 16)
    assert (plus.gin_channels, plus.upsample_initial_channel, plus.upsample_kernel_sizes[0]) == (1024, 768, 20)


def test_sv_emb_is_required_by_v2pro_and_refused_by_v2(sovits, tmp_path):
    codes, phones, refer, _ = _golden_inputs()
    with pytest.raises(ValueError, match="a v2Pro model needs sv_emb"):
        sovits["v2Pro"].decode(codes, phones, refer)
    v2 = load_sovits(build_sovits_checkpoint(tmp_path / "v2.pth", "tiny", seed=0))
    with pytest.raises(ValueError, match="sv_emb is only for v2Pro/v2ProPlus models; this one is v2"):
        v2.decode(codes, phones, refer, sv_emb=torch.zeros(20480))
    with pytest.raises(ValueError, match="sv_emb must have 20480 values, got 10"):
        sovits["v2Pro"].decode(codes, phones, refer, sv_emb=torch.zeros(10))


def test_version_comes_from_the_tag_or_the_layers(tmp_path):
    hps = sovits_hps("tiny", "v2ProPlus")
    weights = random_sovits_weights(SoVITSConfig.from_checkpoint_config(hps, "v2ProPlus"), 0)
    untagged = save_sovits_file(tmp_path / "pretrained.pth", weights, hps, "pretrained")  # no tag, as upstream's
    assert load_sovits(untagged).version == "v2ProPlus"
    wrong = save_sovits_file(tmp_path / "wrong.pth", weights, hps, "x", version_tag="v2")
    with pytest.raises(CheckpointError, match=r"wrong\.pth: tagged v2 but has the speaker-verification layers"):
        load_sovits(wrong)
    for tag in ("v3", "v4-LoRA"):
        path = save_sovits_file(tmp_path / f"{tag}.pth", weights, hps, "x", version_tag=tag)
        with pytest.raises(CheckpointError, match=f"not supported yet: {tag}"):
            load_sovits(path)


def test_sv_file_errors_name_the_file_and_problem(tmp_path, sv_checkpoint):
    with pytest.raises(CheckpointError, match=r"missing\.ckpt: speaker-verification model not found \(tts\.sv_path"):
        load_sv(tmp_path / "missing.ckpt")
    bad = tmp_path / "garbage.ckpt"
    bad.write_bytes(b"garbage" * 10)
    with pytest.raises(CheckpointError, match="not a readable speaker-verification checkpoint: corrupt or not a torch"):
        load_sv(bad)
    state = torch.load(sv_checkpoint, weights_only=True)
    state["seg_1.weight"] = state["seg_1.weight"][:, :10]
    del state["fuse34.local_att.0.bias"]
    torch.save(state, tmp_path / "edited.ckpt")
    with pytest.raises(CheckpointError, match=r"missing keys: fuse34\.local_att\.0\.bias; mis-shaped keys: seg_1\.weight"):
        load_sv(tmp_path / "edited.ckpt")

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    torch.save({"x": Evil()}, tmp_path / "evil.ckpt")
    with pytest.raises(CheckpointError, match="refusing to load global"):
        load_sv(tmp_path / "evil.ckpt")
