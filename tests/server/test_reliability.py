"""Bad input and bad luck over real HTTP: every bad request a clear 4xx in the one error shape,
nothing swallowed, dropped requests stopped, request bodies limited, unusable voices reported."""

from __future__ import annotations

import gzip
import json
import socket
import struct
from urllib.parse import urlsplit

import httpx
import numpy as np
import pytest

from tests.server.conftest import free_port, requests_of, run_entrypoint

SPEAKER = "Nahida"


def strict_json(text: str):
    """json.loads that refuses NaN / Infinity, as browsers and most JSON libraries do."""

    def refuse(name):
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def post_raw(server, body: bytes, **kw) -> httpx.Response:
    return httpx.post(f"{server.url}/chat2audio", content=body, headers={"content-type": "application/json"},
                      timeout=60, **kw)


def wait_for(server, predicate, what: str) -> dict:
    """Poll /health (a round trip per try, no sleeps) until ``predicate(counters)`` holds."""
    for _ in range(3000):
        now = requests_of(server)
        if predicate(now):
            return now
        httpx.get(f"{server.url}/speakers", timeout=10)
    pytest.fail(f"{what}: {now}")


# ---- 1. non-finite numbers --------------------------------------------------------------------


@pytest.mark.parametrize("field", ["temperature", "seed"])
@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_a_422_in_strict_json(server, field, value):
    r = post_raw(server, f'{{"input": "你好", "speaker": "{SPEAKER}", "{field}": {value}}}'.encode())
    assert r.status_code == 422
    body = strict_json(r.text)
    assert body["detail"] == f"invalid request: {field}: Input should be a finite number"
    assert body["errors"] == [{"loc": ["body", field], "msg": "Input should be a finite number",
                               "type": "finite_number"}]


# ---- 2. invalid text --------------------------------------------------------------------------


def test_lone_surrogates_are_a_422_in_input_and_history(server):
    r = post_raw(server, f'{{"input": "\\udfff", "speaker": "{SPEAKER}"}}'.encode())
    assert r.status_code == 422
    assert r.json()["detail"] == ("invalid request: input: invalid text: a lone surrogate (U+DFFF) at position 0; "
                                  "send valid Unicode")
    r = post_raw(server, f'{{"input": "你好", "speaker": "{SPEAKER}", '
                         f'"history": [{{"role": "user", "content": "好\\ud800"}}]}}'.encode())
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "history", 0, "content"]
    assert r.json()["detail"].startswith("invalid request: history.0.content: ")  # pydantic's words for a high one
    assert httpx.get(f"{server.url}/health", timeout=10).json()["status"] == "ok"


# ---- 4. body limit and echoes -----------------------------------------------------------------


def raw_exchange(server, head: bytes) -> bytes:
    """Send ``head`` over a plain socket; return what the server sent until it closed."""
    url = urlsplit(server.url)
    with socket.create_connection((url.hostname, url.port), timeout=60) as sock:
        sock.sendall(head)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while data := sock.recv(65536):
            received += data
    return received


