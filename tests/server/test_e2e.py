"""The service end to end over real HTTP: both entrypoints started with --demo as subprocesses."""

from __future__ import annotations

import io
import struct
from urllib.parse import unquote

import httpx
import numpy as np
import pytest
import soundfile as sf

SPEAKER = "Nahida"
REQUEST = {"input": "做个自我介绍吧", "speaker": SPEAKER, "seed": 1}
DEMO_NOTICE = "untrained random weights: the reply is gibberish and the voice is noise (--demo)"


def read_wav(body: bytes):
    info = sf.info(io.BytesIO(body))
    pcm, sr = sf.read(io.BytesIO(body), dtype="int16")
    return info, pcm, sr


def health(server) -> dict:
    return httpx.get(f"{server.url}/health", timeout=10).json()


# ---- non-stream -------------------------------------------------------------------------------


def test_non_stream_returns_one_wav_with_the_reply_text(non_stream_server):
    r = httpx.post(f"{non_stream_server.url}/chat2audio", json=REQUEST, timeout=120)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "audio/wav"
    assert r.headers["x-chat2audio-demo"] == DEMO_NOTICE
    info, pcm, sr = read_wav(r.content)
    assert (info.channels, info.subtype, sr) == (1, "PCM_16", 32000)
    assert pcm.ndim == 1 and pcm.size > 0 and np.abs(pcm).max() > 0
    reply = unquote(r.headers["x-reply-text"])
    assert reply and reply == reply.strip()
    # the header of a whole file states its real length
    assert struct.unpack("<I", r.content[40:44])[0] == len(r.content) - 44


def test_non_stream_same_seed_same_audio(non_stream_server):
    first = httpx.post(f"{non_stream_server.url}/chat2audio", json=REQUEST, timeout=120)
    second = httpx.post(f"{non_stream_server.url}/chat2audio", json=REQUEST, timeout=120)
    assert first.content == second.content
    assert first.headers["x-reply-text"] == second.headers["x-reply-text"]


# ---- stream -----------------------------------------------------------------------------------


def test_stream_starts_with_an_unknown_length_header_and_arrives_in_chunks(stream_server):
    chunks = []
    with httpx.stream("POST", f"{stream_server.url}/chat2audio", json=REQUEST, timeout=120) as r:
        assert r.status_code == 200
        assert r.headers["content-type"] == "audio/wav"
        assert r.headers["x-chat2audio-demo"] == DEMO_NOTICE
        assert "content-length" not in r.headers
        chunks = [c for c in r.iter_raw() if c]
    body = b"".join(chunks)
    assert body[:4] == b"RIFF" and body[8:16] == b"WAVEfmt "
    assert struct.unpack("<I", body[4:8])[0] == 0xFFFFFFFF  # RIFF size: unknown
    assert body[36:40] == b"data" and struct.unpack("<I", body[40:44])[0] == 0xFFFFFFFF
    assert len(chunks) >= 3  # the header, then audio segment by segment
    info, pcm, sr = read_wav(body)
    assert (info.channels, info.subtype, sr) == (1, "PCM_16", 32000)
    assert pcm.size == (len(body) - 44) // 2 > 0


def test_stream_disconnect_stops_generation_and_the_next_request_succeeds(stream_server):
    before = health(stream_server)["requests"]
    body = {"input": "给我讲一个很长很长的故事吧", "speaker": SPEAKER, "seed": 2}
    with httpx.Client(timeout=120) as client, client.stream("POST", f"{stream_server.url}/chat2audio", json=body) as r:
        assert r.status_code == 200
        received = b""
        for chunk in r.iter_raw():
            received += chunk
            if len(received) > 44:  # the header and the first audio
                break
    # closed after the first audio: the server notices, stops LLM and synthesis, counts it
    for _ in range(600):
        now = health(stream_server)
        if (now["requests"]["cancelled"] > before["cancelled"] and now["requests"]["active"] == 0
                and now["t2s_rows_decoding"] == 0):  # its text segment has left the GPT's batch
            break
        httpx.get(f"{stream_server.url}/speakers", timeout=10)  # a round trip instead of a sleep
    else:
        pytest.fail(f"the server did not count the disconnect: {now}")
    assert now["requests"]["completed"] == before["completed"]
    assert now["llm_generations_running"] == 0  # the LLM thread has ended
    assert "cancelled after" in stream_server.log_text()
    r = httpx.post(f"{stream_server.url}/chat2audio", json=REQUEST, timeout=120)
    assert r.status_code == 200 and len(r.content) > 44
    assert health(stream_server)["requests"]["completed"] == before["completed"] + 1


