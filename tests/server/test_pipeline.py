"""The pipeline in process: overlap of LLM and TTS, cancellation, admission, error statuses, the bytes of
WAV files and of whole and streamed FLAC and MP3 files."""

from __future__ import annotations

import asyncio
import hashlib
import io
import struct

import av
import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from LLM import LLMError, PromptTooLong
from server.app import Models, create_app
from server.errors import RequestError
from server.audio import open_encoder
from server.pipeline import ChatService, Done, TextDelta
from server.responses import encoded
from server.schemas import ChatRequest
from server.audio import UNKNOWN_SIZE, encode, encode_wav, wav_header
from tests.server.conftest import flac_streaminfo


class ScriptedChat:
    """A chat model that streams given pieces; waits on ``gate`` after the first piece when one is given;
    ``forever`` keeps writing until closed. Records whether its stream was closed early."""

    generations_running = 0  # ChatModel: nothing runs outside the stream itself

    def __init__(self, pieces, gate: asyncio.Event | None = None, forever: bool = False, error: Exception | None = None):
        self.pieces, self.gate, self.forever, self.error = pieces, gate, forever, error
        self.finished = False
        self.closed_early = False
        self.prompts: list[str] = []

    async def stream(self, user_input, system_prompt, history=None, *, options=None):
        self.prompts.append(system_prompt)
        if self.error is not None:
            raise self.error
        try:
            for i, piece in enumerate(self.pieces):
                yield piece
                if i == 0 and self.gate is not None:
                    await self.gate.wait()
                await asyncio.sleep(0)
            while self.forever:
                yield "还有。"
                await asyncio.sleep(0.001)
            self.finished = True
        finally:
            if not self.finished:
                self.closed_early = True

    def close(self):
        pass


@pytest.fixture(scope="module")
def demo_config(demo_cache):
    from server.demo import build_demo_config

    return build_demo_config(demo_cache)


@pytest.fixture(scope="module")
def engine(demo_config):
    from tts import TTSEngine

    t = demo_config.tts
    return TTSEngine(t.bert_path, t.cnhubert_path, device="cpu")


def run(coro):
    """asyncio.run with a deadlock guard: a hang fails the test instead of stalling the suite."""
    return asyncio.run(asyncio.wait_for(coro, 300))


def request(**kw) -> ChatRequest:
    return ChatRequest(**{"input": "你好", "speaker": "Nahida", "seed": 0, **kw})


async def next_audio(stream) -> bytes:
    while True:
        chunk = await stream.__anext__()
        if chunk[:4] != b"RIFF":
            return chunk


async def wav_of(svc, job):
    """The job's answer as the WAV stream of stream mode."""
    voice = await svc.voice(job)
    return encoded(svc.events(job, voice), open_encoder("wav", voice.sample_rate))


def with_chunk_tokens(config, n):
    return config.model_copy(update={"server": config.server.model_copy(update={"stream_chunk_tokens": n})})


@pytest.mark.parametrize("chunk_tokens", [None, 8])
def test_first_segment_is_spoken_while_the_llm_is_still_writing(demo_config, engine, chunk_tokens):
    config = with_chunk_tokens(demo_config, chunk_tokens)

    async def main():
        gate = asyncio.Event()
        chat = ScriptedChat(["你好呀旅行者。今天", "天气很好，", "我们一起去散步吧。"], gate=gate)  # a cut is certain at the next character
        svc = ChatService(config, chat, engine)
        job = svc.open_job(request())
        voice = await svc.voice(job)
        stream = encoded(svc.events(job, voice), open_encoder("wav", voice.sample_rate))
        header = await stream.__anext__()
        first = await next_audio(stream)  # the LLM is parked after its first sentence until the gate opens
        assert not chat.finished
        gate.set()
        rest = [c async for c in stream]
        await job.close()
        return svc, chat, header, first, rest

    svc, chat, header, first, rest = run(main())
    assert chat.finished and not chat.closed_early
    assert len(header) == 44 and len(first) > 0
    if chunk_tokens is None:
        # "今天天气很好，我们一起去散步吧。" is one segment (12 chars minimum); the engine cuts it at "，" and
        # each piece goes out as soon as it is synthesized
        assert len(rest) == 2
    else:  # and each piece in chunks of 8, 16, 32... tokens (the random demo GPT never stops early)
        assert len(rest) > 2
    assert (svc.counters.completed, svc.counters.active, svc.counters.cancelled) == (1, 0, 0)
    assert chat.prompts == [demo_config.speaker("Nahida").prompt]