def test_a_declared_body_over_the_limit_is_refused_unread(server):
    head = (b"POST /chat2audio HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 104857600\r\n\r\n")  # says 100 MB, sends none of it
    answer = raw_exchange(server, head)
    status, _, body = answer.partition(b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 413 ")
    assert strict_json(body.decode()) == {
        "detail": "request body too large: the limit is 1048576 bytes (server.max_body_bytes)"}


def test_a_chunked_body_over_the_limit_is_refused_before_it_ends(demo_cache):
    """In process (over a socket the server's close would reset the connection before the client
    reads the answer): an endless body without Content-Length is read only up to the limit."""
    import asyncio

    from server.app import create_app
    from server.demo import build_demo_config

    app = create_app(build_demo_config(demo_cache), mode="non-stream")
    piece = b"x" * 65536
    pulled, sent = [], []

    async def receive():
        pulled.append(len(piece))
        return {"type": "http.request", "body": piece, "more_body": True}  # never ends

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/chat2audio", "raw_path": b"/chat2audio", "query_string": b"",
             "root_path": "", "headers": [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
    asyncio.run(asyncio.wait_for(app(scope, receive, send), 60))
    assert sent[0]["status"] == 413
    assert strict_json(b"".join(m.get("body", b"") for m in sent[1:]).decode()) == {
        "detail": "request body too large: the limit is 1048576 bytes (server.max_body_bytes)"}
    assert sum(pulled) == 1048576 + 65536  # the limit and the one piece that passed it, no more


def test_errors_never_echo_long_inputs(server):
    big = "好" * 200_000  # 600 kB of JSON: under the body limit, far over the input limit
    r = httpx.post(f"{server.url}/chat2audio", json={"input": big, "speaker": "P" * 5000, "temperature": "hot"},
                   timeout=60)
    assert r.status_code == 422 and len(r.content) < 2000
    r = httpx.post(f"{server.url}/chat2audio", json={"input": "你好", "speaker": "P" * 5000}, timeout=60)
    assert r.status_code == 404 and len(r.content) < 500
    assert r.json()["detail"].startswith(f"unknown speaker {'P' * 100!r}... (5000 characters); known speakers: ")


def test_errors_never_amplify_many_or_long_bad_fields(server):
    body = {"input": "你好", "speaker": SPEAKER, "k" * 500_000: 1}  # an unknown field named by 500 kB
    r = httpx.post(f"{server.url}/chat2audio", json=body, timeout=60)
    assert r.status_code == 422 and len(r.content) < 2000
    assert r.json()["errors"][0]["loc"][1].endswith("... (500000 characters)")
    bad_turns = [{"role": "nobody", "content": 1}] * 20_000  # 40,000 problems in a 0.7 MB body
    r = httpx.post(f"{server.url}/chat2audio", json={"input": "你好", "speaker": SPEAKER, "history": bad_turns},
                   timeout=60)
    assert r.status_code == 422 and len(r.content) < 10_000
    body = r.json()
    assert len(body["errors"]) == 20 and body["detail"].endswith("(and 39999 more problems)")


@pytest.mark.parametrize("raw, cause", [
    (gzip.compress(b'{"input": "hi", "speaker": "Nahida"}'), "UnicodeDecodeError"),
    ('{"input": "h\xe9", "speaker": "Nahida"}'.encode("latin-1"), "UnicodeDecodeError"),
    (b'{"input": "hi", "speaker": "Nahida", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "RecursionError"),
    (b'{"input": "hi", "speaker": "Nahida", "x": ' + b"9" * 5000 + b"}", "ValueError"),
])
def test_a_body_json_cannot_read_is_a_422_in_the_error_shape(server, raw, cause):
    r = post_raw(server, raw)
    msg = f"the body is not JSON that can be read ({cause}): send UTF-8 JSON, uncompressed"
    assert (r.status_code, r.json()) == (422, {"detail": f"invalid request: body: {msg}",
                                               "errors": [{"loc": ["body"], "msg": msg, "type": "json_invalid"}]})


# ---- 5. one error shape -----------------------------------------------------------------------


def test_unknown_routes_and_methods_answer_in_the_error_shape(server):
    r = httpx.get(f"{server.url}/nope", timeout=30)
    assert (r.status_code, r.json()) == (404, {"detail": "Not Found"})
    r = httpx.delete(f"{server.url}/health", timeout=30)
    assert (r.status_code, r.json()) == (405, {"detail": "Method Not Allowed"})


def test_demo_header_is_on_every_response(server):
    for r in (httpx.get(f"{server.url}/health", timeout=30), httpx.get(f"{server.url}/nope", timeout=30),
              httpx.post(f"{server.url}/chat2audio", json={"input": ""}, timeout=30)):
        assert r.headers["x-chat2audio-demo"].startswith("untrained random weights")


# ---- 3. non-stream: a client that goes away ---------------------------------------------------


def test_non_stream_disconnect_stops_the_work_and_counts_a_cancel(non_stream_server):
    before = requests_of(non_stream_server)
    body = json.dumps({"input": "给我讲一个很长很长的故事吧", "speaker": SPEAKER, "seed": 5}).encode()
    head = (b"POST /chat2audio HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body))
    url = urlsplit(non_stream_server.url)
    with socket.create_connection((url.hostname, url.port), timeout=60) as sock:
        sock.sendall(head + body)
        wait_for(non_stream_server, lambda c: c["active"] > before["active"], "the request never started")
    # the connection is closed while the reply is being written or spoken
    now = wait_for(non_stream_server, lambda c: c["cancelled"] > before["cancelled"] and c["active"] == 0,
                   "the server did not notice the disconnect")
    assert now["completed"] == before["completed"] and now["failed"] == before["failed"]
    assert httpx.get(f"{non_stream_server.url}/health", timeout=10).json()["llm_generations_running"] == 0
    log = non_stream_server.log_text()
    assert "the client went away; stopping its work" in log and "cancelled after" in log


# ---- 8. stream: the slot is freed when synthesis ends, not when a slow client has read it all ----


def test_a_slow_stream_reader_does_not_hold_an_admission_slot(stream_server):
    request = {"input": "你好呀", "speaker": SPEAKER, "seed": 11}
    reference = httpx.post(f"{stream_server.url}/chat2audio", json=request, timeout=120).content
    before = requests_of(stream_server)
    body = json.dumps(request).encode()
    url = urlsplit(stream_server.url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a reader that takes its time
    sock.connect((url.hostname, url.port))
    with sock:
        sock.sendall(b"POST /chat2audio HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body)
        first = sock.recv(1024)
        assert first.startswith(b"HTTP/1.1 200 ")
        # nothing more is read until the server says the synthesis is over
        now = wait_for(stream_server, lambda c: c["completed"] > before["completed"] and c["active"] == 0,
                       "the slot stayed taken while the client was slow")
        assert now["cancelled"] == before["cancelled"]
        received = first
        while data := sock.recv(65536):
            received += data
            if received.endswith(b"\r\n0\r\n\r\n"):
                break
    _, _, chunked = received.partition(b"\r\n\r\n")
    audio = b""
    while chunked:
        size, _, rest = chunked.partition(b"\r\n")
        n = int(size, 16)
        if n == 0:
            break
        audio, chunked = audio + rest[:n], rest[n + 2:]
    assert audio == reference  # delivered late, but all of it


# ---- 10. the demo voice is audible ------------------------------------------------------------


def test_demo_voice_speaks_at_speech_level(non_stream_server):
    r = httpx.post(f"{non_stream_server.url}/chat2audio", json={"input": "你好", "speaker": SPEAKER, "seed": 1},
                   timeout=120)
    pcm = np.frombuffer(r.content[44:], dtype=np.int16).astype(np.float64) / 32768
    voiced = pcm[np.abs(pcm) > 0]
    peak_db = 20 * np.log10(np.abs(pcm).max())
    rms_db = 10 * np.log10(np.mean(voiced ** 2))
    assert peak_db > -20 and rms_db > -35, (peak_db, rms_db)
    assert len(np.unique(pcm)) > 200  # not a handful of sample values
    assert struct.unpack("<I", r.content[24:28])[0] == 32000


# ---- 9. start-up: busy port, missing --config -------------------------------------------------


def test_a_busy_port_is_reported_before_any_model_is_loaded(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_entrypoint("app_stream.py", "--demo", "--port", str(port), cwd=tmp_path)
    assert done.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "loading" not in done.stderr and "Traceback" not in done.stderr


def test_a_missing_config_named_on_the_command_line_stops_demo_mode_too(tmp_path):
    done = run_entrypoint("app_non_stream.py", "--demo", "--config", "missing.yaml", "--port", str(free_port()),
                          cwd=tmp_path)
    assert done.returncode == 2
    assert "missing.yaml: config file not found" in done.stderr and "Traceback" not in done.stderr


# ---- 6. a voice whose files are unusable ------------------------------------------------------


def test_a_stream_that_fails_after_its_headers_is_cut_short_never_ended_as_if_complete(demo_cache, tmp_path):
    from server.demo import build_demo_config

    from tests.server.conftest import start_server, stop_server, write_config

    config = build_demo_config(demo_cache)
    unreachable = config.llm.model_copy(update={"backend": "openai", "base_url": f"http://127.0.0.1:{free_port()}/v1",
                                                "model": "rp", "timeout_s": 5})
    path = write_config(tmp_path / "config.yaml", config.model_copy(update={"llm": unreachable}))
    server = start_server("app_stream.py", demo_cache, tmp_path, config=path)
    try:
        body = {"input": "你好", "speaker": SPEAKER}
        with httpx.stream("POST", f"{server.url}/chat2audio", json=body, timeout=60) as r:
            assert r.status_code == 200  # sent before the LLM was asked
            with pytest.raises(httpx.RemoteProtocolError):  # the chunked body never ends: no complete-looking WAV
                r.read()
        r = httpx.post(f"{server.url}/chat2audio", json={**body, "stream_format": "sse"}, timeout=60)
        events = [json.loads(line[6:]) for line in r.text.splitlines() if line.startswith("data: ")]
        assert r.status_code == 200 and events[-1]["type"] == "error" and events[-1]["status"] == 502
        assert "is unreachable" in events[-1]["detail"]  # events say it in the stream, which then ends
        assert wait_for(server, lambda c: c["active"] == 0, "the failed requests end")["failed"] == 2
        assert "the answer is cut short (the client sees an incomplete transfer): LLMError: " in server.log_text()
    finally:
        stop_server(server)


def test_a_stop_signal_cuts_answers_still_running_after_the_grace(demo_cache, tmp_path):
    import signal
    import subprocess

    from tests.server.conftest import start_server

    server = start_server("app_stream.py", demo_cache, tmp_path)  # the shipped config: server.shutdown_grace_s 5
    long_text = "今天天气很好，我们一起去公园散步吧。" * 200  # minutes of synthesis
    with httpx.stream("POST", f"{server.url}/tts", json={"text": long_text, "text_lang": "zh", "speaker": SPEAKER,
                                                         "streaming_mode": True}, timeout=60) as r:
        assert r.status_code == 200
        wait_for(server, lambda c: c["active"] == 1, "the stream runs")
        server.proc.send_signal(signal.SIGTERM)  # the client keeps the answer open and reads nothing
        try:
            assert server.proc.wait(timeout=90) == -signal.SIGTERM  # uvicorn ends as the signal did; before: it
            # waited for the whole answer
        except subprocess.TimeoutExpired:
            server.proc.kill()
            pytest.fail("the server did not stop while an answer was still being sent")
    assert "timeout graceful shutdown exceeded" in server.log_text()


@pytest.fixture()
def broken_nahida(demo_cache, tmp_path):
    """The demo config with Nahida's GPT file replaced by a corrupt one (and the path to fix it)."""
    from server.demo import build_demo_config

    from tests.server.conftest import with_speaker

    config = build_demo_config(demo_cache)
    bad = tmp_path / "Nahida-e15.ckpt"
    bad.write_bytes(b"garbage" * 10)
    return with_speaker(config, "Nahida", gpt_path=bad), bad, config.speakers["Nahida"].gpt_path


def test_a_broken_voice_is_a_503_without_server_paths_logged_once(broken_nahida, caplog):
    import logging
    import shutil

    from fastapi.testclient import TestClient

    from server.app import Models, create_app
    from tests.server.test_pipeline import ScriptedChat

    config, bad, good = broken_nahida
    from tts import TTSEngine

    engine = TTSEngine(config.tts.bert_path, config.tts.cnhubert_path, device="cpu")
    app = create_app(config, mode="non-stream", models=Models(chat=ScriptedChat(["你好。"]), engine=engine))
    caplog.set_level(logging.ERROR, logger="server.voices")
    with TestClient(app) as client:
        answers = [client.post("/chat2audio", json={"input": "你好", "speaker": "Nahida"}) for _ in range(3)]
        for r in answers:
            assert r.status_code == 503
            assert r.json() == {"detail": "voice Nahida is unavailable: speakers.Nahida.gpt_path: not a readable GPT "
                                          "(t2s) checkpoint: corrupt or not a torch file (Unsupported operand 103)"}
        assert "/" not in answers[0].json()["detail"]
        logged = [r for r in caplog.records if "voice Nahida is unavailable" in r.getMessage()]
        assert len(logged) == 1 and str(bad) in logged[0].getMessage()  # the log keeps the path
        assert client.post("/chat2audio", json={"input": "你好", "speaker": "Klee", "seed": 1}).status_code == 200
        counters = client.get("/health").json()["requests"]
        assert (counters["failed"], counters["completed"], counters["active"]) == (3, 1, 0)
        shutil.copyfile(good, bad)  # fixed on disk: the next request loads it, no restart
        assert client.post("/chat2audio", json={"input": "你好", "speaker": "Nahida", "seed": 1}).status_code == 200


def test_a_broken_voice_with_preload_stops_the_start_in_one_line(broken_nahida, tmp_path):
    from tests.server.conftest import write_config

    config, bad, _ = broken_nahida
    config = config.model_copy(update={"tts": config.tts.model_copy(update={"preload_voices": True})})
    path = write_config(tmp_path / "config.yaml", config)
    done = run_entrypoint("app_stream.py", "--config", str(path), "--port", str(free_port()), cwd=tmp_path,
                          env={**__import__("os").environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 1, done.stderr[-3000:]
    assert errors[0].endswith("cannot start: voice Nahida is unavailable: speakers.Nahida.gpt_path: not a readable "
                              "GPT (t2s) checkpoint: corrupt or not a torch file (Unsupported operand 103) "
                              "(tts.preload_voices is true)")
    assert "Traceback" not in done.stderr and "Uvicorn running" not in done.stderr
