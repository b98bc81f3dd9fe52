"""Benchmark of the whole service over real HTTP: time to first audio (stream) vs whole reply (non-stream).

    python -m tools.bench_server [--size tiny|full] [--requests 3] [--out bench_results] [--threads 2]
                           [--llm-tokens 48] [--t2s-tokens 60] [--fast]

Loads the models once in this process (the tiny demo LLM; TTS models of ``--size``: ``tiny`` =
the demo models, ``full`` = random weights of upstream's real shapes), serves them with uvicorn
on a free 127.0.0.1 port in a thread, once as the stream app and once as the non-stream app, and
sends the same requests (fixed inputs and seeds) to each with httpx:

- stream mode: time to the first audio byte after the 44-byte WAV header (TTFA) and to the last byte;
- non-stream mode: time to the whole response;
- per audio format (``POST /v1/audio/speech`` on the stream app, the reply texts spoken as is):
  time to the first encoded audio byte, and what each format adds to WAV's.

A 7B LLM does not fit this benchmark's machines (2 CPU cores): the LLM is always the tiny random
Qwen2 of demo mode, so its share of the time is far below a real model's. The tiny LLM never emits
EOS: every reply is ``--llm-tokens`` tokens long; random t2s weights rarely pick EOS either, so
each text segment is capped at ``--t2s-tokens`` semantic tokens (25 = 1 s of speech). The voice is
loaded and one untimed request per app is sent before timing (the reference prompt is cached per
voice). Prints a table (median and max over the requests) and writes ``server-bench-<size>.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import socket
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Self

WAV_HEADER_BYTES = 44
SPEAKER = "Nahida"
REQUESTS = (  # (input, seed): the same for both modes
    ("你好，请介绍一下你自己。", 1),
    ("今天天气怎么样？我们去哪里玩？", 2),
    ("给我讲一个很短的故事吧。", 3),
    ("你最喜欢吃什么？", 4),
    ("晚安，明天见。", 5),
)

logger = logging.getLogger(__name__)


class CappedEngine:
    """A TTS engine whose ``synthesize`` and ``stream`` decode at most ``max_tokens`` semantic tokens
    per segment unless the caller says otherwise; everything else is the wrapped engine's."""

    def __init__(self, engine, max_tokens: int):
        self._engine = engine
        self._max_tokens = max_tokens

    def __getattr__(self, name: str):
        return getattr(self._engine, name)

    def _capped(self, options):
        from dataclasses import replace

        from tts import SynthesisOptions

        options = options if options is not None else SynthesisOptions()
        return options if options.max_tokens is not None else replace(options, max_tokens=self._max_tokens)

    def synthesize(self, text, voice, options=None, **kwargs):
        return self._engine.synthesize(text, voice, self._capped(options), **kwargs)

    def stream(self, text, voice, options=None, **kwargs):
        return self._engine.stream(text, voice, self._capped(options), **kwargs)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_config(size: str, cache: Path, llm_tokens: int, fast: bool):
    """The demo config with one speaker, the LLM capped at ``llm_tokens`` and, for ``full``, the
    full-size random TTS models (built once into ``cache/models-full``, shared with tools.bench_tts)."""
    from server.config import TTSSettings
    from server.demo import build_demo_config
    from tts.builders import build_tts_models

    config = build_demo_config(cache / "server-demo")
    speaker = config.speakers[SPEAKER]
    tts = config.tts
    if size == "full":
        paths = build_tts_models(cache / "models-full", size="full")
        speaker = speaker.model_copy(update={"gpt_path": paths.gpt, "sovits_path": paths.sovits,
                                             "ref_audio": paths.ref_audio, "ref_text": paths.ref_text})
        tts = TTSSettings(bert_path=paths.bert, cnhubert_path=paths.hubert, device="cpu")
    tts = tts.model_copy(update={"device": "cpu", "t2s_fast": "int8" if fast else False,
                                 "bert_fast": "onednn" if fast else False})
    return config.model_copy(update={"llm": config.llm.model_copy(update={"max_new_tokens": llm_tokens}),
                                     "tts": tts, "speakers": {SPEAKER: speaker}})


