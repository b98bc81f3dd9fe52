"""Benchmark of the TTS engine on random-weight models of upstream's real shapes.

    python -m tts.bench [--size full|tiny] [--threads 2] [--out bench_results/] [--mode fp32|fast]
                        [--device cpu|cuda|auto] [--cache DIR] [--max-tokens 60]

Builds (once, into ``--cache``) GPT 24x512, SoVITS v2 (s2.json), BERT-large and HuBERT-base
shaped models with random weights, loads them, then synthesizes a fixed set of sentences with a
fixed token budget per segment (random weights rarely pick EOS, so every segment decodes exactly
``--max-tokens`` tokens) and reports:

- model load time (BERT + HuBERT + frontend + GPT + SoVITS), reference prompt time (first load
  of a voice, and a second request of the same voice: cached);
- per sentence: text frontend + BERT ms, t2s ms per token (prefill included), SoVITS seconds per
  second of audio; total real-time factor (wall time / speech seconds, silences excluded);
- time to first audio in stream mode (first segment of a request);
- peak memory (RSS high-water mark of this process; models are built in a child process).

Prints a table, writes ``bench.json`` and ``bench.png`` (time per stage) under ``--out``.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import platform
import resource
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

SENTENCES = (
    "今天天气很好，我们一起去公园散步吧。",
    "人工智能正在改变我们的生活方式。",
    "请在下午三点之前把报告发给我，谢谢！",
    "春天来了，花园里的花都开了，小鸟在树上唱歌。",
)
STREAM_TEXT = "你好，很高兴认识你。今天我们聊点什么呢？"


@dataclass(frozen=True)
class BenchResult:
    """Every figure the benchmark reports (seconds unless the name says otherwise)."""

    size: str
    mode: str
    device: str
    threads: int
    max_tokens: int
    build_s: float
    model_load_s: float
    ref_prompt_first_ms: float
    ref_prompt_cached_ms: float
    text_bert_ms_per_sentence: float
    t2s_ms_per_token: float
    sovits_s_per_audio_s: float
    total_rtf: float
    first_audio_s: float
    peak_rss_mb: float
    peak_cuda_mb: float | None
    tokens: int
    audio_s: float
    stage_s: dict  # stage -> total seconds over the measured sentences
    per_sentence: list  # per sentence: text_s, bert_s, t2s_s, tokens, sovits_s, audio_s


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


def run_bench(size: str, threads: int, mode: str, device: str, cache: Path, max_tokens: int) -> BenchResult:
    import torch

    from tts.builders import build_tts_models
    from tts.engine import TTSEngine

    torch.set_num_threads(threads)
    build_s = build_in_child(cache, size)
    paths = build_tts_models(cache, size=size)  # already built: only checks the marker
    dtype = None
    if mode == "fast":
        dtype = torch.bfloat16 if device == "cpu" else torch.float16
    cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())

    t0 = time.perf_counter()
    engine = TTSEngine(paths.bert, paths.hubert, device=device, dtype=dtype)
    voice = engine.load_voice(paths.gpt, paths.sovits, paths.ref_audio, paths.ref_text)
    load_wall = time.perf_counter() - t0
    vt = engine.voices.get(voice).timings
    model_load_s = sum(engine.timings.values()) + vt["model_load_s"]
    ref_first_ms = 1000 * (vt["audio_prompt_s"] + vt["text_prompt_s"])
    t0 = time.perf_counter()
    engine.load_voice(paths.gpt, paths.sovits, paths.ref_audio, paths.ref_text)  # a later request: cached
    ref_cached_ms = 1000 * (time.perf_counter() - t0)
    logging.getLogger(__name__).info("engine + voice ready in %.2f s", load_wall)

    # warm-up: one-time work (jieba dictionary, kernel selection) is not what a request pays
    engine.synthesize("你好，欢迎使用。", voice=voice, seed=0, max_tokens=8)
    if cuda:
        torch.cuda.reset_peak_memory_stats()

    per_sentence = []
    wall = 0.0
    for i, sentence in enumerate(SENTENCES):
        t0 = time.perf_counter()
        chunks = list(engine.stream(sentence, voice=voice, seed=i, max_tokens=max_tokens))
        wall += time.perf_counter() - t0
        stats = [c.stats for c in chunks if c.stats is not None]
        per_sentence.append({
            "text": sentence, "segments": len(stats),
            **{k: sum(getattr(s, k) for s in stats) for k in ("text_s", "bert_s", "t2s_s", "tokens", "sovits_s",
                                                               "audio_s")}})
    t0 = time.perf_counter()
    first = next(iter(engine.stream(STREAM_TEXT, voice=voice, seed=0, max_tokens=max_tokens)))
    first_audio_s = time.perf_counter() - t0
    del first

    total = {k: sum(p[k] for p in per_sentence) for k in ("text_s", "bert_s", "t2s_s", "tokens", "sovits_s",
                                                           "audio_s")}
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    return BenchResult(
        size=size, mode=mode, device=str(engine.device), threads=threads, max_tokens=max_tokens,
        build_s=round(build_s, 2), model_load_s=round(model_load_s, 3),
        ref_prompt_first_ms=round(ref_first_ms, 1), ref_prompt_cached_ms=round(ref_cached_ms, 2),
        text_bert_ms_per_sentence=round(1000 * (total["text_s"] + total["bert_s"]) / len(SENTENCES), 1),
        t2s_ms_per_token=round(1000 * total["t2s_s"] / max(1, total["tokens"]), 2),
        sovits_s_per_audio_s=round(total["sovits_s"] / max(1e-9, total["audio_s"]), 3),
        total_rtf=round(wall / max(1e-9, total["audio_s"]), 3),
        first_audio_s=round(first_audio_s, 3),
        peak_rss_mb=round(peak_rss_mb, 1),
        peak_cuda_mb=round(torch.cuda.max_memory_allocated() / 2**20, 1) if cuda else None,
        tokens=int(total["tokens"]), audio_s=round(total["audio_s"], 2),
        stage_s={"text": round(total["text_s"], 3), "bert": round(total["bert_s"], 3),
                 "t2s": round(total["t2s_s"], 3), "sovits": round(total["sovits_s"], 3)},
        per_sentence=per_sentence,
    )


def format_table(r: BenchResult) -> str:
    """The result as a Markdown table."""
    rows = [
        ("model load", f"{r.model_load_s:.2f} s"),
        ("reference prompt, first / cached", f"{r.ref_prompt_first_ms:.0f} ms / {r.ref_prompt_cached_ms:.2f} ms"),
        ("text + BERT per sentence", f"{r.text_bert_ms_per_sentence:.0f} ms"),
        ("t2s per token (prefill incl.)", f"{r.t2s_ms_per_token:.1f} ms"),
        ("SoVITS per audio second", f"{r.sovits_s_per_audio_s:.3f} s"),
        ("total real-time factor", f"{r.total_rtf:.3f}"),
        ("time to first audio (stream, 1st segment)", f"{r.first_audio_s:.2f} s"),
        ("peak memory (RSS)", f"{r.peak_rss_mb:.0f} MB"),
    ]
    if r.peak_cuda_mb is not None:
        rows.append(("peak CUDA memory", f"{r.peak_cuda_mb:.0f} MB"))
    head = (f"size={r.size} mode={r.mode} device={r.device} threads={r.threads} "
            f"tokens/segment<={r.max_tokens} ({r.tokens} tokens, {r.audio_s:.1f} s audio)")
    lines = [head, "", "| figure | value |", "| --- | --- |"] + [f"| {a} | {b} |" for a, b in rows]
    return "\n".join(lines)


def plot(r: BenchResult, path: Path) -> Path | None:
    """A bar chart of time per stage per sentence (stacked) next to the audio length."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        logging.getLogger(__name__).warning("matplotlib is not installed: no chart (pip install -r requirements-dev.txt)")
        return None
    fig, ax = plt.subplots(figsize=(8, 4.5))
    labels = [f"S{i + 1}" for i in range(len(r.per_sentence))]
    bottom = [0.0] * len(labels)
    for stage, key, color in (("text", "text_s", "#8dd3c7"), ("BERT", "bert_s", "#80b1d3"),
                              ("t2s", "t2s_s", "#fb8072"), ("SoVITS", "sovits_s", "#bebada")):
        vals = [p[key] for p in r.per_sentence]
        ax.bar(labels, vals, bottom=bottom, label=stage, color=color, width=0.5)
        bottom = [b + v for b, v in zip(bottom, vals)]
    ax.plot(labels, [p["audio_s"] for p in r.per_sentence], "k_", markersize=30, mew=2, label="audio length")
    ax.set_ylabel("seconds")
    ax.set_title(f"time per stage: {r.size} models, {r.mode}, {r.device}, {r.threads} threads "
                 f"(RTF {r.total_rtf:.2f})")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tts.bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", choices=("full", "tiny"), default="full")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("bench_results"))
    ap.add_argument("--mode", choices=("fp32", "fast"), default="fp32",
                    help="fp32: output equal to the reference path; fast: bf16 (CPU) / fp16 (CUDA) weights")
    ap.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    ap.add_argument("--cache", type=Path, default=None, help="model folder (default: <out>/models-<size>)")
    ap.add_argument("--max-tokens", type=int, default=60, help="semantic tokens per segment (25 = 1 s of audio)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    cache = args.cache or args.out / f"models-{args.size}"
    result = run_bench(args.size, args.threads, args.mode, args.device, cache, args.max_tokens)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"bench-{result.size}-{result.mode}-{result.device.split(':')[0]}"
    data = {"result": asdict(result), "python": sys.version.split()[0], "machine": platform.machine(),
            "processor": platform.processor()}
    (args.out / f"{stem}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    chart = plot(result, args.out / f"{stem}.png")
    print(format_table(result))
    print(f"\nwrote {args.out / (stem + '.json')}" + (f" and {chart}" if chart else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
