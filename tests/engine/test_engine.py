"""TTSEngine behaviour on tiny random-weight models: determinism, format, lengths, streaming."""

from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pytest

from tts import SynthesisOptions
from tts.engine import AudioChunk, finish_segment, to_int16

TEXT = "今天天气很好。我们一起去公园散步吧！"
FAST = dict(max_tokens=12)  # tiny random models rarely pick EOS: bound the work per segment


def test_seeded_synthesis_is_deterministic(engine, voice):
    sr1, a = engine.synthesize(TEXT, voice, SynthesisOptions(**FAST), seed=123)
    sr2, b = engine.synthesize(TEXT, voice, SynthesisOptions(**FAST), seed=123)
    _, c = engine.synthesize(TEXT, voice, SynthesisOptions(**FAST), seed=124)
    assert sr1 == sr2
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_output_is_int16_at_the_voice_rate(engine, voice, models):
    sr, wav = engine.synthesize("你好，很高兴认识你。", voice, SynthesisOptions(**FAST), seed=0)
    assert sr == voice.sample_rate == 32000
    assert wav.dtype == np.int16 and wav.ndim == 1
    assert np.abs(wav.astype(np.int32)).max() > 0


@pytest.mark.parametrize("speed", [1.0, 1.5])
def test_length_is_frames_times_hop_plus_interval_per_segment(engine, voice, speed):
    chunks = list(engine.stream(TEXT, voice, SynthesisOptions(speed=speed, **FAST), seed=5))
    assert [c.text for c in chunks] == ["今天天气很好。", "我们一起去公园散步吧！"]
    hop = 640
    for chunk in chunks:
        tokens = chunk.stats.tokens
        frames = 2 * tokens if speed == 1.0 else int(2 * tokens / speed) + 1  # 25 -> 50 Hz, then speed
        assert len(chunk.pcm) == frames * hop + int(0.3 * chunk.sample_rate)
        assert not chunk.pcm[frames * hop:].any()  # the fragment interval is silence
        assert 1 <= tokens <= FAST["max_tokens"]


def test_stream_chunks_join_to_synthesize_output(engine, voice):
    chunks = list(engine.stream(TEXT, voice, SynthesisOptions(**FAST), seed=9))
    assert all(isinstance(c, AudioChunk) for c in chunks) and len(chunks) == 2
    sr, wav = engine.synthesize(TEXT, voice, SynthesisOptions(**FAST), seed=9)
    np.testing.assert_array_equal(np.concatenate([c.pcm for c in chunks]), wav)
    unpacked_sr, pcm = chunks[0]  # chunks unpack as (sample_rate, pcm)
    assert unpacked_sr == sr and pcm is chunks[0].pcm


@pytest.mark.parametrize("text", ["", "   ", "😀😀🎉", "……！？", "\n\n"])
def test_nothing_to_pronounce_gives_short_silence(engine, voice, text):
    chunks = list(engine.stream(text, voice, seed=0))
    assert len(chunks) == 1 and chunks[0].text == ""
    sr, wav = engine.synthesize(text, voice, seed=0)
    assert sr == voice.sample_rate
    assert wav.dtype == np.int16 and len(wav) == int(0.3 * sr) and not wav.any()


def test_max_tokens_bounds_each_segment(engine, voice):
    chunks = list(engine.stream("你好，很高兴认识你。", voice, SynthesisOptions(max_tokens=5), seed=1))
    assert chunks[0].stats.tokens <= 5
    assert len(chunks[0].pcm) <= 5 * 2 * 640 + int(0.3 * 32000)


