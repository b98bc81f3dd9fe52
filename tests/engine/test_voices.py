"""Voices: reference checks, the LRU voice cache, the reference prompt and the model builder."""

from __future__ import annotations

import numpy as np
import pytest

from tts import SynthesisOptions
from tts.builders import build_reference_audio, build_tts_models
from tts.models.audio import ReferenceAudioError
from tts.voices import prompt_transcript


@pytest.mark.parametrize("seconds", [2.0, 12.0])
def test_reference_outside_3_to_10_seconds_is_rejected(engine, models, tmp_path, seconds):
    ref = build_reference_audio(tmp_path / f"ref-{seconds}.wav", seconds=seconds)
    with pytest.raises(ReferenceAudioError) as exc:
        engine.load_voice(models.gpt, models.sovits, ref, "参考音频的文本。")
    message = str(exc.value)
    assert str(ref) in message
    assert f"reference audio is {seconds:.2f} s long; it must be between 3 and 10 s" in message


def test_missing_files_are_named(engine, models, tmp_path):
    with pytest.raises(FileNotFoundError, match="gpt_path: file not found: .*missing.ckpt"):
        engine.load_voice(tmp_path / "missing.ckpt", models.sovits, models.ref_audio, models.ref_text)


def test_empty_transcript_is_rejected(engine, models):
    with pytest.raises(ValueError, match="ref_text is empty"):
        engine.load_voice(models.gpt, models.sovits, models.ref_audio, "\n")


def test_transcript_gets_a_final_mark():
    assert prompt_transcript("你好", "zh") == "你好。"
    assert prompt_transcript("你好！", "zh") == "你好！"
    assert prompt_transcript("hello\n", "en") == "hello."
    assert prompt_transcript("好…", "zh") == "好…"


def test_voice_cache_evicts_least_recently_used(engine, models, voice):
    assert engine.voices.max_voices == 2
    engine.synthesize("你好。", voice, SynthesisOptions(max_tokens=4), seed=0)  # `voice` is most recent
    v2 = engine.load_voice(models.gpt, models.sovits, models.ref_audio, "第二个声音的文本。")
    assert voice in engine.voices and v2 in engine.voices
    engine.synthesize("你好。", voice, SynthesisOptions(max_tokens=4), seed=0)  # now v2 is least recent
    v3 = engine.load_voice(models.gpt, models.sovits, models.ref_audio, "第三个声音的文本。")
    assert len(engine.voices) == 2
    assert v2 not in engine.voices and voice in engine.voices and v3 in engine.voices
    # an evicted voice still works: it is loaded again, and gives the same audio as before
    before = engine.synthesize("你好。", voice, SynthesisOptions(max_tokens=4), seed=3)[1]
    sr, wav = engine.synthesize("你好。", v2, SynthesisOptions(max_tokens=4), seed=3)
    assert v2 in engine.voices and voice in engine.voices and v3 not in engine.voices  # v3 was least recent
    assert sr == 32000 and wav.dtype == np.int16
    again = engine.synthesize("你好。", voice, SynthesisOptions(max_tokens=4), seed=3)[1]
    np.testing.assert_array_equal(again, before)


def test_same_voice_is_loaded_once(engine, models, voice):
    again = engine.load_voice(models.gpt, models.sovits, models.ref_audio, models.ref_text)
    assert again == voice
    loaded = engine.voices.get(voice)
    assert loaded.prompt.tokens.ndim == 1 and loaded.prompt.tokens.numel() > 0
    assert loaded.prompt.bert.shape == (1024, len(loaded.prompt.phones))
    assert loaded.prompt.refer_spec.shape[0] == 1025
    assert loaded.prompt.text == models.ref_text  # already ends with a split mark


def test_prompt_tokens_follow_the_reference_length(engine, models):
    loaded = engine.voices.get(engine.load_voice(models.gpt, models.sovits, models.ref_audio, models.ref_text))
    # 5 s at 16 kHz + 9600 zeros -> HuBERT frames (stride 320) -> 25 Hz tokens (half)
    n16 = 5 * 16000 + 9600
    frames = (n16 - 400) // 320 + 1
    assert loaded.prompt.tokens.numel() == frames // 2


def test_build_tts_models_reuses_a_finished_build(models):
    mtime = models.gpt.stat().st_mtime_ns
    again = build_tts_models(models.gpt.parent, size="tiny", seed=0)
    assert again == models and models.gpt.stat().st_mtime_ns == mtime


def test_reference_audio_is_deterministic(tmp_path):
    a = build_reference_audio(tmp_path / "a.wav").read_bytes()
    b = build_reference_audio(tmp_path / "b.wav").read_bytes()
    assert a == b


def _fake_voice(name: str):
    from pathlib import Path

    from tts.voices import Voice

    return Voice(Path(f"{name}.ckpt"), Path(f"{name}.pth"), Path(f"{name}.wav"), "文本。", "zh", 32000, "v2")


def _parked_in_cache_get(thread) -> bool:
    """``thread`` is inside VoiceCache.get and blocked on a lock or event (in the loader or waiting for it)."""
    import sys

    frame, names = sys._current_frames().get(thread.ident), []
    while frame is not None:
        names.append(frame.f_code.co_name)
        frame = frame.f_back
    return "get" in names and "wait" in names


def test_concurrent_requests_for_a_voice_share_one_load():
    import threading

    from tts.voices import LoadedVoice, VoiceCache

    release = threading.Event()
    loads: list[str] = []

    def loader(voice):
        loads.append(voice.ref_audio.stem)
        release.wait(timeout=60)  # the load is slow: everybody else asks while it runs
        return LoadedVoice(voice=voice, t2s=None, sovits=None, prompt=None)

    cache = VoiceCache(1, loader)
    results: list = []
    callers = [threading.Thread(target=lambda: results.append(cache.get(_fake_voice("a")))) for _ in range(6)]
    for t in callers:
        t.start()
    while not all(_parked_in_cache_get(t) for t in callers):  # all six asked while the first load runs
        threading.Event().wait(0.001)
    release.set()
    for t in callers:
        t.join(timeout=60)
    assert loads == ["a"]  # six callers, one load
    assert len(results) == 6 and all(r is results[0] for r in results)
    # evicted by another voice, then asked for again: loaded again, once
    cache.get(_fake_voice("b"))
    cache.get(_fake_voice("a"))
    assert loads == ["a", "b", "a"]


def test_a_failed_load_is_raised_to_every_waiting_caller_and_retried_later():
    import threading

    from tts.voices import LoadedVoice, VoiceCache

    release = threading.Event()
    calls: list[int] = []

    def loader(voice):
        calls.append(1)
        if len(calls) == 1:
            release.wait(timeout=60)
            raise ValueError("corrupt file")
        return LoadedVoice(voice=voice, t2s=None, sovits=None, prompt=None)

    cache = VoiceCache(2, loader)
    errors: list[str] = []

    def ask():
        try:
            cache.get(_fake_voice("a"))
        except ValueError as exc:
            errors.append(str(exc))

    callers = [threading.Thread(target=ask) for _ in range(3)]
    for t in callers:
        t.start()
    while not all(_parked_in_cache_get(t) for t in callers):
        threading.Event().wait(0.001)
    release.set()
    for t in callers:
        t.join(timeout=60)
    assert errors == ["corrupt file"] * 3 and len(calls) == 1
    assert cache.get(_fake_voice("a")).voice == _fake_voice("a")  # nothing cached from the failure: tried again
    assert len(calls) == 2