class ServerThread:
    """An app served by uvicorn on 127.0.0.1 in a daemon thread (started and stopped as a context)."""

    def __init__(self, app):
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    log_config=None, lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        deadline = time.monotonic() + 600
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the benchmark server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def time_stream(client, url: str, text: str, seed: int) -> dict:
    """One stream-mode request: seconds to the first audio byte after the header and to the last byte."""
    body = {"input": text, "speaker": SPEAKER, "seed": seed}
    t0 = time.perf_counter()
    first = None
    n = chunks = 0
    with client.stream("POST", f"{url}/chat2audio", json=body) as r:
        r.raise_for_status()
        for chunk in r.iter_raw():
            n += len(chunk)
            chunks += 1
            if first is None and n > WAV_HEADER_BYTES:
                first = time.perf_counter() - t0
    total = time.perf_counter() - t0
    return {"ttfa_s": round(first if first is not None else total, 3), "total_s": round(total, 3),
            "bytes": n, "chunks": chunks}


SPEECH_FORMATS = ("wav", "pcm", "mp3", "opus", "aac", "flac")


def time_speech(client, url: str, text: str, seed: int, fmt: str) -> float:
    """One OpenAI speech request: seconds to the first byte of encoded audio (after WAV's header)."""
    skip = WAV_HEADER_BYTES if fmt == "wav" else 0
    body = {"model": "tts-1", "input": text, "voice": SPEAKER, "seed": seed, "response_format": fmt}
    t0 = time.perf_counter()
    n = 0
    with client.stream("POST", f"{url}/v1/audio/speech", json=body) as r:
        r.raise_for_status()
        for chunk in r.iter_raw():
            n += len(chunk)
            if n > skip:
                first = time.perf_counter() - t0
                break
    return round(first, 4)


def time_whole(client, url: str, text: str, seed: int) -> dict:
    """One non-stream request: seconds to the whole response."""
    t0 = time.perf_counter()
    r = client.post(f"{url}/chat2audio", json={"input": text, "speaker": SPEAKER, "seed": seed})
    r.raise_for_status()
    total = time.perf_counter() - t0
    return {"total_s": round(total, 3), "bytes": len(r.content),
            "reply_chars": len(r.headers.get("x-reply-text", ""))}


def run(size: str, requests: int, out: Path, threads: int, llm_tokens: int, t2s_tokens: int, fast: bool) -> dict:
    """Serve both modes in this process, time ``requests`` requests in each, return the JSON record."""
    import httpx
    import torch

    from server.app import Models, create_app, load_models

    torch.set_num_threads(threads)
    config = bench_config(size, out, llm_tokens, fast)
    t0 = time.perf_counter()
    loaded = load_models(config)
    load_s = time.perf_counter() - t0
    models = Models(chat=loaded.chat, engine=CappedEngine(loaded.engine, t2s_tokens))
    sample_rate = None
    cases = REQUESTS[:requests]
    per_request = [{"input": text, "seed": seed} for text, seed in cases]
    try:
        with httpx.Client(timeout=httpx.Timeout(600.0)) as client:
            for mode in ("stream", "non-stream"):
                with ServerThread(create_app(config, mode=mode, models=models)) as srv:
                    warm = time_stream if mode == "stream" else time_whole
                    warm(client, srv.url, "你好。", 0)  # loads the voice (first app) and warms everything up
                    sample_rate = client.get(f"{srv.url}/speakers").json()[0]["sample_rate"]
                    for rec, (text, seed) in zip(per_request, cases):
                        fn = time_stream if mode == "stream" else time_whole
                        rec[mode] = fn(client, srv.url, text, seed)
                        logger.info("%s %r: %s", mode, text, rec[mode])
                    if mode == "stream":
                        for rec, (text, seed) in zip(per_request, cases):  # formats interleaved per text
                            rec["speech_ttfa_s"] = {fmt: time_speech(client, srv.url, text, seed, fmt)
                                                    for fmt in SPEECH_FORMATS}
    finally:
        loaded.chat.close()
    for rec in per_request:
        for mode in ("stream", "non-stream"):
            rec[mode]["audio_s"] = round((rec[mode]["bytes"] - WAV_HEADER_BYTES) / 2 / sample_rate, 2)

    def stat(mode: str, key: str) -> dict:
        values = [rec[mode][key] for rec in per_request]
        return {"median": round(statistics.median(values), 3), "max": round(max(values), 3)}

    formats = {}
    for fmt in SPEECH_FORMATS:
        added = [rec["speech_ttfa_s"][fmt] - rec["speech_ttfa_s"]["wav"] for rec in per_request]
        formats[fmt] = {"ttfa_s": round(statistics.median(rec["speech_ttfa_s"][fmt] for rec in per_request), 4),
                        "added_vs_wav_ms": round(1000 * statistics.median(added), 1)}
    return {
        "formats": formats,
        "settings": {"size": size, "requests": len(per_request), "threads": threads, "llm": "tiny random Qwen2 (demo)",
                     "llm_max_new_tokens": llm_tokens, "t2s_max_tokens_per_segment": t2s_tokens,
                     "tts_dtype": str(loaded.engine.dtype).removeprefix("torch."),
                     "t2s_fast": "int8" if fast else "no", "bert_fast": "onednn" if fast else "no",
                     "stream_chunk_tokens": config.server.stream_chunk_tokens, "sample_rate": sample_rate,
                     "model_load_s": round(load_s, 2), "speaker": SPEAKER},
        "summary": {"stream_ttfa_s": stat("stream", "ttfa_s"), "stream_total_s": stat("stream", "total_s"),
                    "non_stream_total_s": stat("non-stream", "total_s"),
                    "stream_audio_s": stat("stream", "audio_s"), "non_stream_audio_s": stat("non-stream", "audio_s")},
        "requests": per_request,
        "python": sys.version.split()[0], "machine": platform.machine(),
    }


