"""The clients people already use, over real HTTP against both entrypoints (--demo): OpenAI's
speech API (and its official Python client), SillyTavern's GPT-SoVITS-V2 and GSVI providers,
GPT-SoVITS api_v2 scripts, every audio format, /chat2audio's formats and events, CORS, offline docs."""

from __future__ import annotations

import base64
import io
import json
import os
import stat

import av
import httpx
import numpy as np
import pytest
import soundfile as sf

from tests.server.conftest import flac_streaminfo, requests_of

SPEAKER = "Nahida"
TEXT = "今天天气很好，我们一起去公园散步吧。"


def decode(data: bytes) -> tuple[np.ndarray, int]:
    """Any compressed answer back to samples (mono, its own rate)."""
    with av.open(io.BytesIO(data)) as container:
        frames = [f.to_ndarray().reshape(-1) for f in container.decode(audio=0)]
        rate = container.streams.audio[0].rate
    return np.concatenate(frames), rate


def wav_samples(data: bytes) -> np.ndarray:
    assert data[:4] == b"RIFF" and data[36:40] == b"data"
    return np.frombuffer(data[44:], dtype="<i2")


def speech(server, **kw) -> httpx.Response:
    body = {"model": "tts-1", "input": TEXT, "voice": SPEAKER, "seed": 3, **kw}
    return httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=120)


# ---- OpenAI speech API ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference_wav(stream_server):
    r = speech(stream_server, response_format="wav")
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    return r.content


@pytest.mark.parametrize("fmt, content_type", [("mp3", "audio/mpeg"), ("opus", "audio/ogg"), ("aac", "audio/aac"),
                                               ("flac", "audio/flac"), ("pcm", "audio/pcm"), ("wav", "audio/wav")])
def test_openai_speech_in_every_format_decodes_to_the_wav_of_the_same_request(server, reference_wav, fmt,
                                                                               content_type):
    pcm = wav_samples(reference_wav)
    seconds = len(pcm) / 32000
    r = speech(server, response_format=fmt)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == content_type
    assert "content-length" not in r.headers  # chunked: sent as it was synthesized
    if fmt == "wav":
        assert r.content == reference_wav
    elif fmt == "pcm":
        assert r.headers["x-sample-rate"] == "32000"
        assert np.array_equal(np.frombuffer(r.content, dtype="<i2"), pcm)
    else:
        samples, rate = decode(r.content)
        assert rate == (48000 if fmt == "opus" else 32000) == int(r.headers["x-sample-rate"])
        assert abs(len(samples) / rate - seconds) < 0.1  # codec frames and priming only
        if fmt == "flac":  # lossless
            assert np.array_equal(samples, pcm)


def test_openai_speech_defaults_to_mp3_and_takes_a_voice_object(server):
    r = httpx.post(f"{server.url}/v1/audio/speech", json={"model": "gpt-4o-mini-tts", "input": "你好",
                                                           "voice": {"id": SPEAKER}, "instructions": "cheerful"},
                   timeout=120)
    assert r.status_code == 200 and r.headers["content-type"] == "audio/mpeg"
    samples, rate = decode(r.content)
    assert rate == 32000 and samples.size > 0


def test_openai_speech_events(server, reference_wav):
    with httpx.stream("POST", f"{server.url}/v1/audio/speech", timeout=120,
                      json={"model": "tts-1", "input": TEXT, "voice": SPEAKER, "seed": 3, "response_format": "wav",
                            "stream_format": "sse"}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = [json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: ")]
    kinds = [e["type"] for e in events]
    assert kinds[-1] == "speech.audio.done" and set(kinds[:-1]) == {"speech.audio.delta"} and len(kinds) > 3
    audio = b"".join(base64.b64decode(e["audio"]) for e in events[:-1])
    assert np.array_equal(wav_samples(audio), wav_samples(reference_wav))
    usage = events[-1]["usage"]
    assert usage["input_tokens"] == len(TEXT) and usage["output_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


def test_the_official_openai_client_streams_speech(server, reference_wav):
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="anything", max_retries=0)
    with client.audio.speech.with_streaming_response.create(model="tts-1", voice=SPEAKER, input=TEXT,
                                                             response_format="wav", extra_body={"seed": 3}) as r:
        chunks = list(r.iter_bytes())
    assert b"".join(chunks) == reference_wav
    voices = client.get("/audio/voices", cast_to=object)
    assert {"id": SPEAKER, "name": SPEAKER} in voices["voices"]
    assert "tts-1" in [m.id for m in client.models.list()]


def test_openai_speech_speed_is_clamped_and_said(server):
    r = speech(server, response_format="pcm", speed=4.0, input="你好")
    assert r.status_code == 200 and r.headers["x-speed"] == "2"
    r = speech(server, response_format="pcm", speed=4.0, input="你好", stream_format="sse")
    assert r.status_code == 200 and r.headers["x-speed"] == "2" and r.text.startswith("data: ")
    r = speech(server, response_format="pcm", speed=5.0)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "speed"]


def test_openai_speech_errors(server):
    r = speech(server, voice="alloy")
    assert r.status_code == 404 and r.json()["detail"].startswith("unknown speaker 'alloy'; known speakers: ")
    r = speech(server, input="好" * 4097)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "input"]
    r = speech(server, response_format="ogg-vorbis")
    assert r.status_code == 422
    assert httpx.get(f"{server.url}/v1/models", timeout=30).json()["object"] == "list"
    assert {"id": "chat2audio"} in httpx.get(f"{server.url}/v1/audio/models", timeout=30).json()["models"]


