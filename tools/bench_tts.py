"""Benchmark of the TTS engine on random-weight models of upstream's real shapes.

    python -m tools.bench_tts [--size full|tiny] [--threads 2] [--out bench_results/] [--mode fp32|onednn|fast|both|all]
                        [--device cpu|cuda|auto] [--cache DIR] [--max-tokens 60]

Builds (once, into ``--cache``) GPT 24x512, SoVITS v2 (s2.json), BERT-large and HuBERT-base
shaped models with random weights, loads them, then synthesizes a fixed set of sentences with a
fixed token budget per segment (random weights rarely pick EOS, so every segment decodes exactly
``--max-tokens`` tokens) and reports:

- model load time (BERT + HuBERT + frontend and its one-time warm-up + GPT + SoVITS; library imports before it, not
  counted), reference prompt time (first load
  of a voice, and a second request of the same voice: cached);
- per sentence: text frontend + BERT ms, t2s ms per token (decoding) and prefill per segment, SoVITS seconds per
  second of audio; total real-time factor (wall time / speech seconds, silences excluded);
- time to first audio in stream mode (median of FIRST_AUDIO_REPEATS requests): the first chunk of a request with the service's default
  ``stream_chunk_tokens`` (8 tokens, ``tts.chunked``), and the first whole segment (upstream's way);
- a non-stream reply (the sentences as one text): real-time factor with segments decoded one at a
  time (upstream's order) and with ``t2s_batch`` = REPLY_BATCH (``tts.models.t2s_generate.generate_batch``);
- peak memory: the RSS high-water mark (VmHWM) of the process that ran the mode. Building the
  models and every mode run in their own child processes, so the peaks of two modes never mix.

Modes: ``fp32`` keeps the output equal to the reference path; ``onednn`` keeps float32 weights
but repacks the GPT's and BERT's for oneDNN (results differ in the last bits, ~1e-6); ``fast`` runs
the GPT (t2s) with int8 dynamic-quantized weights and BERT repacked for oneDNN on CPU (SoVITS and
HuBERT stay fp32: bf16 SoVITS measured 3-4x slower than fp32 on the 2-core CPU this was written
on) and everything in fp16 on CUDA; ``both`` runs fp32 and fast, ``all`` the three, one after
the other, each in its own process. Next to the figures it prints upstream GPT-SoVITS's
numbers on the same CPU (``UPSTREAM``, or ``--upstream FILE``: the JSON of a side-by-side run of
upstream's own code on the same files, keys as in ``UPSTREAM``), the ratio ours / upstream, and the memory-bandwidth bound
of a t2s step (every step reads all GPT weights) from this machine's measured read bandwidth
(both only for ``--size full``: upstream's figures are for the full-size shapes).

Prints a table, writes ``bench-<size>-<device>.json`` and ``.png`` (time per stage) under ``--out``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import multiprocessing
import platform
import resource
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from queue import Empty

from tts.options import FRAGMENT_INTERVAL_S, SynthesisOptions

SENTENCES = (
    "今天天气很好，我们一起去公园散步吧。",
    "人工智能正在改变我们的生活方式。",
    "请在下午三点之前把报告发给我，谢谢！",
    "春天来了，花园里的花都开了，小鸟在树上唱歌。",
)
STREAM_TEXT = "你好，很高兴认识你。今天我们聊点什么呢？"
STREAM_CHUNK_TOKENS = 8  # the service's default server.stream_chunk_tokens
REPLY_BATCH = 4  # t2s_batch of the batched non-stream reply figure
FIRST_AUDIO_REPEATS = 3  # time to first audio: the median of this many requests (one is at the mercy of the host)
MODES = ("fp32", "onednn", "fast")

# Upstream GPT-SoVITS on this machine's CPU, 2 threads, fp32, full-size random weights
# (shared/UPSTREAM_FACTS.md, last section). Keys are BenchResult fields.
UPSTREAM = {
    "model_load_s": 1.5,
    "ref_prompt_first_ms": 1100.0,
    "text_bert_ms_per_sentence": 630.0,
    "t2s_ms_per_token": 38.0,
    "t2s_prefill_ms_per_segment": 300.0,
    "sovits_s_per_audio_s": 0.34,
    "total_rtf": 1.37,
    "peak_rss_mb": 4400.0,
}
T2S_PARAMS = 77.6e6  # parameters a full-size t2s step reads (24 layers x 512 + embeddings and head)


@dataclass(frozen=True)
class BenchResult:
    """Every figure the benchmark reports (seconds unless the name says otherwise)."""

    size: str
    mode: str
    device: str
    dtype: str
    t2s_fast: str
    bert_fast: str
    threads: int
    max_tokens: int
    build_s: float
    model_load_s: float
    ref_prompt_first_ms: float
    ref_prompt_cached_ms: float
    text_bert_ms_per_sentence: float
    t2s_ms_per_token: float  # decoding only: one step per token after the first
    t2s_prefill_ms_per_segment: float  # prefill and first token, per segment
    sovits_s_per_audio_s: float
    total_rtf: float
    first_audio_s: float  # first chunk, STREAM_CHUNK_TOKENS
    first_audio_whole_s: float  # first whole segment (no chunking)
    reply_rtf: float  # non-stream reply of all sentences, segments one at a time (wall / speech seconds)
    reply_rtf_batched: float  # the same with t2s_batch = REPLY_BATCH
    peak_rss_mb: float
    peak_cuda_mb: float | None
    tokens: int
    audio_s: float
    stage_s: dict  # stage -> total seconds over the measured sentences
    per_sentence: list  # per sentence: text_s, bert_s, t2s_s, tokens, sovits_s, audio_s, audio_sha256 (int16 samples)


def _build(cache: str, size: str, seed: int) -> None:
    from tts.builders import build_tts_models

    build_tts_models(cache, size=size, seed=seed)


def build_in_child(cache: Path, size: str, seed: int = 0) -> float:
    """Build (or reuse) the models in a child process, so building does not count in peak memory."""
    t0 = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=_build, args=(str(cache), size, seed))
    proc.start()
    proc.join()
    if proc.exitcode != 0:
        raise SystemExit(f"building the {size} models in {cache} failed (exit code {proc.exitcode})")
    return time.perf_counter() - t0


def peak_rss_mb() -> float:
    """This process's RSS high-water mark in MB: VmHWM (per address space, so a spawned child
    does not inherit its parent's peak), or ru_maxrss where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def mode_settings(mode: str, cuda: bool) -> tuple[str, str | bool, str | bool]:
    """(engine dtype, t2s_fast, bert_fast) of a mode: fp32 -> ("auto", False, False), i.e. fp32 on
    CPU and fp16 on CUDA as the engine defaults; onednn -> float32 GPT and BERT weights repacked
    for oneDNN on CPU; fast -> int8 GPT and oneDNN BERT with fp32 elsewhere on CPU; on CUDA both
    run fp16."""
    if mode == "fp32":
        return "auto", False, False
    if mode == "onednn":
        return ("fp16", False, False) if cuda else ("fp32", "onednn", "onednn")
    if mode == "fast":
        return ("fp16", False, False) if cuda else ("fp32", "int8", "onednn")
    raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")