def test_only_the_replys_first_audio_goes_before_other_requests(demo_config, engine, monkeypatch):
    """Each sentence of a reply is its own engine.stream call; only the first is the request's
    first audio (the engine's priority and lock reservation), the others queue as usual."""
    calls: list[bool] = []
    stream = engine.stream

    def recording(*args, first_audio=True, **kwargs):
        calls.append(first_audio)
        return stream(*args, first_audio=first_audio, **kwargs)

    monkeypatch.setattr(engine, "stream", recording)

    async def main():
        svc = ChatService(demo_config, ScriptedChat(["你好呀旅行者。", "今天天气很好。", "我们去散步吧。"]), engine)
        job = svc.open_job(request())
        parts = [c async for c in (await wav_of(svc, job))]
        await job.close()
        return parts

    assert len(run(main())) > 3
    assert len(calls) >= 2 and calls == [True] + [False] * (len(calls) - 1)


def test_chunked_stream_has_the_length_of_whole_segments(demo_config, engine):
    """Chunking changes when audio is sent, not how much: same seed, same number of samples."""
    def body(n):
        async def main():
            svc = ChatService(with_chunk_tokens(demo_config, n), ScriptedChat(["你好呀旅行者。", "今天天气很好。"]), engine)
            job = svc.open_job(request(seed=7))
            parts = [c async for c in (await wav_of(svc, job))]
            await job.close()
            return parts
        return run(main())

    whole, chunked = body(None), body(8)
    assert len(chunked) > len(whole) >= 3
    assert whole[0] == chunked[0]  # the header
    assert len(b"".join(chunked)) == len(b"".join(whole))


def test_closing_a_stream_stops_the_llm_and_counts_a_cancel(demo_config, engine):
    async def main():
        chat = ScriptedChat(["你好呀。"], forever=True)
        svc = ChatService(demo_config, chat, engine)
        job = svc.open_job(request())
        stream = await wav_of(svc, job)
        await stream.__anext__()
        await next_audio(stream)
        await stream.aclose()  # what the server does when the client goes away
        await job.close()
        await job.close()  # idempotent
        return svc, chat, job

    svc, chat, job = run(main())
    assert chat.closed_early and job.cancel.is_set()
    assert (svc.counters.cancelled, svc.counters.completed, svc.counters.active) == (1, 0, 0)


def test_stream_of_a_reply_with_nothing_to_say_is_a_short_silence(demo_config, engine):
    async def main():
        svc = ChatService(demo_config, ScriptedChat(["（微笑）", "😀"]), engine)
        job = svc.open_job(request())
        chunks = [c async for c in (await wav_of(svc, job))]
        await job.close()
        return chunks

    chunks = run(main())
    assert len(chunks) == 2 and len(chunks[1]) == int(32000 * 0.3) * 2
    assert not any(chunks[1])


def test_a_reply_after_an_action_never_closed_is_spoken(demo_config, engine):
    """The cleaner holds the text after an open "*" back; at the reply's end it releases what follows
    that sentence, and the pipeline speaks it (it used to be dropped: 0 characters spoken)."""
    async def main():
        svc = ChatService(demo_config, ScriptedChat(["*笑着", "看向你 你好！", "今天天气很好。"]), engine)
        job = svc.open_job(request())
        events = [e async for e in svc.events(job, await svc.voice(job))]
        await job.close()
        return events

    events = run(main())
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "今天天气很好。"
    assert [e.text for e in events if isinstance(e, Done)] == ["今天天气很好。"]


def test_requests_over_the_limit_get_503_with_retry_after(demo_config, engine):
    config = demo_config.model_copy(update={"server": demo_config.server.model_copy(
        update={"max_pending_requests": 1, "retry_after_s": 7})})
    svc = ChatService(config, ScriptedChat(["你好。"]), engine)
    svc.open_job(request())
    with pytest.raises(RequestError) as info:
        svc.open_job(request())
    assert info.value.status == 503 and info.value.headers == {"Retry-After": "7"}
    assert info.value.detail == ("busy: 1 requests in progress (server.max_pending_requests = 1); retry later")
    assert svc.counters.rejected == 1


def test_history_over_the_limit_is_refused(demo_config, engine):
    svc = ChatService(demo_config, ScriptedChat([]), engine)
    turns = [{"role": "user", "content": "嗨"}] * 21
    with pytest.raises(RequestError, match=r"^history has 21 turns; the limit is 20 \(server.max_history_turns\)$"):
        svc.open_job(request(history=turns))