def test_openai_speech_disconnect_stops_the_synthesis(stream_server):
    before = requests_of(stream_server)
    body = {"model": "tts-1", "input": "，".join([TEXT] * 12), "voice": SPEAKER, "response_format": "pcm"}
    with httpx.stream("POST", f"{stream_server.url}/v1/audio/speech", json=body, timeout=120) as r:
        next(r.iter_raw())  # the first audio, then the client goes away
    for _ in range(3000):
        now = requests_of(stream_server)
        if now["cancelled"] > before["cancelled"] and now["active"] == 0:
            break
    else:
        pytest.fail(f"the disconnect was not noticed: {now}")
    assert now["completed"] == before["completed"]


# ---- SillyTavern: GPT-SoVITS-V2 provider ------------------------------------------------------


def test_sillytavern_gpt_sovits_v2_provider(server):
    voices = httpx.get(f"{server.url}/speakers", timeout=30).json()
    match = [v for v in voices if v["name"] == SPEAKER][0]  # the provider's getVoice
    assert match["voice_id"] == SPEAKER
    params = {  # exactly what the provider posts (fetchTtsGeneration)
        "text": TEXT, "prompt_text": match["voice_id"], "ref_audio_path": "./参考音频/" + match["voice_id"] + ".wav",
        "text_lang": "zh", "prompt_lang": "zh", "text_split_method": "cut5", "batch_size": 1,
        "media_type": "ogg", "streaming_mode": "true"}
    r = httpx.post(f"{server.url}/", json=params, timeout=120)
    assert r.status_code == 200 and r.headers["content-type"] == "audio/ogg"
    samples, rate = decode(r.content)
    assert rate == 48000 and samples.size > 24000
    for media, ctype in (("wav", "audio/wav"), ("mp3", "audio/mpeg"), ("flac", "audio/flac")):
        r = httpx.post(f"{server.url}/", json={**params, "media_type": media, "streaming_mode": False}, timeout=120)
        assert r.status_code == 200 and r.headers["content-type"] == ctype
        assert "content-length" in r.headers  # streaming_mode false: one whole file


# ---- SillyTavern: GSVI provider ---------------------------------------------------------------


def test_sillytavern_gsvi_provider(server):
    characters = httpx.get(f"{server.url}/character_list", timeout=30).json()
    assert list(characters)[:2] == ["Firefly", "Klee"] and characters[SPEAKER] == ["default"]
    query = {"text": TEXT, "cha_name": SPEAKER, "text_language": "多语种混合", "batch_size": "10", "speed": "1",
             "top_k": "6", "top_p": "0.85", "temperature": "0.75"}
    whole = httpx.get(f"{server.url}/tts", params={**query, "stream": "false"}, timeout=120)
    assert whole.status_code == 200 and whole.headers["content-type"] == "audio/wav"
    assert len(wav_samples(whole.content)) * 2 == len(whole.content) - 44
    with httpx.stream("GET", f"{server.url}/tts", params={**query, "stream": "true"}, timeout=120) as r:
        assert r.status_code == 200 and "content-length" not in r.headers
        streamed = b"".join(r.iter_raw())
    assert streamed[4:8] == b"\xff\xff\xff\xff"  # the streamed WAV's unknown length
    r = httpx.get(f"{server.url}/tts", params={**query, "text_language": "日文"}, timeout=30)
    assert r.status_code == 422 and "日文" in r.json()["detail"]
    r = httpx.get(f"{server.url}/tts", params={**query, "text": "你好。こんにちは。"}, timeout=30)  # 多语种混合: detected
    assert (r.status_code, r.json()) == (422, {"detail": "text piece 'こんにちは。' was detected as 'ja': this server "
                                                         "speaks Chinese and English only"})


