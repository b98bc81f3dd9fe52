"""t2s (GPT) model: file format, strict loading, errors, cached decoding, generation rules, golden tokens."""

from __future__ import annotations

import os
import pickle
from collections import OrderedDict

import pytest
import torch

from tts.builders import build_t2s_checkpoint
from tts.builders.t2s import t2s_checkpoint_config
from tts.models import T2SModel, load_t2s
from tts.models.checkpoints import CheckpointError
from tts.models.t2s import T2SConfig
from tts.models.t2s_generate import EOS_MASKED_STEPS, prompt_mask

from .ckpt_edit import edit_ckpt

# Upstream GPT-SoVITS's own inference code (Text2SemanticDecoder.infer_panel_batch_infer, the path
# TTS.py takes by default, seeded with torch.manual_seed(42)) on the tiny checkpoint that
# build_t2s_checkpoint(size="tiny", seed=0) writes, for the inputs of `golden_inputs` below.
GOLDEN_GREEDY = [770, 209, 207, 357, 189, 552, 758, 287, 865, 854, 986, 485, 423, 558, 574, 551, 661, 133, 753, 270,
                 606, 343, 682, 755, 770, 553, 827, 508, 770, 770, 770, 770, 770, 770, 770, 989, 770, 725, 770, 770]
GOLDEN_SAMPLED = [202, 144, 345, 770, 989, 357, 831, 207, 758, 755, 865, 287, 290, 715, 574, 270, 1023, 827, 508, 855,
                  753, 937, 661, 551, 133, 134, 209, 652, 357, 189, 574, 157, 770, 343, 874, 552, 456, 104, 13, 324]


def golden_inputs(n_phones: int = 24, n_prompt: int = 40):
    g = torch.Generator().manual_seed(7)
    phones = torch.randint(0, 732, (n_phones,), generator=g)
    bert = torch.randn(1024, n_phones, generator=g)
    prompt = torch.randint(0, 1024, (n_prompt,), generator=g)
    return phones, bert, prompt


# ---------------------------------------------------------------- file format and loading


def test_builder_writes_upstream_format(tiny_path):
    d = torch.load(tiny_path, weights_only=True)
    assert set(d) == {"weight", "config", "info"}
    assert isinstance(d["info"], str) and d["info"].startswith("GPT-e")
    w = d["weight"]
    assert all(k.startswith("model.") for k in w)
    assert all(v.dtype == torch.float16 for v in w.values())
    assert d["config"]["model"]["vocab_size"] == 1025 and d["config"]["model"]["EOS"] == 1024
    assert d["config"]["data"]["max_sec"] == 4
    for key, shape in {
        "model.bert_proj.weight": (32, 1024),
        "model.ar_text_embedding.word_embeddings.weight": (732, 32),
        "model.ar_audio_embedding.word_embeddings.weight": (1025, 32),
        "model.ar_text_position.alpha": (1,),
        "model.h.layers.1.self_attn.in_proj_weight": (96, 32),
        "model.h.layers.1.linear1.weight": (128, 32),
        "model.h.layers.1.norm2.bias": (32,),
        "model.ar_predict_layer.weight": (1025, 32),
    }.items():
        assert tuple(w[key].shape) == shape, key
    assert len(w) == 6 + 12 * 2 + 1


def test_builder_is_deterministic(tiny_path, tmp_path):
    again = torch.load(build_t2s_checkpoint(tmp_path / "a.ckpt", "tiny", 0), weights_only=True)["weight"]
    other = torch.load(build_t2s_checkpoint(tmp_path / "b.ckpt", "tiny", 1), weights_only=True)["weight"]
    first = torch.load(tiny_path, weights_only=True)["weight"]
    assert list(again) == list(first) and all(torch.equal(again[k], first[k]) for k in first)
    assert not torch.equal(other["model.bert_proj.weight"], first["model.bert_proj.weight"])


def test_full_size_is_upstream_s1longer_v2():
    cfg = T2SConfig.from_checkpoint_config(t2s_checkpoint_config("full"), "full.ckpt")
    assert (cfg.n_layer, cfg.hidden_dim, cfg.head, cfg.vocab_size, cfg.phoneme_vocab_size) == (24, 512, 16, 1025, 732)
    assert cfg.early_stop_tokens == 1499  # min(50 x 54 s, upstream's 1499-token loop bound)
    with torch.device("meta"):
        model = T2SModel(cfg)
    assert sum(p.numel() for p in model.state_dict().values()) == 77_606_402


def test_load_reads_config_and_casts_to_fp32(tiny):
    assert tiny.config == T2SConfig(
        hidden_dim=32, embedding_dim=32, head=2, n_layer=2, vocab_size=1025, phoneme_vocab_size=732,
        dropout=0.0, EOS=1024, max_sec=4,
    )
    assert tiny.config.early_stop_tokens == 200
    assert tiny.dtype == torch.float32 and not tiny.training