def run_bench(size: str, threads: int, mode: str, device: str, cache: Path, max_tokens: int,
              build_s: float = 0.0) -> BenchResult:
    """Load the already-built models in ``cache`` and measure ``mode`` in this process."""
    import torch

    from tts.builders import build_tts_models
    from tts.engine import TTSEngine

    torch.set_num_threads(threads)
    paths = build_tts_models(cache, size=size)  # already built: only checks the marker
    # library imports are not model loading (the side-by-side upstream run does not count its imports either)
    import nltk.tokenize  # noqa: F401  (the English g2p's tokenizer: upstream imports it with its text module)
    import transformers.models.bert.modeling_bert
    import transformers.models.hubert.modeling_hubert  # noqa: F401

    import tts.models
    import tts.text  # noqa: F401

    cuda = device.startswith("cuda") or (device == "auto" and torch.cuda.is_available())
    dtype, t2s_fast, bert_fast = mode_settings(mode, cuda)

    t0 = time.perf_counter()
    engine = TTSEngine(paths.bert, paths.hubert, device=device, dtype=dtype, t2s_fast=t2s_fast, bert_fast=bert_fast)
    t1 = time.perf_counter()
    engine.warm_up()  # one-time frontend work (jieba, dictionaries), done at start-up by the service
    warm_up_s = time.perf_counter() - t1
    voice = engine.load_voice(paths.gpt, paths.sovits, paths.ref_audio, paths.ref_text)
    load_wall = time.perf_counter() - t0
    vt = engine.voices.get(voice).timings
    model_load_s = sum(engine.timings.values()) + warm_up_s + vt["model_load_s"]
    ref_first_ms = 1000 * (vt["audio_prompt_s"] + vt["text_prompt_s"])
    t0 = time.perf_counter()
    engine.load_voice(paths.gpt, paths.sovits, paths.ref_audio, paths.ref_text)  # a later request: cached
    ref_cached_ms = 1000 * (time.perf_counter() - t0)
    logging.getLogger(__name__).info("%s: engine + voice ready in %.2f s", mode, load_wall)

    # warm-up: one-time work (jieba dictionary, kernel selection) is not what a request pays
    engine.synthesize("你好，欢迎使用。", voice, SynthesisOptions(max_tokens=8), seed=0)
    first_chunk(engine, voice, max_tokens, STREAM_CHUNK_TOKENS)  # the first chunk's shapes, as a service has seen
    if cuda:
        torch.cuda.reset_peak_memory_stats()

    per_sentence = []
    wall = 0.0
    for i, sentence in enumerate(SENTENCES):
        t0 = time.perf_counter()
        chunks = list(engine.stream(sentence, voice, SynthesisOptions(max_tokens=max_tokens), seed=i))
        wall += time.perf_counter() - t0
        stats = [c.stats for c in chunks if c.stats is not None]
        pcm = b"".join(c.pcm.astype("<i2").tobytes() for c in chunks)
        per_sentence.append({
            "text": sentence, "segments": len(stats), "audio_sha256": hashlib.sha256(pcm).hexdigest(),
            **{k: sum(getattr(s, k) for s in stats) for k in ("text_s", "bert_s", "t2s_s", "prefill_s", "tokens",
                                                               "sovits_s", "audio_s")}})
    first_audio_s = first_chunk(engine, voice, max_tokens, STREAM_CHUNK_TOKENS, FIRST_AUDIO_REPEATS)
    first_audio_whole_s = first_chunk(engine, voice, max_tokens, None, FIRST_AUDIO_REPEATS)
    reply_rtf = reply(engine, voice, max_tokens, 1)
    reply(engine, voice, 8, REPLY_BATCH)  # warm-up: the batched shapes' one-time kernel setup
    reply_rtf_batched = reply(engine, voice, max_tokens, REPLY_BATCH)

    total = {k: sum(p[k] for p in per_sentence) for k in ("text_s", "bert_s", "t2s_s", "prefill_s", "tokens",
                                                           "segments", "sovits_s", "audio_s")}
    decode_steps = max(1, total["tokens"] - total["segments"])  # the first token of a segment comes with the prefill
    return BenchResult(
        size=size, mode=mode, device=str(engine.device), dtype=str(engine.dtype).removeprefix("torch."),
        t2s_fast=str(t2s_fast or "no"), bert_fast=str(bert_fast or "no"), threads=threads, max_tokens=max_tokens,
        build_s=round(build_s, 2), model_load_s=round(model_load_s, 3),
        ref_prompt_first_ms=round(ref_first_ms, 1), ref_prompt_cached_ms=round(ref_cached_ms, 2),
        text_bert_ms_per_sentence=round(1000 * (total["text_s"] + total["bert_s"]) / len(SENTENCES), 1),
        t2s_ms_per_token=round(1000 * (total["t2s_s"] - total["prefill_s"]) / decode_steps, 2),
        t2s_prefill_ms_per_segment=round(1000 * total["prefill_s"] / max(1, total["segments"]), 1),
        sovits_s_per_audio_s=round(total["sovits_s"] / max(1e-9, total["audio_s"]), 3),
        total_rtf=round(wall / max(1e-9, total["audio_s"]), 3),
        first_audio_s=round(first_audio_s, 3), first_audio_whole_s=round(first_audio_whole_s, 3),
        reply_rtf=round(reply_rtf, 3), reply_rtf_batched=round(reply_rtf_batched, 3),
        peak_rss_mb=round(peak_rss_mb(), 1),
        peak_cuda_mb=round(torch.cuda.max_memory_allocated() / 2**20, 1) if cuda else None,
        tokens=int(total["tokens"]), audio_s=round(total["audio_s"], 2),
        stage_s={"text": round(total["text_s"], 3), "bert": round(total["bert_s"], 3),
                 "t2s": round(total["t2s_s"], 3), "sovits": round(total["sovits_s"], 3)},
        per_sentence=per_sentence,
    )