# ---- GPT-SoVITS api_v2 ------------------------------------------------------------------------


def test_api_v2_get_and_post(server, reference_wav):
    query = {"text": TEXT, "text_lang": "zh", "ref_audio_path": f"{SPEAKER}.wav", "prompt_lang": "zh", "seed": "3",
             "text_split_method": "cut5", "batch_size": "1", "media_type": "raw", "streaming_mode": "true"}
    r = httpx.get(f"{server.url}/tts", params=query, timeout=120)
    assert r.status_code == 200 and r.headers["content-type"] == "audio/pcm"
    assert np.array_equal(np.frombuffer(r.content, dtype="<i2"), wav_samples(reference_wav))  # same seed, same audio
    r = httpx.post(f"{server.url}/tts", timeout=120, json={
        "text": TEXT, "text_lang": "zh", "speaker": SPEAKER, "seed": 3, "media_type": "wav", "streaming_mode": 0,
        "top_k": 15, "top_p": 1, "speed_factor": 1.0, "repetition_penalty": 1.35,  # temperature: the speaker's
        "prompt_text": "", "parallel_infer": True, "sample_steps": 32})
    assert r.status_code == 200 and r.content == reference_wav[:4] + r.content[4:]
    assert np.array_equal(wav_samples(r.content), wav_samples(reference_wav))
    for media, ctype in (("ogg", "audio/ogg"), ("aac", "audio/aac")):
        r = httpx.post(f"{server.url}/tts", json={"text": "你好。", "text_lang": "zh", "speaker": SPEAKER,
                                                  "media_type": media, "streaming_mode": 2}, timeout=120)
        assert r.status_code == 200 and r.headers["content-type"] == ctype and decode(r.content)[0].size > 0


def test_api_v2_never_opens_a_path_the_request_names(server, tmp_path):
    # A FIFO: opening it for reading would block the server until a writer comes; the answer comes
    # at once and nobody holds it open afterwards, so the server never opened it.
    secret = tmp_path / "Secret.wav"
    os.mkfifo(secret)
    for request in ({"method": "GET", "url": "/tts", "params": {"text": "你好", "text_lang": "zh",
                                                              "ref_audio_path": str(secret)}},
                    {"method": "POST", "url": "/tts", "json": {"text": "你好", "text_lang": "zh", "speaker": SPEAKER,
                                                               "ref_audio_path": str(secret)}},
                    {"method": "POST", "url": "/tts", "json": {"text": "你好", "text_lang": "zh", "speaker": SPEAKER,
                                                               "aux_ref_audio_paths": [str(secret)]}},
                    {"method": "POST", "url": "/", "json": {"text": "你好", "ref_audio_path": str(secret)}}):
        r = httpx.request(timeout=30, **{**request, "url": server.url + request["url"]})
        assert r.status_code == 403, r.text
        assert "never opens a path" in r.json()["detail"]
    assert stat.S_ISFIFO(secret.stat().st_mode)
    with pytest.raises(OSError):  # ENXIO: no process has the FIFO open for reading
        os.close(os.open(secret, os.O_WRONLY | os.O_NONBLOCK))


@pytest.mark.parametrize("path", ["/set_gpt_weights?weights_path=/tmp/x.ckpt", "/set_sovits_weights?weights_path=x",
                                  "/set_refer_audio?refer_audio_path=x.wav", "/control?command=exit"])
def test_api_v2_routes_that_load_files_or_stop_the_server_are_refused(server, path):
    r = httpx.get(server.url + path, timeout=30)
    assert r.status_code == 403 and "does not load files, switch models or stop on request" in r.json()["detail"]
    assert httpx.get(f"{server.url}/health", timeout=30).status_code == 200