def format_table(record: dict) -> str:
    """The summary as a Markdown table, the settings in the header."""
    s, m = record["settings"], record["summary"]
    head = (f"size={s['size']} TTS models ({s['tts_dtype']}, t2s fast: {s['t2s_fast']}, BERT fast: "
            f"{s['bert_fast']}), stream_chunk_tokens={s['stream_chunk_tokens']}, threads={s['threads']}, "
            f"{s['requests']} requests (fixed inputs and seeds), speaker {s['speaker']}; "
            f"LLM: {s['llm']}, max_new_tokens={s['llm_max_new_tokens']} (no EOS: every reply is that long; "
            f"a 7B LLM cannot run here, so LLM time is far below a real model's); "
            f"t2s <= {s['t2s_max_tokens_per_segment']} tokens per segment; voice loaded and one warm-up request "
            f"per mode before timing")
    rows = [("stream: time to first audio (after the 44-byte header)", m["stream_ttfa_s"], "s"),
            ("stream: time to last byte", m["stream_total_s"], "s"),
            ("non-stream: time to whole response", m["non_stream_total_s"], "s"),
            ("audio per reply, stream", m["stream_audio_s"], "s"),
            ("audio per reply, non-stream", m["non_stream_audio_s"], "s")]
    lines = [head, "", "| figure | median | max |", "| --- | --- | --- |"]
    lines += [f"| {label} | {v['median']:.2f} {unit} | {v['max']:.2f} {unit} |" for label, v, unit in rows]
    lines += ["", "Speech-only (POST /v1/audio/speech, stream app): time to the first encoded audio byte, median",
              "", "| format | first audio | added to WAV's |", "| --- | --- | --- |"]
    lines += [f"| {fmt} | {v['ttfa_s'] * 1000:.0f} ms | {v['added_vs_wav_ms']:+.1f} ms |"
              for fmt, v in record["formats"].items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.bench_server", description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", choices=("tiny", "full"), default="tiny", help="TTS models (the LLM is always tiny)")
    ap.add_argument("--requests", type=int, default=3, choices=range(1, len(REQUESTS) + 1), metavar="N",
                    help=f"requests per mode, 1-{len(REQUESTS)} (default 3)")
    ap.add_argument("--out", type=Path, default=Path("bench_results"), help="results and model cache folder")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--llm-tokens", type=int, default=48, help="LLM max_new_tokens (the tiny LLM never stops earlier)")
    ap.add_argument("--t2s-tokens", type=int, default=60, help="semantic tokens per text segment at most")
    ap.add_argument("--fast", action="store_true",
                    help="int8 t2s weights and oneDNN BERT (tts.t2s_fast: int8, tts.bert_fast: onednn)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    record = run(args.size, args.requests, args.out, args.threads, args.llm_tokens, args.t2s_tokens, args.fast)
    path = args.out / f"server-bench-{args.size}{'-fast' if args.fast else ''}.json"
    path.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    print(format_table(record))
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
