"""Non-stream synthesis with several segments per t2s run (engine ``t2s_batch``)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from tts import SynthesisOptions, TTSEngine
from tts.engine import finish_segment
from tts.text.segment import synthesis_segments
from tts.options import segment_seed

TEXT = "今天天气很好。我们一起去公园散步吧！你想去哪里？"


@pytest.fixture(scope="module")
def batched(models):
    return TTSEngine(models.bert, models.hubert, device="cpu", max_voices=1, t2s_batch=2)


@pytest.fixture(scope="module")
def batched_voice(batched, models):
    return batched.load_voice(models.gpt, models.sovits, models.ref_audio, models.ref_text)


def one_at_a_time(engine, voice, text, seed, max_tokens):
    """What batched synthesis promises: segment i decoded alone from a generator seeded with
    segment_seed(seed, i), then its SoVITS noise drawn from the same generator."""
    loaded = engine.voices.get(voice)
    prompt, parts = loaded.prompt, []
    for i, piece in enumerate(synthesis_segments(text, "zh")):
        phones = engine.frontend.text_to_phones(piece, language="zh", version=loaded.voice.version)
        bert = engine.bert(phones)
        ids = torch.tensor(phones.ids, dtype=torch.long)
        g = torch.Generator().manual_seed(segment_seed(seed, i))
        tokens = loaded.t2s.generate(torch.cat([prompt.phone_ids, ids]), torch.cat([prompt.bert, bert], dim=1),
                                     prompt.tokens, max_tokens=max_tokens, generator=g)
        wav = loaded.sovits.decode(tokens, ids, ge=prompt.ge, generator=g)
        parts.append(finish_segment(wav.numpy(), voice.sample_rate, 0.3))
    return np.concatenate(parts)


def test_batched_synthesis_equals_each_segment_alone_with_its_own_seed(batched, batched_voice):
    assert len(synthesis_segments(TEXT, "zh")) == 3  # two batches: 2 segments, then 1
    sr, wav = batched.synthesize(TEXT, batched_voice, SynthesisOptions(max_tokens=10), seed=11)
    assert sr == 32000
    np.testing.assert_array_equal(wav, one_at_a_time(batched, batched_voice, TEXT, 11, 10))


def test_batched_audio_does_not_depend_on_the_batch_size(batched, batched_voice, models):
    three = TTSEngine(models.bert, models.hubert, device="cpu", max_voices=1, t2s_batch=3)
    voice = three.load_voice(models.gpt, models.sovits, models.ref_audio, models.ref_text)
    _, a = batched.synthesize(TEXT, batched_voice, SynthesisOptions(max_tokens=10), seed=4)
    _, b = three.synthesize(TEXT, voice, SynthesisOptions(max_tokens=10), seed=4)
    np.testing.assert_array_equal(a, b)


def test_stream_mode_is_unchanged_by_t2s_batch(batched, batched_voice, engine, voice):
    a = np.concatenate([c.pcm for c in batched.stream(TEXT, batched_voice, SynthesisOptions(max_tokens=10), seed=2)])
    b = np.concatenate([c.pcm for c in engine.stream(TEXT, voice, SynthesisOptions(max_tokens=10), seed=2)])
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("text", ["", "。。！", "🙂"])
def test_nothing_to_pronounce_gives_the_same_short_silence(batched, batched_voice, text):
    sr, wav = batched.synthesize(text, batched_voice, seed=0)
    assert wav.dtype == np.int16 and len(wav) == int(0.3 * sr) and not wav.any()


@pytest.mark.parametrize("which", ["batched", "one at a time"])
def test_cancelled_synthesis_returns_no_audio(batched, batched_voice, engine, voice, which):
    eng, v = (batched, batched_voice) if which == "batched" else (engine, voice)
    cancel = threading.Event()
    cancel.set()
    sr, wav = eng.synthesize(TEXT, v, SynthesisOptions(max_tokens=10), seed=0, cancel=cancel)
    assert sr == 32000 and wav.dtype == np.int16 and len(wav) == 0


@pytest.mark.parametrize("value", [0, -1, 1.5])
def test_t2s_batch_must_be_a_positive_integer(models, value):
    with pytest.raises(ValueError, match=rf"^t2s_batch must be an integer >= 1, got {value!r}$"):
        TTSEngine(models.bert, models.hubert, device="cpu", t2s_batch=value)


def test_batched_synthesis_checks_its_inputs_like_stream(batched, batched_voice):
    with pytest.raises(TypeError, match=r"^text must be a str, got bytes$"):
        batched.synthesize(b"abc", batched_voice)
    with pytest.raises(ValueError, match=r"^voice is required: get one from TTSEngine.load_voice\(...\)$"):
        batched.synthesize("你好。", None)