def test_api_v2_errors(server):
    r = httpx.get(f"{server.url}/tts", params={"text": "你好", "text_lang": "ja", "speaker": SPEAKER}, timeout=30)
    assert r.status_code == 422 and r.json()["detail"].startswith("text_lang 'ja' is not supported")
    r = httpx.get(f"{server.url}/tts", params={"text": "你好", "text_lang": "zh"}, timeout=30)
    assert r.status_code == 422 and r.json()["detail"].startswith("no voice: pass speaker=<name>")
    r = httpx.get(f"{server.url}/tts", params={"text": "你好", "text_lang": "zh", "speaker": SPEAKER,
                                               "top_p": "nan"}, timeout=30)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["query", "top_p"]
    r = httpx.post(f"{server.url}/tts", json={"text": "你好", "text_lang": "zh", "speaker": SPEAKER,
                                              "media_type": "wma"}, timeout=30)
    assert r.status_code == 422 and "media_type 'wma' is not supported" in r.json()["detail"]
    r = httpx.post(f"{server.url}/tts", json={"text": "안녕하세요", "text_lang": "auto", "speaker": SPEAKER}, timeout=30)
    assert r.status_code == 422 and r.json()["detail"].startswith("text piece '안녕하세요' was detected as 'ko'")
    assert requests_of(server)["active"] == 0  # the refused requests hold no slot


def test_a_number_longer_than_berts_window_is_spoken(server):
    r = httpx.post(f"{server.url}/tts", json={"text": "价格是" + "9" * 300 + "元", "text_lang": "zh",
                                              "speaker": SPEAKER, "media_type": "wav"}, timeout=300)
    assert r.status_code == 200 and len(wav_samples(r.content)) > 0


def test_compat_routes_refuse_what_they_cannot_read_with_a_422(server):
    for bad in ("%ED%A0%80", "%FF%FE"):  # a lone surrogate and no UTF-8 at all: never spoken as U+FFFD
        for extra in ("&text_lang=zh&speaker=Nahida", "&cha_name=Nahida"):
            r = httpx.get(f"{server.url}/tts?text={bad}{extra}", timeout=30)
            assert (r.status_code, r.json()) == (422, {"detail": "the query string is not UTF-8: percent-encode the "
                                                                 "text's UTF-8 bytes"})
    r = httpx.post(f"{server.url}/", json={"text": "你好", "ref_audio_path": ""}, timeout=30)
    assert r.status_code == 422 and r.json()["detail"].startswith("no voice: pass ref_audio_path=<name>.wav; "
                                                                  "speakers: Firefly, ")
    r = httpx.get(f"{server.url}/tts", params={"text_lang": "zh", "speaker": SPEAKER}, timeout=30)
    assert r.status_code == 422 and r.json()["errors"] == [{"loc": ["query", "text"], "msg": "Field required",
                                                            "type": "missing"}]
    assert requests_of(server)["active"] == 0


@pytest.mark.parametrize("method, path, allow", [("PUT", "/tts", "GET, POST"), ("DELETE", "/", "GET, POST"),
                                                 ("PUT", "/set_gpt_weights", "GET, POST"), ("PUT", "/health", "GET, HEAD")])
def test_a_wrong_method_names_every_method_of_the_path(server, method, path, allow):
    r = httpx.request(method, server.url + path, timeout=30)
    assert (r.status_code, r.headers["allow"], r.json()) == (405, allow, {"detail": "Method Not Allowed"})


def test_uptime_monitors_can_ask_with_head(server):
    r = httpx.head(f"{server.url}/health", timeout=30)
    assert r.status_code == 200 and r.content == b"" and r.headers["content-type"] == "application/json"


def test_openapi_documents_what_the_compat_routes_answer(server):
    spec = httpx.get(f"{server.url}/openapi.json", timeout=30).json()
    assert set(spec["paths"]["/control"]["get"]["responses"]) == {"403"}  # never a 200
    params = {p["name"]: p["required"] for p in spec["paths"]["/tts"]["get"]["parameters"]}
    assert params["text"] is True and params["cha_name"] is False


# ---- /chat2audio formats and events -----------------------------------------------------------


def test_chat2audio_in_another_format_is_the_same_audio(server):
    body = {"input": "你好", "speaker": SPEAKER, "seed": 4}
    wav = httpx.post(f"{server.url}/chat2audio", json=body, timeout=120).content
    flac = httpx.post(f"{server.url}/chat2audio", json={**body, "response_format": "flac"}, timeout=120)
    assert flac.headers["content-type"] == "audio/flac"
    assert np.array_equal(decode(flac.content)[0], wav_samples(wav))
    mp3 = httpx.post(f"{server.url}/chat2audio", json={**body, "response_format": "mp3"}, timeout=120)
    samples, rate = decode(mp3.content)
    assert abs(len(samples) - len(wav_samples(wav))) < 0.1 * rate