def first_chunk(engine, voice, max_tokens: int, chunk_tokens: int | None, repeats: int = 1) -> float:
    """Seconds from a stream request of STREAM_TEXT to its first chunk (the rest is not made);
    the median of ``repeats`` requests."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        options = SynthesisOptions(max_tokens=max_tokens, chunk_tokens=chunk_tokens)
        chunks = engine.stream(STREAM_TEXT, voice, options, seed=0)
        next(chunks)
        times.append(time.perf_counter() - t0)
        chunks.close()
    return statistics.median(times)


def reply(engine, voice, max_tokens: int, batch: int) -> float:
    """Real-time factor of one non-stream reply of all SENTENCES with ``t2s_batch`` = ``batch``:
    wall time / seconds of speech (the silence after each segment excluded)."""
    from tts.text.segment import synthesis_segments

    text = "".join(SENTENCES)
    engine.t2s_batch = batch
    try:
        t0 = time.perf_counter()
        sr, wav = engine.synthesize(text, voice, SynthesisOptions(max_tokens=max_tokens), seed=0)
        wall = time.perf_counter() - t0
    finally:
        engine.t2s_batch = 1
    speech_s = len(wav) / sr - len(synthesis_segments(text, "zh")) * FRAGMENT_INTERVAL_S
    return wall / max(1e-9, speech_s)


def _bench_child(queue, *args) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    queue.put(asdict(run_bench(*args)))


def run_bench_in_child(size: str, threads: int, mode: str, device: str, cache: Path, max_tokens: int,
                       build_s: float = 0.0) -> BenchResult:
    """:func:`run_bench` in a fresh spawned process: its peak memory is that mode's alone."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_bench_child, args=(queue, size, threads, mode, device, str(cache), max_tokens,
                                                   build_s))
    proc.start()
    result = None
    while result is None and (proc.is_alive() or not queue.empty()):
        with contextlib.suppress(Empty):  # poll again while the child lives
            result = queue.get(timeout=1.0)
    proc.join()
    if result is None or proc.exitcode != 0:
        raise SystemExit(f"the {mode} benchmark failed (exit code {proc.exitcode})")
    return BenchResult(**result)