def test_missing_key_names_file_and_key(tiny_path, tmp_path):
    bad = edit_ckpt(tiny_path, tmp_path / "missing.ckpt", lambda d: d["weight"].pop("model.h.layers.0.norm1.bias"))
    with pytest.raises(CheckpointError) as err:
        load_t2s(bad)
    assert str(bad) in str(err.value) and "missing keys: model.h.layers.0.norm1.bias" in str(err.value)


def test_misshaped_and_unexpected_keys_are_listed(tiny_path, tmp_path):
    def edit(d):
        d["weight"]["model.bert_proj.bias"] = torch.zeros(7, dtype=torch.float16)
        d["weight"]["model.extra.weight"] = torch.zeros(1, dtype=torch.float16)

    bad = edit_ckpt(tiny_path, tmp_path / "shape.ckpt", edit)
    with pytest.raises(CheckpointError, match=r"unexpected keys: model\.extra\.weight.*mis-shaped keys: "
                                              r"model\.bert_proj\.bias \(file \(7,\), model \(32,\)\)"):
        load_t2s(bad)


def test_config_errors_name_the_key(tiny_path, tmp_path):
    no_max_sec = edit_ckpt(tiny_path, tmp_path / "a.ckpt", lambda d: d["config"]["data"].pop("max_sec"))
    with pytest.raises(CheckpointError, match=r"a\.ckpt: config has no 'data\.max_sec'"):
        load_t2s(no_max_sec)
    bad_eos = edit_ckpt(tiny_path, tmp_path / "b.ckpt", lambda d: d["config"]["model"].update(EOS=3))
    with pytest.raises(CheckpointError, match=r"config\.model\.EOS is 3, expected vocab_size - 1 = 1024"):
        load_t2s(bad_eos)
    no_layers = edit_ckpt(tiny_path, tmp_path / "c.ckpt", lambda d: d["config"]["model"].pop("n_layer"))
    with pytest.raises(CheckpointError, match=r"config\.model has no 'n_layer'"):
        load_t2s(no_layers)


def test_unreadable_and_wrong_files(tmp_path):
    with pytest.raises(CheckpointError, match="file not found"):
        load_t2s(tmp_path / "nope.ckpt")
    garbage = tmp_path / "garbage.ckpt"
    garbage.write_bytes(b"PK\x03\x04 this is not a checkpoint")
    with pytest.raises(CheckpointError, match=r"garbage\.ckpt: not a readable GPT \(t2s\) checkpoint"):
        load_t2s(garbage)
    other = tmp_path / "sovits_like.ckpt"
    torch.save({"weight": {}, "info": "x"}, other)
    with pytest.raises(CheckpointError, match=r"expected a dict with 'weight' and 'config'.*\['info', 'weight'\]"):
        load_t2s(other)


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch " + str(_Evil.marker),))


def test_malicious_pickle_is_refused(tmp_path):
    _Evil.marker = tmp_path / "pwned"
    path = tmp_path / "evil.ckpt"
    torch.save({"weight": OrderedDict(), "config": {}, "info": _Evil()}, path, pickle_module=pickle)
    with pytest.raises(CheckpointError, match="not a readable GPT"):
        load_t2s(path)
    assert not _Evil.marker.exists()


# ---------------------------------------------------------------- decoding


def test_prompt_mask_text_bidirectional_audio_causal():
    m = prompt_mask(2, 3, "cpu")
    assert m.tolist() == [
        [True, True, False, False, False],
        [True, True, False, False, False],
        [True, True, True, False, False],
        [True, True, True, True, False],
        [True, True, True, True, True],
    ]


def test_cached_decoding_matches_full_recompute(tiny):
    phones, bert, prompt = golden_inputs(10, 6)
    forced = torch.tensor([5, 900, 17, 17, 1023, 3])
    ph, b, pr = tiny.check_inputs(phones, bert, prompt)
    with torch.inference_mode():
        cache = tiny.new_cache(10 + 6 + len(forced))
        incremental = [tiny.prefill(ph, b, pr, cache)]
        for i, t in enumerate(forced):
            incremental.append(tiny.decode_one_token(t.view(1, 1), 16 + i, 6 + i, cache))
        for i in range(len(forced) + 1):
            audio = torch.cat([pr, forced[:i].view(1, -1)], dim=1)
            full = tiny.prefill(ph, b, audio, tiny.new_cache(16 + i))  # no cache reuse: recompute everything
            torch.testing.assert_close(incremental[i], full, rtol=1e-5, atol=1e-5)