# ---- errors (both modes answer them the same way) -----------------------------------------------


def test_empty_input_is_422(server):
    r = httpx.post(f"{server.url}/chat2audio", json={"input": "   ", "speaker": SPEAKER}, timeout=30)
    assert r.status_code == 422
    assert r.json() == {"detail": "input is empty: send the words the user says to the character"}


def test_too_long_input_is_422(server):
    r = httpx.post(f"{server.url}/chat2audio", json={"input": "好" * 501, "speaker": SPEAKER}, timeout=30)
    assert r.status_code == 422
    assert r.json() == {"detail": "input is 501 characters long; the limit is 500 (server.max_input_chars)"}


def test_unknown_speaker_is_404_listing_the_known_ones(server):
    r = httpx.post(f"{server.url}/chat2audio", json={"input": "你好", "speaker": "Paimon"}, timeout=30)
    assert r.status_code == 404
    assert r.json() == {"detail": "unknown speaker 'Paimon'; known speakers: "
                                  "Firefly, Klee, Ayaka, Nahida, Tribbie, Yoimiya, Citlali"}


def test_malformed_json_is_422(server):
    r = httpx.post(f"{server.url}/chat2audio", content=b'{"input": "hi", ', timeout=30,
                   headers={"content-type": "application/json"})
    assert r.status_code == 422
    body = r.json()
    assert body["detail"].startswith("invalid request: ")
    assert [e["type"] for e in body["errors"]] == ["json_invalid"]


def test_missing_field_is_422_naming_it(server):
    r = httpx.post(f"{server.url}/chat2audio", json={"input": "你好"}, timeout=30)
    assert r.status_code == 422
    assert r.json() == {"detail": "invalid request: speaker: Field required",
                        "errors": [{"loc": ["body", "speaker"], "msg": "Field required", "type": "missing"}]}


def test_speakers_and_health(server):
    speakers = httpx.get(f"{server.url}/speakers", timeout=30).json()
    assert [s["name"] for s in speakers] == ["Firefly", "Klee", "Ayaka", "Nahida", "Tribbie", "Yoimiya", "Citlali"]
    assert all(s["voice_id"] == s["name"] for s in speakers)  # what SillyTavern's provider reads
    assert all(s["language"] == "zh" for s in speakers)
    h = health(server)
    assert h["status"] == "ok" and h["demo"] is True
    assert h["mode"] in ("stream", "non-stream")


def test_openapi_describes_the_audio(server):
    spec = httpx.get(f"{server.url}/openapi.json", timeout=30).json()
    post = spec["paths"]["/chat2audio"]["post"]
    assert "audio/wav" in post["responses"]["200"]["content"]
    assert {"404", "413", "422", "502", "503"} <= set(post["responses"])
    for status in ("404", "413", "422", "502", "503"):  # one error shape, declared for every error status
        schema = post["responses"][status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorBody"}
    assert set(spec["components"]["schemas"]["ErrorBody"]["properties"]) == {"detail", "errors"}
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert httpx.get(f"{server.url}/docs", timeout=30).status_code == 200


def test_startup_log_says_demo_plainly(server):
    assert "DEMO MODE: untrained random weights" in server.log_text()


def test_health_answers_while_a_stream_is_being_synthesized(stream_server):
    body = {"input": "慢慢地说一个故事吧", "speaker": SPEAKER, "seed": 4}
    with httpx.Client(timeout=120) as client, client.stream("POST", f"{stream_server.url}/chat2audio", json=body) as r:
        chunks = r.iter_raw()
        first = next(chunks)
        assert first[:4] == b"RIFF"
        during = httpx.get(f"{stream_server.url}/health", timeout=30)
        rest = b"".join(chunks)
    assert during.status_code == 200
    if len(first) == 44:  # only the header had arrived: the request was surely still being synthesized
        assert during.json()["requests"]["active"] >= 1
    assert len(first) + len(rest) > 44
