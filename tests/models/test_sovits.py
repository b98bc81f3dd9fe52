"""SoVITS model: strict loading, golden outputs from upstream's code, noise/seed behaviour, lengths."""

from __future__ import annotations

import pytest
import torch

from tts.builders.sovits import build_sovits_checkpoint
from tts.models import load_sovits
from tts.models.checkpoints import read_sovits_file
from tts.models.sovits import SynthesizerTrn, SoVITSConfig

# Produced by running UPSTREAM GPT-SoVITS code (SynthesizerTrn.decode / extract_latent at
# commit 48b1a01, CPU fp32) on build_sovits_checkpoint(size="tiny", seed=0) with the inputs
# made in _golden_inputs() and torch.manual_seed(5) before decode.
GOLDEN = {
    "v2": dict(sumabs=12.1921539, first=[-0.000593273, -0.000966724, -0.000624085, -0.000966663, -0.000589809],
               toks=[604, 630, 893, 459, 309, 867, 995, 604, 893, 630, 363, 93, 805, 928, 692]),
    "v1": dict(sumabs=9.55602932, first=[0.000253794, -0.00093109, 1.0314e-05, -0.001279916, 0.000262034],
               toks=[370, 32, 893, 163, 163, 692, 630, 451, 122, 893, 564, 395, 893, 704, 1018]),
}


@pytest.fixture(scope="module")
def tiny_paths(tmp_path_factory):
    root = tmp_path_factory.mktemp("sovits")
    return {v: build_sovits_checkpoint(root / f"tiny_{v}.pth", "tiny", seed=0, version=v) for v in ("v2", "v1")}


@pytest.fixture(scope="module")
def models(tiny_paths):
    return {v: load_sovits(p) for v, p in tiny_paths.items()}


def _golden_inputs():
    g = torch.Generator().manual_seed(123)
    codes = torch.randint(0, 1024, (1, 1, 12), generator=g)
    phones = torch.randint(0, 322, (1, 9), generator=g)
    refer = torch.rand(1, 1025, 40, generator=g)
    ssl = torch.randn(1, 768, 30, generator=g)
    return codes[0, 0], phones[0], refer[0], ssl


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_matches_upstream_golden_output(models, version):
    model = models[version]
    assert model.version == version
    codes, phones, refer, ssl = _golden_inputs()
    wav = model.decode(codes, phones, refer, noise_scale=0.5, generator=torch.Generator().manual_seed(5))
    gold = GOLDEN[version]
    assert wav.shape == (12 * 2 * 640,)
    assert wav.abs().sum().item() == pytest.approx(gold["sumabs"], rel=1e-5)
    assert wav[1000:1005].tolist() == pytest.approx(gold["first"], abs=1e-8)
    assert model.extract_prompt_tokens(ssl).tolist() == gold["toks"]


def test_loaded_model_is_folded_and_in_eval(models):
    net = models["v2"].net
    keys = net.state_dict().keys()
    assert not any(k.endswith("weight_g") or k.endswith("weight_v") for k in keys)
    assert not net.training
    assert models["v2"].config.ref_bins == 704 and models["v1"].config.ref_bins == 1025
    assert models["v2"].sampling_rate == 32000


def test_folding_weight_norm_keeps_the_numbers(tiny_paths, models):
    file = read_sovits_file(tiny_paths["v2"])
    unfolded = SynthesizerTrn(SoVITSConfig.from_checkpoint_config(file.config, "v2")).eval()
    unfolded.load_state_dict({k: v.float() for k, v in file.weights.items()}, strict=True)
    codes, phones, refer, _ = _golden_inputs()
    ge = unfolded.speaker_embedding(refer.unsqueeze(0))
    with torch.no_grad():
        ref = unfolded.decode(codes.view(1, 1, -1), phones.view(1, -1), ge, None, 0.5, 1.0,
                              torch.Generator().manual_seed(3))[0, 0]
    out = models["v2"].decode(codes, phones, refer, generator=torch.Generator().manual_seed(3))
    assert torch.allclose(out, ref, atol=1e-6, rtol=0)


def test_seeded_decode_is_deterministic_and_seed_dependent(models):
    model = models["v2"]
    codes, phones, refer, _ = _golden_inputs()
    a = model.decode(codes, phones, refer, generator=torch.Generator().manual_seed(1))
    b = model.decode(codes, phones, refer, generator=torch.Generator().manual_seed(1))
    c = model.decode(codes, phones, refer, generator=torch.Generator().manual_seed(2))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    # zero noise: the seed no longer matters
    z1 = model.decode(codes, phones, refer, noise_scale=0.0, generator=torch.Generator().manual_seed(1))
    z2 = model.decode(codes, phones, refer, noise_scale=0.0, generator=torch.Generator().manual_seed(2))
    assert torch.equal(z1, z2)


def test_generator_draws_equal_global_rng_draws(models):
    model = models["v2"]
    codes, phones, refer, _ = _golden_inputs()
    torch.manual_seed(11)
    global_rng = model.decode(codes, phones, refer)
    own = model.decode(codes, phones, refer, generator=torch.Generator().manual_seed(11))
    assert torch.equal(global_rng, own)


@pytest.mark.parametrize("speed,frames", [(1.0, 24), (1.25, int(24 / 1.25) + 1), (0.8, int(24 / 0.8) + 1)])
def test_output_length_follows_speed(models, speed, frames):
    codes, phones, refer, _ = _golden_inputs()
    wav = models["v2"].decode(codes, phones, refer, speed=speed, generator=torch.Generator().manual_seed(0))
    assert wav.dim() == 1 and wav.dtype == torch.float32
    assert wav.numel() == frames * 640


def test_cached_speaker_embedding_gives_the_same_audio(models):
    model = models["v2"]
    codes, phones, refer, _ = _golden_inputs()
    ge = model.speaker_embedding(refer)
    assert ge.shape == (1, 512, 1)
    a = model.decode(codes, phones, refer, generator=torch.Generator().manual_seed(4))
    b = model.decode(codes, phones, ge=ge, generator=torch.Generator().manual_seed(4))
    assert torch.equal(a, b)


def test_prompt_tokens_are_nearest_codewords(models):
    model = models["v2"]
    ssl = torch.randn(1, 768, 41, generator=torch.Generator().manual_seed(9))
    toks = model.extract_prompt_tokens(ssl)
    assert toks.shape == (20,) and toks.dtype == torch.long
    with torch.no_grad():
        feats = model.net.ssl_proj(ssl)[0].T  # (20, 768)
        book = model.net.quantizer.vq.layers[0]._codebook.embed
        assert torch.equal(torch.cdist(feats, book).argmin(-1), toks)


def test_bad_inputs_are_refused_with_clear_errors(models):
    model = models["v2"]
    _, phones, refer, _ = _golden_inputs()
    with pytest.raises(ValueError, match="at least one semantic token"):
        model.decode(torch.zeros(0, dtype=torch.long), phones, refer)
    with pytest.raises(ValueError, match="1025 bins"):
        model.decode(torch.tensor([1, 2, 3]), phones, refer[:704])
    with pytest.raises(ValueError, match=r"\(1, 768, T\)"):
        model.extract_prompt_tokens(torch.zeros(1, 512, 10))