@pytest.mark.parametrize("mode", ["stream", "non-stream"])
@pytest.mark.parametrize("error, status", [
    (LLMError("LLM server http://127.0.0.1:1/v1/chat/completions is unreachable: x"), 502),
    (PromptTooLong("the prompt is longer than the 100 tokens ..."), 422),  # the client's to fix
])
def test_llm_failure_is_a_json_error_and_counted(demo_config, engine, mode, error, status):
    chat = ScriptedChat([], error=error)
    app = create_app(demo_config, mode=mode, models=Models(chat=chat, engine=engine))
    with TestClient(app) as client:
        r = client.post("/chat2audio", json={"input": "你好", "speaker": "Nahida"})
        if mode == "non-stream":
            assert r.status_code == status
            assert r.json() == {"detail": f"{type(error).__name__}: {error}"}
        else:  # the header is already sent when the LLM fails: the stream is cut short (over real HTTP:
            # test_reliability), which TestClient does not show
            assert r.status_code == 200 and len(r.content) == 44
        counters = client.get("/health").json()["requests"]
    assert (counters["failed"], counters["active"]) == (1, 0)


@pytest.mark.parametrize("mode", ["stream", "non-stream"])
def test_any_llm_failure_is_a_failed_request_never_a_silent_success(demo_config, engine, mode, caplog):
    chat = ScriptedChat([], error=TypeError("'NoneType' object is not iterable"))  # a backend bug, not an LLMError
    app = create_app(demo_config, mode=mode, models=Models(chat=chat, engine=engine))
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.post("/chat2audio", json={"input": "你好", "speaker": "Nahida"})
        if mode == "non-stream":
            assert r.status_code == 500
            assert r.json() == {"detail": "internal error (TypeError); the server log has the details"}
        else:  # headers already sent: the stream is cut short without audio, and the failure is counted
            assert r.status_code == 200 and len(r.content) == 44
        counters = client.get("/health").json()["requests"]
    assert (counters["failed"], counters["completed"], counters["active"]) == (1, 0, 0)
    assert "'NoneType' object is not iterable" in caplog.text  # the log says what happened


def test_non_stream_reply_text_is_the_cleaned_reply(demo_config, engine):
    chat = ScriptedChat(["（挥手）你好，", "旅行者！😀"])
    app = create_app(demo_config, mode="non-stream", models=Models(chat=chat, engine=engine))
    with TestClient(app) as client:
        r = client.post("/chat2audio", json={"input": "你好", "speaker": "Klee", "seed": 3})
    assert r.status_code == 200
    assert r.headers["x-reply-text"] == "%E4%BD%A0%E5%A5%BD%EF%BC%8C%E6%97%85%E8%A1%8C%E8%80%85%EF%BC%81"  # 你好，旅行者！
    pcm, sr = sf.read(io.BytesIO(r.content), dtype="int16")
    assert sr == 32000 and pcm.size > 0


def test_wav_header_bytes():
    assert wav_header(32000, 10) == (b"RIFF" + struct.pack("<I", 56) + b"WAVEfmt " + struct.pack(
        "<IHHIIHH", 16, 1, 1, 32000, 64000, 2, 16) + b"data" + struct.pack("<I", 20))
    stream = wav_header(32000, None)
    assert struct.unpack("<I", stream[4:8])[0] == UNKNOWN_SIZE == struct.unpack("<I", stream[40:44])[0]
    with pytest.raises(ValueError, match="sample_rate must be > 0"):
        wav_header(0, 1)


def test_encode_wav_round_trips_through_soundfile():
    pcm = (np.sin(np.arange(1000) / 5) * 20000).astype(np.int16)
    back, sr = sf.read(io.BytesIO(encode_wav(pcm, 24000)), dtype="int16")
    assert sr == 24000 and np.array_equal(back, pcm)
    stream = wav_header(24000, None) + pcm.tobytes()
    back, _ = sf.read(io.BytesIO(stream), dtype="int16")  # a player reading a finished stream
    assert np.array_equal(back, pcm)


def test_a_whole_flac_has_its_length_and_md5_and_round_trips_through_soundfile():
    pcm = (np.sin(np.arange(40000) / 5) * 20000).astype(np.int16)
    data = encode(pcm, 32000, "flac")
    assert flac_streaminfo(data) == (len(pcm), hashlib.md5(pcm.tobytes()).digest())
    back, sr = sf.read(io.BytesIO(data), dtype="int16")
    assert sr == 32000 and np.array_equal(back, pcm)


def test_a_whole_mp3_decodes_to_exactly_its_samples():
    pcm = (np.sin(np.arange(40000) / 5) * 20000).astype(np.int16)
    back, sr = sf.read(io.BytesIO(encode(pcm, 32000, "mp3")), dtype="int16")  # the Xing/LAME frame's length
    assert sr == 32000 and len(back) == len(pcm)