def test_golden_tokens_match_upstream(tiny):
    phones, bert, prompt = golden_inputs()
    greedy = tiny.generate(phones, bert, prompt, top_k=1, max_tokens=40, generator=torch.Generator().manual_seed(42))
    assert greedy.tolist() == GOLDEN_GREEDY
    sampled = tiny.generate(phones, bert, prompt, top_k=15, top_p=0.8, temperature=1.2, max_tokens=40,
                            generator=torch.Generator().manual_seed(42))
    assert sampled.tolist() == GOLDEN_SAMPLED


def test_global_rng_when_no_generator(tiny):
    phones, bert, prompt = golden_inputs()
    torch.manual_seed(42)
    tokens = tiny.generate(phones, bert, prompt, top_k=15, top_p=0.8, temperature=1.2, max_tokens=40)
    assert tokens.tolist() == GOLDEN_SAMPLED


def test_seeds_are_per_request_and_streaming_gives_the_same_tokens(tiny):
    phones, bert, prompt = golden_inputs()
    kw = {"top_k": 15, "temperature": 1.0, "max_tokens": 30}
    a = tiny.generate(phones, bert, prompt, generator=torch.Generator().manual_seed(1), **kw)
    b = tiny.generate(phones, bert, prompt, generator=torch.Generator().manual_seed(2), **kw)
    streamed = list(tiny.iter_tokens(phones, bert, prompt, generator=torch.Generator().manual_seed(1), **kw))
    assert a.dtype == torch.long and a.ndim == 1 and len(a) == 30
    assert streamed == a.tolist()
    assert a.tolist() != b.tolist()
    assert not torch.is_inference_mode_enabled()


def test_default_early_stop_is_50_tokens_per_max_sec(tiny):
    phones, bert, prompt = golden_inputs(8, 0)
    tokens = tiny.generate(phones, bert, None, top_k=1, generator=torch.Generator().manual_seed(0))
    assert len(tokens) == 200 and int(tokens.max()) < 1024
    assert tiny.generate(phones, bert, prompt, max_tokens=0).tolist() == []


def test_eos_is_masked_for_the_first_11_steps_then_stops(eos_heavy_path):
    model = load_t2s(eos_heavy_path)
    phones, bert, prompt = golden_inputs()
    for seed in range(3):
        tokens = model.generate(phones, bert, prompt, top_k=15, generator=torch.Generator().manual_seed(seed))
        assert len(tokens) == EOS_MASKED_STEPS and int(tokens.max()) < 1024


def test_input_errors_are_clear(tiny):
    phones, bert, prompt = golden_inputs()
    with pytest.raises(ValueError, match=r"bert_features must have shape \(1024, n_phones=24\), got \(1024, 23\)"):
        tiny.generate(phones, bert[:, :23], prompt)
    with pytest.raises(ValueError, match=r"phone_ids must be integers in \[0, 732\)"):
        tiny.generate(phones + 1000, bert, prompt)
    with pytest.raises(ValueError, match="top_k must be an integer >= 1, got 0"):
        tiny.generate(phones, bert, prompt, top_k=0)
    with pytest.raises(ValueError, match=r"top_p must be in \(0, 1\], got 1.5"):
        tiny.generate(phones, bert, prompt, top_p=1.5)


@pytest.mark.parametrize("mode", [True, "fp16"])
def test_fast_mode_quantizes_and_still_decodes(tiny_path, tiny, mode):
    from torch.ao.nn.quantized.dynamic import Linear as DynamicQuantizedLinear

    fast = load_t2s(tiny_path, fast=mode)
    layer = fast.model.h.layers[0]
    assert isinstance(layer.linear1, DynamicQuantizedLinear)
    assert isinstance(layer.self_attn.in_proj, DynamicQuantizedLinear)
    assert isinstance(fast.model.ar_predict_layer, DynamicQuantizedLinear) and fast.dtype == torch.float32
    phones, bert, prompt = golden_inputs()
    a = fast.generate(phones, bert, prompt, max_tokens=30, generator=torch.Generator().manual_seed(3))
    b = fast.generate(phones, bert, prompt, max_tokens=30, generator=torch.Generator().manual_seed(3))
    assert a.tolist() == b.tolist() and len(a) == 30 and int(a.max()) < 1024
    ph, b, pr = tiny.check_inputs(phones, bert, prompt)
    with torch.inference_mode():
        exact = tiny.prefill(ph, b, pr, tiny.new_cache(64))
        approx = fast.prefill(ph, b, pr, fast.new_cache(64))
    assert not torch.equal(exact, approx)  # the low-precision weights are really used ...
    tolerance = 0.2 if mode is True else 0.01
    torch.testing.assert_close(approx, exact, rtol=0.0, atol=tolerance * float(exact.abs().max()))  # ... and close