def test_chat2audio_whole_flac_has_its_length_and_reads_with_soundfile(non_stream_server):
    body = {"input": "你好", "speaker": "Klee", "seed": 4}
    wav = httpx.post(f"{non_stream_server.url}/chat2audio", json=body, timeout=120).content
    r = httpx.post(f"{non_stream_server.url}/chat2audio", json={**body, "response_format": "flac"}, timeout=120)
    assert r.status_code == 200 and r.headers["content-type"] == "audio/flac"
    samples, rate = sf.read(io.BytesIO(r.content), dtype="int16")
    assert rate == 32000 and np.array_equal(samples, wav_samples(wav))
    assert flac_streaminfo(r.content)[0] == len(samples) > 0


@pytest.mark.parametrize("accept, body, events", [
    ("text/event-stream", {}, True),
    ("audio/wav, text/event-stream;q=0.5", {}, True),
    ("text/event-stream;q=0", {}, False),  # q=0: "not acceptable"
    ("text/event-stream; q=0.0", {}, False),
    ("*/*", {}, False),
    ("text/event-stream", {"stream_format": "audio"}, False),  # the body's explicit choice wins
    ("audio/wav", {"stream_format": "sse"}, True),
])
def test_events_are_chosen_by_the_body_else_by_accept(accept, body, events):
    from types import SimpleNamespace

    from server.routes.chat import wants_events
    from server.schemas import ChatRequest

    request = ChatRequest(input="你好", speaker=SPEAKER, **body)
    assert wants_events(request, SimpleNamespace(headers={"accept": accept})) is events


@pytest.mark.parametrize("how", ["body", "accept"])
def test_chat2audio_events_carry_text_segments_and_audio_in_order(server, how):
    body = {"input": "做个自我介绍吧", "speaker": SPEAKER, "seed": 1}  # a reply with words to speak
    kw = {"json": {**body, "stream_format": "sse"}} if how == "body" else {
        "json": body, "headers": {"accept": "text/event-stream"}}
    with httpx.stream("POST", f"{server.url}/chat2audio", timeout=120, **kw) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = [json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: ")]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done" and "error" not in kinds
    assert events[0]["sample_rate"] == 32000 and events[0]["format"] == "wav"
    assert "text.delta" in kinds and "segment.start" in kinds
    audio = b"".join(base64.b64decode(e["audio"]) for e in events if e["type"] == "audio.delta")
    pcm = wav_samples(audio)
    done = events[-1]
    assert abs(done["audio_seconds"] - len(pcm) / 32000) < 1e-3
    assert done["text"] == "".join(e["text"] for e in events if e["type"] == "text.delta")
    # every segment: start, then its audio, then its end; spans follow each other over the whole audio
    starts = [i for i, k in enumerate(kinds) if k == "segment.start"]
    ends = [i for i, k in enumerate(kinds) if k == "segment.end"]
    assert len(starts) == len(ends) >= 1
    spans = []
    for s, e in zip(starts, ends):
        assert s < e and "audio.delta" in kinds[s:e]
        assert events[s]["index"] == events[e]["index"] and events[s]["text"] == events[e]["text"]
        spans.append((events[e]["start"], events[e]["end"]))
    assert spans[0][0] == 0.0 and abs(spans[-1][1] - done["audio_seconds"]) < 1e-3
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))


# ---- CORS and docs ----------------------------------------------------------------------------


def test_no_cors_headers_unless_configured(server):
    r = httpx.options(f"{server.url}/v1/audio/speech", timeout=30, headers={
        "Origin": "http://localhost:8000", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in r.headers


def test_cors_preflight_when_configured(demo_cache):
    from fastapi.testclient import TestClient

    from server.app import create_app
    from server.demo import build_demo_config

    config = build_demo_config(demo_cache)
    config = config.model_copy(update={"server": config.server.model_copy(update={"cors_origins": ["*"]})})
    client = TestClient(create_app(config))  # no lifespan: a preflight needs no models
    r = client.options("/v1/audio/speech", headers={"Origin": "http://localhost:8000",
                                                    "Access-Control-Request-Method": "POST",
                                                    "Access-Control-Request-Headers": "content-type,authorization"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "authorization" in r.headers["access-control-allow-headers"].lower()


def test_docs_work_offline(server):
    page = httpx.get(f"{server.url}/docs", timeout=30)
    assert page.status_code == 200 and "cdn" not in page.text.lower()
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/static-offline-docs/{asset}" in page.text
        assert httpx.get(f"{server.url}/static-offline-docs/{asset}", timeout=30).status_code == 200
    spec = httpx.get(f"{server.url}/openapi.json", timeout=30).json()
    for path in ("/v1/audio/speech", "/v1/audio/voices", "/v1/models", "/tts", "/", "/character_list", "/speakers",
                 "/chat2audio", "/control"):
        assert path in spec["paths"], path
