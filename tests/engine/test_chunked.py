"""Token-chunked vocoding (tts.chunked): what changes when a segment is sent in parts, and what does not."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from tts import SynthesisOptions
from tts.chunked import CROSSFADE_FRAMES, HOLD_FRAMES, ChunkedVocoder, chunk_boundaries
from tts.models.sovits import DEC_CONTEXT_FRAMES
from tts.models.t2s_generate import DecodingRow

TEXT = "今天天气很好，我们一起去公园散步吧。"


@pytest.mark.parametrize("first, limit, expected", [
    (8, 60, [8, 24, 56]),
    (8, 8, []),
    (10, 11, [10]),
    (1, 16, [1, 3, 7, 15]),
])
def test_chunks_start_small_and_double(first, limit, expected):
    assert chunk_boundaries(first, limit) == expected


def test_chunk_size_must_be_positive():
    with pytest.raises(ValueError, match="first_tokens must be >= 1, got 0"):
        chunk_boundaries(0, 10)


def test_engine_rejects_a_bad_chunk_size(engine, voice):
    with pytest.raises(ValueError, match="chunk_tokens must be None or an integer >= 1, got 0"):
        engine.synthesize("你好。", voice, SynthesisOptions(chunk_tokens=0))


def test_chunked_stream_sends_each_segment_in_parts_of_the_whole_length(engine, voice):
    whole = list(engine.stream(TEXT, voice, SynthesisOptions(max_tokens=40), seed=3))
    chunked = list(engine.stream(TEXT, voice, SynthesisOptions(max_tokens=40, chunk_tokens=6), seed=3))
    assert len(whole) == 2  # two pieces at "，"
    # 40 tokens per piece: renders after 6, 18 tokens, then the end -> 3 parts per piece
    assert [c.final for c in chunked] == [False, False, True] * 2
    assert [c.stats is not None for c in chunked] == [c.final for c in chunked]
    for i, w in enumerate(whole):
        parts = chunked[3 * i: 3 * i + 3]
        assert {c.text for c in parts} == {w.text}
        assert sum(len(c.pcm) for c in parts) == len(w.pcm)  # same frames, same silence interval
        assert parts[-1].stats.tokens == w.stats.tokens == 40
        # the first part covers the first 6 tokens' frames minus the ones held back for the crossfade
        hop = len(w.pcm[: -int(w.sample_rate * 0.3)]) // (2 * 40)
        assert len(parts[0].pcm) == (2 * 6 - HOLD_FRAMES) * hop
    assert np.all(chunked[-1].pcm[-int(chunked[-1].sample_rate * 0.3):] == 0)


def test_chunked_audio_is_deterministic_and_close_to_the_whole_render(engine, voice):
    sr, whole = engine.synthesize(TEXT, voice, SynthesisOptions(max_tokens=30), seed=4)
    _, a = engine.synthesize(TEXT, voice, SynthesisOptions(max_tokens=30, chunk_tokens=5), seed=4)
    _, b = engine.synthesize(TEXT, voice, SynthesisOptions(max_tokens=30, chunk_tokens=5), seed=4)
    assert np.array_equal(a, b)
    assert len(a) == len(whole) and not np.array_equal(a, whole)  # own noise, prefix-only text encoder


def test_a_segment_shorter_than_the_first_chunk_is_the_whole_render(engine, voice):
    _, whole = engine.synthesize(TEXT, voice, SynthesisOptions(max_tokens=12), seed=5)
    _, chunked = engine.synthesize(TEXT, voice, SynthesisOptions(max_tokens=12, chunk_tokens=12), seed=5)
    assert np.array_equal(whole, chunked)


def test_chunking_leaves_every_segments_tokens_alone(engine, voice, monkeypatch):
    """The request's generator makes the same draws with and without chunks (the whole-segment
    noise is drawn all the same), so every segment, not only the first, gets the same tokens."""
    original = DecodingRow.draw

    def tokens_of(**kw):
        seen: dict[DecodingRow, list[int]] = {}

        def recording(row):
            token = original(row)
            if token is not None:
                seen.setdefault(row, []).append(token)
            return token

        monkeypatch.setattr(DecodingRow, "draw", recording)
        options = SynthesisOptions(max_tokens=20, top_k=50, **kw)
        list(engine.stream(TEXT + "春天来了，花都开了。", voice, options, seed=6))
        monkeypatch.setattr(DecodingRow, "draw", original)
        return list(seen.values())

    whole, chunked = tokens_of(), tokens_of(chunk_tokens=5)
    assert len(whole) == 4 and chunked == whole


def test_one_final_render_equals_the_models_decode(engine, voice):
    loaded = engine.voices.get(voice)
    phones = torch.tensor(engine.frontend.text_to_phones("你好。", "zh", "v2").ids)
    tokens = torch.randint(0, 1024, (15,), generator=torch.Generator().manual_seed(0))
    vocoder = ChunkedVocoder(loaded.sovits, phones, loaded.prompt.ge, 0.5, 1.0, torch.Generator().manual_seed(1))
    got = vocoder.render(tokens.tolist(), final=True)
    noise = torch.randn((1, loaded.sovits.config.inter_channels, 30), generator=torch.Generator().manual_seed(1))
    expected = loaded.sovits.decode(tokens, phones, ge=loaded.prompt.ge, noise=noise, noise_scale=0.5)
    assert np.array_equal(got, expected.numpy())


def test_parts_join_with_the_held_back_frames_crossfaded(engine, voice):
    """Two renders of the same tokens: the second sends the held-back frames, blended from the
    first render's audio into the second's (equal here: same tokens, same noise, enough context)."""
    loaded = engine.voices.get(voice)
    phones = torch.tensor(engine.frontend.text_to_phones("你好。", "zh", "v2").ids)
    tokens = torch.randint(0, 1024, (20,), generator=torch.Generator().manual_seed(2)).tolist()
    vocoder = ChunkedVocoder(loaded.sovits, phones, loaded.prompt.ge, 0.5, 1.0, torch.Generator().manual_seed(3))
    first = vocoder.render(tokens, final=False)
    rest = vocoder.render(tokens, final=True)
    hop = len(first) // (40 - HOLD_FRAMES)
    assert len(rest) == HOLD_FRAMES * hop and vocoder.sent == 40
    whole = ChunkedVocoder(loaded.sovits, phones, loaded.prompt.ge, 0.5, 1.0,
                           torch.Generator().manual_seed(3)).render(tokens, final=True)
    joined = np.concatenate([first, rest])
    # the held-back frames had HOLD - CROSSFADE frames of right context in the first render;
    # everything else matches the one-shot render up to float rounding
    assert DEC_CONTEXT_FRAMES >= 9
    np.testing.assert_allclose(joined[: (40 - HOLD_FRAMES) * hop], whole[: (40 - HOLD_FRAMES) * hop], atol=1e-6)
    np.testing.assert_allclose(joined[(40 - HOLD_FRAMES + CROSSFADE_FRAMES) * hop:],
                               whole[(40 - HOLD_FRAMES + CROSSFADE_FRAMES) * hop:], atol=1e-5)


def test_cancel_stops_a_chunked_segment(engine, voice):
    cancel = threading.Event()
    chunks = engine.stream(TEXT, voice, SynthesisOptions(max_tokens=40, chunk_tokens=4), seed=0, cancel=cancel)
    first = next(chunks)
    assert not first.final
    cancel.set()
    assert list(chunks) == []