def test_fast_mode_errors(tiny_path):
    with pytest.raises(ValueError, match="fast mode on CPU quantizes float32 weights"):
        load_t2s(tiny_path, dtype=torch.float64, fast=True)
    with pytest.raises(ValueError, match=r"fast mode must be one of \('int8', 'fp16', 'onednn'\), got 'int4'"):
        load_t2s(tiny_path, fast="int4")


def test_onednn_mode_keeps_fp32_weights_and_the_tokens(tiny_path, tiny):
    from tts.models.fast_linear import OneDNNLinear

    fast = load_t2s(tiny_path, fast="onednn")
    layer = fast.model.h.layers[0]
    assert isinstance(layer.linear1, OneDNNLinear) and isinstance(layer.self_attn.in_proj, OneDNNLinear)
    assert isinstance(fast.model.ar_predict_layer, OneDNNLinear) and fast.dtype == torch.float32
    phones, bert, prompt = golden_inputs()
    ph, b, pr = tiny.check_inputs(phones, bert, prompt)
    with torch.inference_mode():
        exact = tiny.prefill(ph, b, pr, tiny.new_cache(64))
        approx = fast.prefill(ph, b, pr, fast.new_cache(64))
    torch.testing.assert_close(approx, exact, rtol=0.0, atol=1e-4)  # float32 either way: last-bit differences only
    for seed in range(4):
        a = fast.generate(phones, bert, prompt, max_tokens=30, generator=torch.Generator().manual_seed(seed))
        e = tiny.generate(phones, bert, prompt, max_tokens=30, generator=torch.Generator().manual_seed(seed))
        assert a.tolist() == e.tolist()


# ---------------------------------------------------------------- the scripted layer step


def _first_logits(model: T2SModel) -> tuple[torch.Tensor, torch.Tensor]:
    """Prefill logits and the logits of one decoded token, for golden_inputs."""
    ph, b, pr = model.check_inputs(*golden_inputs())
    with torch.inference_mode():
        cache = model.new_cache(ph.shape[1] + pr.shape[1] + 1)
        first = model.prefill(ph, b, pr, cache)
        second = model.decode_one_token(torch.tensor([[7]]), ph.shape[1] + pr.shape[1], pr.shape[1], cache)
    return first, second


@pytest.mark.parametrize("mode", [False, "int8", "onednn"])
def test_layers_run_scripted_with_the_eager_results(tiny_path, mode, monkeypatch, caplog):
    scripted = load_t2s(tiny_path, fast=mode)
    assert isinstance(scripted.model.h, torch.jit.ScriptModule)
    eager = load_t2s(tiny_path, fast=mode, script=False)
    assert not isinstance(eager.model.h, torch.jit.ScriptModule)

    def unavailable(module):
        raise RuntimeError("TorchScript is not available")

    monkeypatch.setattr(torch.jit, "script", unavailable)
    with caplog.at_level("WARNING", logger="tts.models.t2s"):
        fallback = load_t2s(tiny_path, fast=mode)  # the layers are scripted (here: they fail to) while loading
    assert not isinstance(fallback.model.h, torch.jit.ScriptModule)
    assert "t2s layers run eagerly (slower per token): TorchScript failed: TorchScript is not available" in caplog.text
    for a, e, f in zip(_first_logits(scripted), _first_logits(eager), _first_logits(fallback)):
        assert torch.equal(a, e) and torch.equal(f, e)  # same kernels, same order: bit for bit
    phones, bert, prompt = golden_inputs()
    kw = {"top_k": 15, "max_tokens": 30}
    assert (scripted.generate(phones, bert, prompt, generator=torch.Generator().manual_seed(5), **kw).tolist()
            == eager.generate(phones, bert, prompt, generator=torch.Generator().manual_seed(5), **kw).tolist())


def test_scripted_layers_follow_to_and_deepcopy(tiny_path):
    import copy

    model = load_t2s(tiny_path)
    before = _first_logits(model)[0]
    twin = copy.deepcopy(model)  # a copy of the scripted layers
    dict(twin.named_parameters())["model.h.layers.0.linear2.bias"].data += 1.0
    assert torch.equal(_first_logits(model)[0], before)  # the copy never writes into the original
    assert not torch.equal(_first_logits(twin)[0], before)
    wide = model.to(torch.float64)
    first = _first_logits(wide)[0]
    assert first.dtype == torch.float64  # the layers run on the new tensors
    torch.testing.assert_close(first, before.double(), rtol=1e-4, atol=1e-4)


def test_kv_cache_overflow_is_an_error(tiny):
    ph, b, pr = tiny.check_inputs(*golden_inputs())
    with torch.inference_mode(), pytest.raises(ValueError, match=r"KV cache overflow: position 64 > capacity 63"):
        tiny.prefill(ph, b, pr, tiny.new_cache(63))