@dataclass(frozen=True)
class Bandwidth:
    """Single-process read bandwidth of this machine and the t2s bound it implies."""

    threads: int
    tensor_mb: float
    sum_gb_s: float  # x.sum() over a float32 tensor of the t2s weights' size
    matvec_gb_s: float  # (rows, 512) float32 matrix @ vector, the shape of a t2s decode step
    bound_fp32_ms: float  # all t2s weights (4 bytes each) read once per token at the better bandwidth
    bound_int8_ms: float  # the same at 1 byte per weight


def measure_bandwidth(threads: int, params: float = T2S_PARAMS, repeats: int = 7) -> Bandwidth:
    """Time reading ``params`` float32 values (310 MB for the full t2s) with ``threads`` threads:
    the median of ``repeats`` runs of ``x.sum()`` and of a matrix-vector product."""
    import torch

    torch.set_num_threads(threads)
    cols = 512
    rows = int(params) // cols
    w = torch.randn(rows, cols)  # (rows, 512) float32
    v = torch.randn(cols)
    nbytes = w.numel() * w.element_size()

    def median_s(fn) -> float:
        fn()
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return sorted(times)[len(times) // 2]

    sum_s = median_s(lambda: w.sum())
    mv_s = median_s(lambda: torch.mv(w, v))
    best_s = min(sum_s, mv_s)
    return Bandwidth(threads=threads, tensor_mb=round(nbytes / 1e6, 1), sum_gb_s=round(nbytes / sum_s / 1e9, 2),
                     matvec_gb_s=round(nbytes / mv_s / 1e9, 2), bound_fp32_ms=round(1000 * best_s, 2),
                     bound_int8_ms=round(1000 * best_s / 4, 2))


_ROWS = (  # (label, field, format, upstream field or None)
    ("model load", "model_load_s", "{:.2f} s", "model_load_s"),
    ("reference prompt, first request", "ref_prompt_first_ms", "{:.0f} ms", "ref_prompt_first_ms"),
    ("reference prompt, cached", "ref_prompt_cached_ms", "{:.2f} ms", None),
    ("text + BERT per sentence", "text_bert_ms_per_sentence", "{:.0f} ms", "text_bert_ms_per_sentence"),
    ("t2s per token (decoding)", "t2s_ms_per_token", "{:.1f} ms", "t2s_ms_per_token"),
    ("t2s prefill per segment", "t2s_prefill_ms_per_segment", "{:.0f} ms", "t2s_prefill_ms_per_segment"),
    ("SoVITS per audio second", "sovits_s_per_audio_s", "{:.3f} s", "sovits_s_per_audio_s"),
    ("total real-time factor", "total_rtf", "{:.3f}", "total_rtf"),
    (f"time to first audio (stream, first {STREAM_CHUNK_TOKENS} tokens)", "first_audio_s", "{:.2f} s", None),
    ("time to first audio (stream, whole 1st segment)", "first_audio_whole_s", "{:.2f} s", None),
    ("non-stream reply RTF, segments one at a time", "reply_rtf", "{:.3f}", "total_rtf"),
    (f"non-stream reply RTF, t2s_batch {REPLY_BATCH}", "reply_rtf_batched", "{:.3f}", "total_rtf"),
    ("peak memory (RSS, own process)", "peak_rss_mb", "{:.0f} MB", "peak_rss_mb"),
)


def format_table(results: list[BenchResult], bandwidth: Bandwidth | None = None, upstream: dict | None = None,
                 upstream_label: str = "upstream (CPU, 2 thr, fp32)") -> str:
    """The results (one column per mode, each with its ratio to ``upstream``, default UPSTREAM) as a Markdown table."""
    upstream = UPSTREAM if upstream is None else upstream
    r0 = results[0]
    compare = r0.size == "full"  # upstream's figures and the bound are for the full-size shapes
    head = (f"size={r0.size} device={r0.device} threads={r0.threads} tokens/segment<={r0.max_tokens} "
            f"({r0.tokens} tokens, {r0.audio_s:.1f} s audio, {len(SENTENCES)} sentences); "
            + "; ".join(f"{r.mode}: dtype {r.dtype}, t2s fast: {r.t2s_fast}, BERT fast: {r.bert_fast}"
                        for r in results))
    cols = ["figure"] + ([upstream_label] if compare else [])
    for r in results:
        cols += [r.mode] + ([f"{r.mode} / upstream"] if compare else [])
    lines = [head, "", "| " + " | ".join(cols) + " |", "|" + " --- |" * len(cols)]
    for label, field, fmt, up_field in _ROWS:
        up = upstream.get(up_field) if up_field else None
        cells = [label] + ([fmt.format(up) if up is not None else ""] if compare else [])
        for r in results:
            value = getattr(r, field)
            cells += [fmt.format(value)] + ([f"{value / up:.2f}" if up else ""] if compare else [])
        lines.append("| " + " | ".join(cells) + " |")

    def plain_row(label: str, values: list[str]) -> str:
        """A row with one value per mode and no upstream figure or ratio."""
        gap = [""] if compare else []
        return "| " + " | ".join([label] + gap + [c for v in values for c in [v] + gap]) + " |"

    reference = next((r for r in results if r.mode == "fp32"), None)
    if reference is not None and len(results) > 1:
        lines.append(plain_row("audio equal to fp32's (sentences, same seeds)",
                               [same_audio(r, reference) for r in results]))
    if any(r.peak_cuda_mb is not None for r in results):
        lines.append(plain_row("peak CUDA memory",
                               [f"{r.peak_cuda_mb:.0f} MB" if r.peak_cuda_mb is not None else "" for r in results]))
    if compare and bandwidth is not None and not any(r.device.startswith("cuda") for r in results):
        cells = ["t2s bound (memory bandwidth)", f"{bandwidth.bound_fp32_ms:.1f} ms"]
        for r in results:
            bound = bandwidth.bound_int8_ms if r.t2s_fast == "int8" else bandwidth.bound_fp32_ms
            cells += [f"{bound:.1f} ms", f"measured / bound {r.t2s_ms_per_token / bound:.1f}x"]
        lines.append("| " + " | ".join(cells) + " |")
        lines += ["", (f"read bandwidth, {bandwidth.threads} threads, {bandwidth.tensor_mb:.0f} MB fp32: "
                       f"x.sum() {bandwidth.sum_gb_s:.1f} GB/s, matrix-vector {bandwidth.matvec_gb_s:.1f} GB/s"),
                  f"bound: {bandwidth.bound_fp32_ms:.1f} ms/token fp32, {bandwidth.bound_int8_ms:.1f} ms/token int8 "
                  f"(t2s reads {T2S_PARAMS / 1e6:.1f} M weights per token)"
                  + "".join(f"; measured {r.mode}: {r.t2s_ms_per_token:.1f} ms/token" for r in results)]
    return "\n".join(lines)


def same_audio(r: BenchResult, reference: BenchResult) -> str:
    """How many of ``r``'s sentences came out as the very samples ``reference`` made, as "k / n"."""
    pairs = list(zip(r.per_sentence, reference.per_sentence))
    same = sum(1 for a, b in pairs if a.get("audio_sha256") is not None and a.get("audio_sha256") == b.get("audio_sha256"))
    return f"{same} / {len(pairs)}"


_STAGES = (("text", "text", "#8dd3c7"), ("BERT (upstream: text + BERT)", "bert", "#80b1d3"), ("t2s", "t2s", "#fb8072"),
           ("SoVITS", "sovits", "#bebada"))


def upstream_stage_s(r: BenchResult, upstream: dict | None = None) -> dict[str, float]:
    """Upstream's stage times for ``r``'s workload, from its per-unit figures (default UPSTREAM;
    text and BERT together; t2s with its prefill per segment)."""
    up = UPSTREAM if upstream is None else upstream
    return {"text": 0.0, "bert": up["text_bert_ms_per_sentence"] / 1000 * len(r.per_sentence),
            "t2s": (up["t2s_ms_per_token"] * r.tokens
                    + up["t2s_prefill_ms_per_segment"] * sum(p["segments"] for p in r.per_sentence)) / 1000,
            "sovits": up["sovits_s_per_audio_s"] * r.audio_s}


def plot(results: list[BenchResult], path: Path, upstream: dict | None = None,
         upstream_label: str = "upstream\n(estimated)") -> Path | None:
    """Stacked bars of the time per stage for the whole sentence set, one bar per mode and one
    for upstream (scaled from its per-unit figures), with the audio length as a line."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        logging.getLogger(__name__).warning("matplotlib is not installed: no chart (pip install -r requirements-dev.txt)")
        return None
    r0 = results[0]
    bars = ([(upstream_label, upstream_stage_s(r0, upstream))] if r0.size == "full" else [])
    bars += [(f"{r.mode}\nRTF {r.total_rtf:.2f}", r.stage_s) for r in results]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    labels = [b[0] for b in bars]
    bottom = [0.0] * len(bars)
    for stage, key, color in _STAGES:
        vals = [b[1].get(key, 0.0) for b in bars]
        ax.bar(labels, vals, bottom=bottom, label=stage, color=color, width=0.5)
        bottom = [b + v for b, v in zip(bottom, vals)]
    ax.axhline(r0.audio_s, color="k", linestyle="--", linewidth=1, label=f"audio length ({r0.audio_s:.1f} s)")
    ax.set_ylabel("seconds (all sentences)")
    ax.set_title(f"time per stage: {r0.size} models, {r0.device}, {r0.threads} threads, "
                 f"{len(r0.per_sentence)} sentences, {r0.tokens} tokens", fontsize=9)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)  # beside the bars, never over them
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def load_upstream(path: Path) -> dict[str, float]:
    """Upstream's figures from a side-by-side run's JSON: every key of UPSTREAM, as numbers."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"--upstream {path}: cannot read it as JSON ({exc})") from None
    missing = [k for k in UPSTREAM if not isinstance(data.get(k), (int, float))]
    if missing:
        raise SystemExit(f"--upstream {path}: missing or not a number: {', '.join(missing)}")
    return {k: float(data[k]) for k in UPSTREAM}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.bench_tts", description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", choices=("full", "tiny"), default="full")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("bench_results"))
    ap.add_argument("--mode", choices=(*MODES, "both", "all"), default="both",
                    help="fp32: output equal to the reference path; onednn: float32 GPT and BERT weights repacked "
                         "for oneDNN (CPU); fast: int8 GPT weights (CPU) / fp16 (CUDA); both: fp32 and fast; "
                         "all: the three; each in its own process")
    ap.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    ap.add_argument("--cache", type=Path, default=None, help="model folder (default: <out>/models-<size>)")
    ap.add_argument("--max-tokens", type=int, default=60, help="semantic tokens per segment (25 = 1 s of audio)")
    ap.add_argument("--upstream", type=Path, default=None,
                    help="JSON of a side-by-side run of upstream on the same files (keys as UPSTREAM); "
                         "default: UPSTREAM, upstream's figures from shared/UPSTREAM_FACTS.md")
    args = ap.parse_args(argv)
    upstream, up_table, up_chart = UPSTREAM, "upstream (CPU, 2 thr, fp32)", "upstream\n(estimated)"
    if args.upstream is not None:
        upstream = load_upstream(args.upstream)
        up_table, up_chart = f"upstream measured ({args.upstream.name})", "upstream\n(measured rates)"
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    cache = args.cache or args.out / f"models-{args.size}"
    build_s = build_in_child(cache, args.size)
    modes = {"both": ("fp32", "fast"), "all": MODES}.get(args.mode, (args.mode,))
    results = [run_bench_in_child(args.size, args.threads, m, args.device, cache, args.max_tokens, build_s)
               for m in modes]
    # after the modes (no competition for the cores), in this process (no mode's peak includes it)
    # (the bound is for the full-size t2s: not measured for tiny models)
    bandwidth = measure_bandwidth(args.threads) if results[0].device == "cpu" and args.size == "full" else None
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"bench-{args.size}-{results[0].device.split(':')[0]}" + ("" if args.mode in ("both", "all") else f"-{args.mode}")
    data = {"results": {r.mode: asdict(r) for r in results}, "upstream": upstream,
            "upstream_source": str(args.upstream) if args.upstream else "shared/UPSTREAM_FACTS.md",
            "ratio_to_upstream": {r.mode: {k: round(getattr(r, k) / v, 3) for k, v in upstream.items()}
                                  for r in results} if args.size == "full" else None,
            "bandwidth": asdict(bandwidth) if bandwidth else None,
            "python": sys.version.split()[0], "machine": platform.machine(), "processor": platform.processor()}
    (args.out / f"{stem}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    chart = plot(results, args.out / f"{stem}.png", upstream, up_chart)
    print(format_table(results, bandwidth, upstream, up_table))
    print(f"\nwrote {args.out / (stem + '.json')}" + (f" and {chart}" if chart else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