def test_a_streamed_flac_is_sent_as_it_is_made_with_its_length_unknown():
    pcm = (np.sin(np.arange(40000) / 5) * 20000).astype(np.int16)
    encoder = open_encoder("flac", 32000)
    parts = [encoder.start(), *(encoder.feed(chunk) for chunk in np.array_split(pcm, 4))]
    assert sum(map(len, parts)) > 0  # before finish
    data = b"".join(parts) + encoder.finish()
    assert flac_streaminfo(data) == (0, bytes(16))  # the header left before the audio was known
    with av.open(io.BytesIO(data)) as container:  # ffmpeg reads it whole
        back = np.concatenate([frame.to_ndarray().reshape(-1) for frame in container.decode(audio=0)])
    assert np.array_equal(back, pcm)


def test_preload_voices_loads_every_speaker_at_start(demo_config, engine):
    config = demo_config.model_copy(update={"tts": demo_config.tts.model_copy(update={"preload_voices": True})})
    app = create_app(config, mode="stream", models=Models(chat=ScriptedChat([]), engine=engine))
    with TestClient(app) as client:
        speakers = client.get("/speakers").json()
    assert [s["loaded"] for s in speakers] == [True] * 7
    assert {s["sample_rate"] for s in speakers} == {32000}


def test_t2s_batch_and_batch_rows_from_the_config_reach_the_engine_and_a_non_stream_reply(demo_config):
    from server.app import load_models

    config = demo_config.model_copy(update={"tts": demo_config.tts.model_copy(update={"t2s_batch": 3, "batch_rows": 5})})
    models = load_models(config)
    assert models.engine.t2s_batch == 3 and models.engine.scheduler.max_rows == 5
    chat = ScriptedChat(["今天天气很好。", "我们一起去散步吧！", "你想去哪里？"])
    app = create_app(config, mode="non-stream", models=Models(chat=chat, engine=models.engine))
    with TestClient(app) as client:
        r = client.post("/chat2audio", json={"input": "你好", "speaker": "Klee", "seed": 3})
    assert r.status_code == 200
    pcm, sr = sf.read(io.BytesIO(r.content), dtype="int16")
    assert sr == 32000 and pcm.size > 0


def test_speech_routes_share_the_admission_limit(demo_config, engine):
    config = demo_config.model_copy(update={"server": demo_config.server.model_copy(
        update={"max_pending_requests": 1, "retry_after_s": 7})})
    app = create_app(config, mode="stream", models=Models(chat=ScriptedChat([]), engine=engine))
    with TestClient(app) as client:
        held = app.state.service.open_job(request())  # the only slot is taken
        answers = [client.post("/v1/audio/speech", json={"model": "tts-1", "input": "你好", "voice": "Nahida"}),
                   client.get("/tts", params={"text": "你好", "cha_name": "Nahida"}),
                   client.post("/", json={"text": "你好", "ref_audio_path": "./参考音频/Nahida.wav"}),
                   client.post("/tts", json={"text": "你好", "text_lang": "zh", "speaker": "Nahida"})]
        for r in answers:
            assert (r.status_code, r.headers["retry-after"]) == (503, "7")
            assert r.json()["detail"].startswith("busy: 1 requests in progress")
        run(held.close())
        assert client.get("/health").json()["requests"]["rejected"] == 4
        assert client.post("/tts", json={"text": "你好", "text_lang": "zh", "speaker": "Nahida"}).status_code == 200


def test_demo_mode_can_serve_a_v2pro_voice(demo_cache):
    from server.app import load_models
    from server.demo import build_demo_config

    config = build_demo_config(demo_cache, version="v2Pro")
    assert config.tts.sv_path is not None and config.tts.sv_path.is_file()
    models = load_models(config)
    chat = ScriptedChat(["你好呀，旅行者。"])
    app = create_app(config, mode="non-stream", models=Models(chat=chat, engine=models.engine))
    with TestClient(app) as client:
        r = client.post("/chat2audio", json={"input": "你好", "speaker": "Nahida", "seed": 2})
    assert r.status_code == 200
    pcm, sr = sf.read(io.BytesIO(r.content), dtype="int16")
    assert sr == 32000 and pcm.size > 0 and np.abs(pcm).max() > 1000  # audible, as the v2 demo voice
    assert models.engine.voices.get(app.state.service.voices.load_blocking("Nahida")).voice.version == "v2Pro"


@pytest.mark.parametrize("fmt", ["mp3", "opus", "aac", "flac", "wav"])
def test_an_encoder_of_an_answer_cut_short_can_be_closed_at_any_point(fmt):
    from server.audio import open_encoder

    cut = open_encoder(fmt, 32000)
    cut.start(), cut.feed(np.zeros(3200, dtype=np.int16))
    cut.close()  # a client gone mid-answer: the codec is freed now (it held threads until garbage collection)
    cut.close()
    whole = open_encoder(fmt, 32000)
    data = whole.start() + whole.feed(np.zeros(3200, dtype=np.int16)) + whole.finish()
    whole.close()  # what every streamed answer does at its end, finished or not
    assert len(data) > 0