def test_concurrent_requests_do_not_share_state(engine, voice):
    expected = {s: engine.synthesize(TEXT, voice, SynthesisOptions(**FAST), seed=s)[1] for s in (1, 2)}
    got = {}

    def work(seed):
        got[seed] = engine.synthesize(TEXT, voice, SynthesisOptions(**FAST), seed=seed)[1]

    threads = [threading.Thread(target=work, args=(s,)) for s in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in (1, 2):
        np.testing.assert_array_equal(got[s], expected[s])


def test_closing_the_stream_stops_work(engine, voice):
    text = "第一句话在这里。第二句话在这里。第三句话在这里。"
    stream = engine.stream(text, voice, SynthesisOptions(**FAST), seed=0)
    first = next(stream)
    stream.close()
    assert first.text == "第一句话在这里。"
    with pytest.raises(StopIteration):
        next(stream)


@pytest.mark.parametrize("kwargs, message", [
    (dict(speed=0), "speed must be between 0.1 and 10"),
    (dict(top_k=0), "top_k must be an integer >= 1"),
    (dict(top_p=1.5), "top_p must be in (0, 1]"),
    (dict(temperature=0), "temperature must be > 0"),
    (dict(language="fr"), "language must be one of zh, en, auto, got 'fr'"),
])
def test_bad_options_are_rejected_with_a_clear_message(engine, voice, kwargs, message):
    with pytest.raises(ValueError) as exc:
        engine.synthesize("你好。", voice, SynthesisOptions(**kwargs))
    assert message in str(exc.value)


def test_voice_is_required(engine):
    with pytest.raises(ValueError, match="voice is required"):
        engine.synthesize("你好。", None)


def test_int16_conversion_clips_instead_of_wrapping():
    out = to_int16(np.array([1.0, -1.0, 0.5, 1.7, -3.0, 0.99999], dtype=np.float32))
    assert out.tolist() == [32767, -32768, 16384, 32767, -32768, 32767]


def test_segment_post_processing_scales_peaks_and_appends_silence():
    wav = np.array([0.5, -2.0, 1.0], dtype=np.float32)
    out = finish_segment(wav, 100, 0.3)
    assert out.tolist() == [8192, -32768, 16384] + [0] * 30
    quiet = finish_segment(np.array([0.25], dtype=np.float32), 100, 0.0)
    assert quiet.tolist() == [8192]


def test_importing_tts_loads_no_model_or_torch():
    code = "import sys, tts; assert 'torch' not in sys.modules, 'torch imported'; print(tts.__all__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "TTSEngine" in out.stdout


def test_long_text_without_punctuation_is_cut_not_failed(engine, voice):
    chunks = list(engine.stream("哈" * 600, voice, SynthesisOptions(max_tokens=2), seed=0))
    assert [len(c.text) for c in chunks] == [510, 90, 1]  # 510-char cut, the rest, then upstream's "。" piece
    assert all(c.pcm.dtype == np.int16 and len(c.pcm) > 0 for c in chunks)


def test_dtype_names_resolve():
    import torch

    from tts.engine import resolve_dtype

    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert resolve_dtype(None, cpu) is torch.float32 and resolve_dtype("auto", cuda) is torch.float16
    assert resolve_dtype("bf16", cpu) is torch.bfloat16
    with pytest.raises(ValueError, match="dtype must be 'auto' or one of"):
        resolve_dtype("int3", cpu)


def test_warm_up_runs(engine, voice):
    engine.warm_up(voice)
    engine.warm_up()


def test_cancel_stops_synthesis_within_a_token(engine, voice):
    import threading

    cancel = threading.Event()
    text = "第一句话。第二句话。第三句话。"
    chunks = engine.stream(text, voice, SynthesisOptions(max_tokens=40), seed=0, cancel=cancel)
    first = next(chunks)
    assert first.text == "第一句话。"
    cancel.set()
    assert list(chunks) == []  # no further segment, no trailing silence chunk
    # an event set before the start: nothing is synthesized at all
    assert list(engine.stream("你好。", voice, seed=0, cancel=cancel)) == []


@pytest.mark.parametrize("decoded", [[5, 6], []])
def test_a_row_whose_tokens_end_for_a_cancel_is_not_rendered(engine, voice, monkeypatch, caplog, decoded):
    import threading

    cancel = threading.Event()

    def tokens(row, cancel_, urgent_tokens=0):  # the scheduler ends a cancelled row's tokens early
        yield from decoded
        cancel.set()

    rendered = []
    monkeypatch.setattr(engine, "_tokens", tokens)
    monkeypatch.setattr(engine, "_render_whole", lambda *args: rendered.append(args) or np.zeros(9, np.float32))
    assert list(engine.stream("你好。", voice, SynthesisOptions(max_tokens=40), seed=0, cancel=cancel)) == []
    assert rendered == [] and "produced no tokens" not in caplog.text  # before: a render, or a false warning


def test_cancel_does_not_change_an_uncancelled_result(engine, voice):
    import threading

    text = "你好，欢迎。"
    plain = engine.synthesize(text, voice, SynthesisOptions(max_tokens=30), seed=5)[1]
    with_event = engine.synthesize(text, voice, SynthesisOptions(max_tokens=30), seed=5,
                                   cancel=threading.Event())[1]
    assert np.array_equal(plain, with_event)


def test_t2s_fast_mode_loads_quantized_gpt(models):
    from tts import TTSEngine

    fast = TTSEngine(models.bert, models.hubert, device="cpu", t2s_fast="int8")
    voice = fast.load_voice(models.gpt, models.sovits, models.ref_audio, models.ref_text)
    sr, wav = fast.synthesize("你好。", voice, SynthesisOptions(max_tokens=20), seed=0)
    assert wav.dtype == np.int16 and wav.size > 0
    t2s = fast.voices.get(voice).t2s
    assert any(hasattr(m, "_packed_params") for m in t2s.modules())  # int8 dynamically quantized Linear layers


def test_other_streams_render_nothing_while_a_new_request_waits_for_its_first_audio(engine, voice, monkeypatch):
    """From a request's start to its first audio the engine's lock is reserved for it: a stream
    already speaking renders its next chunk only after that (its render in progress finishes)."""
    import time

    from tts.chunked import ChunkedVocoder
    from tts.engine import TTSEngine

    events: list[tuple[str, str, float, float]] = []  # (thread, work, start, end)

    def recorded(name, method):
        def run(*args, **kwargs):
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                events.append((threading.current_thread().name, name, start, time.perf_counter()))
        return run

    monkeypatch.setattr(ChunkedVocoder, "render", recorded("render", ChunkedVocoder.render))
    monkeypatch.setattr(TTSEngine, "_features", recorded("features", TTSEngine._features))
    options = SynthesisOptions(max_tokens=40, top_k=30, chunk_tokens=2)
    speaking = threading.Event()
    window: list[float] = []

    def older():  # speaks many chunks, listening slowly
        for chunk in engine.stream("第一句话很长。第二句话也很长。第三句话还是很长。第四句话。", voice, options, seed=1):
            speaking.set()
            time.sleep(0.01)

    def newcomer():
        speaking.wait()
        chunks = engine.stream("你好，欢迎你。", voice, options, seed=2)
        next(chunks)
        window.append(time.perf_counter())
        chunks.close()

    threads = [threading.Thread(target=older, name="older"), threading.Thread(target=newcomer, name="newcomer")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    start = min(s for thread, work, s, _ in events if thread == "newcomer" and work == "features")
    # the render of its first audio: the last before next() returned (the reservation ends there)
    end = max(e for thread, work, _, e in events if thread == "newcomer" and work == "render" and e < window[0])
    older_renders = [s for thread, work, s, _ in events if thread == "older" and work == "render"]
    assert not [s for s in older_renders if start < s < end]
    assert any(s > end for s in older_renders)  # it was still speaking


def test_concurrent_requests_without_the_scheduler_finish_with_their_own_audio(models):
    """batch_rows 0: each request decodes under the engine's lock while new requests reserve it
    for their first audio; several new requests at once must not wait for each other."""
    from tts import TTSEngine

    engine = TTSEngine(models.bert, models.hubert, device="cpu", batch_rows=0)
    voice = engine.load_voice(models.gpt, models.sovits, models.ref_audio, models.ref_text)
    options = SynthesisOptions(max_tokens=16, top_k=30, chunk_tokens=4)
    texts = ["今天天气很好。", "春天来了，花都开了。", "你好，world。"]

    def run(i):
        return [c.pcm.tobytes() for c in engine.stream(texts[i], voice, options, seed=i)]

    expected = [run(i) for i in range(len(texts))]
    results: dict[int, list[bytes]] = {}
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, run(i)), daemon=True)
               for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "concurrent requests deadlocked"
    assert [results[i] for i in range(len(texts))] == expected
