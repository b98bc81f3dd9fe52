"""Concurrency benchmark: many stream requests at once, batched t2s decoding vs one at a time.

    python -m tools.bench_concurrency [--size full|tiny] [--streams 1,2,4,8,16] [--mode fp32|fast|both]
                                      [--tokens 50] [--threads 2] [--device cpu] [--out bench_results/]

For each mode and each number of streams N, N clients (threads) each send ``--requests`` stream
requests one after the other, client i starting ``i x --stagger`` seconds after the first (0: all
at once, a burst). Requests use the service's stream settings (chunks after 8 semantic tokens,
then growing); each speaks a two-sentence text, every segment ``--tokens`` semantic tokens long
(random weights never pick EOS). Two paths, each in its own process with the same models:

- ``batched``: the engine's t2s scheduler (``tts.scheduler``, ``batch_rows`` = the largest N):
  the segments of all requests decode together, the vocoder runs beside the GPT;
- ``one-at-a-time``: ``batch_rows`` = 0, the path before the scheduler: every request decodes in
  its own thread and the engine's lock lets one model run at a time.

Reported per N: aggregate speech seconds per wall second (all requests together, silences
excluded), time to first audio p50/p95 over all requests, and each request's real-time factor
(its wall time / its speech seconds; median and worst). Prints a table, writes
``concurrency-<size>-<device>.json`` and ``.png`` (throughput and first-audio p95 against N)
under ``--out``. ``tools.gpu_check`` runs the same measurement on a CUDA device.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import multiprocessing
import platform
import statistics
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from queue import Empty

from tools.bench_tts import STREAM_CHUNK_TOKENS, build_in_child, mode_settings
from tts.options import SynthesisOptions

TEXTS = (
    "今天天气很好。我们一起去公园散步吧！",
    "人工智能正在改变生活。你觉得呢？",
    "请在下午三点之前回复。谢谢你的帮助！",
    "春天来了，花都开了。小鸟在树上唱歌。",
)
PATHS = ("batched", "one-at-a-time")


@dataclass(frozen=True)
class Point:
    """One measurement: ``streams`` requests at once on one path."""

    mode: str
    path: str
    streams: int
    wall_s: float  # first request start -> last request end
    speech_s: float  # all streams' speech, silences excluded
    throughput: float  # speech_s / wall_s
    first_audio_p50_s: float
    first_audio_p95_s: float
    rtf_median: float
    rtf_max: float
    mean_batch: float | None  # rows per t2s step (batched path)


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by linear interpolation (the p95 of 1 value is that value)."""
    s = sorted(values)
    if len(s) == 1:
        return s[0]
    pos = q * (len(s) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def run_streams(engine, voice, n: int, tokens: int, mode: str, path: str, requests: int = 1,
                stagger: float = 0.0) -> Point:
    """``n`` clients sending ``requests`` stream requests each to ``engine``, client i starting
    ``i * stagger`` seconds after the first; their figures."""
    options = SynthesisOptions(max_tokens=tokens, chunk_tokens=STREAM_CHUNK_TOKENS)
    start = threading.Barrier(n + 1)
    results: dict[tuple[int, int], tuple[float, float, float, float]] = {}  # (client, k) -> (start, first audio, end, speech s)
    errors: list[BaseException] = []

    def one(i: int) -> None:
        try:
            start.wait()
            time.sleep(i * stagger)
            for k in range(requests):
                t0 = time.perf_counter()
                first = None
                speech = 0.0
                text = TEXTS[(i + k) % len(TEXTS)]
                for chunk in engine.stream(text, voice, options, seed=100 + i * requests + k):
                    if first is None:
                        first = time.perf_counter()
                    if chunk.stats is not None:
                        speech += chunk.stats.audio_s
                results[i, k] = (t0, first or time.perf_counter(), time.perf_counter(), speech)
        except BaseException as exc:  # noqa: BLE001 -- reported by the caller
            errors.append(exc)

    sched = engine.scheduler
    steps0, rows0 = (sched.steps, sched.rows_stepped) if sched is not None else (0, 0)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    start.wait()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    t_start = min(r[0] for r in results.values())
    t_end = max(r[2] for r in results.values())
    speech = sum(r[3] for r in results.values())
    firsts = [r[1] - r[0] for r in results.values()]
    rtfs = [(r[2] - r[0]) / max(r[3], 1e-9) for r in results.values()]
    steps = sched.steps - steps0 if sched is not None else 0
    return Point(mode=mode, path=path, streams=n, wall_s=round(t_end - t_start, 3), speech_s=round(speech, 3),
                 throughput=round(speech / (t_end - t_start), 3),
                 first_audio_p50_s=round(percentile(firsts, 0.5), 3), first_audio_p95_s=round(percentile(firsts, 0.95), 3),
                 rtf_median=round(statistics.median(rtfs), 3), rtf_max=round(max(rtfs), 3),
                 mean_batch=round((sched.rows_stepped - rows0) / steps, 2) if steps else None)


def measure(size: str, cache: str, mode: str, path: str, streams: list[int], tokens: int, threads: int,
            device: str, requests: int = 1, stagger: float = 0.0) -> list[Point]:
    """Load the engine for ``mode`` and ``path`` in this process and measure every N in ``streams``."""
    import torch

    from tts.builders import build_tts_models
    from tts.engine import TTSEngine

    torch.set_num_threads(threads)
    paths = build_tts_models(cache, size=size)  # built already: checks the marker
    cuda = device.startswith("cuda") or (device == "auto" and torch.cuda.is_available())
    dtype, t2s_fast, bert_fast = mode_settings(mode, cuda)
    engine = TTSEngine(paths.bert, paths.hubert, device=device, dtype=dtype, t2s_fast=t2s_fast, bert_fast=bert_fast,
                       batch_rows=max(streams) if path == "batched" else 0)
    engine.warm_up()
    voice = engine.load_voice(paths.gpt, paths.sovits, paths.ref_audio, paths.ref_text)
    run_streams(engine, voice, 2, 12, mode, path)  # warm-up: first shapes, kernel choices
    points = []
    for n in streams:
        point = run_streams(engine, voice, n, tokens, mode, path, requests, stagger)
        logging.getLogger(__name__).warning("%s %s x%d: %.2f speech s / s, first audio p95 %.2f s", mode, path, n,
                                            point.throughput, point.first_audio_p95_s)
        points.append(point)
    engine.close()
    return points


def _child(queue, *args) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    queue.put([asdict(p) for p in measure(*args)])


def measure_in_child(*args) -> list[Point]:
    """:func:`measure` in a fresh spawned process (no state shared between paths or modes)."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(queue, *args))
    proc.start()
    result = None
    while result is None and (proc.is_alive() or not queue.empty()):
        with contextlib.suppress(Empty):
            result = queue.get(timeout=1.0)
    proc.join()
    if result is None or proc.exitcode != 0:
        raise SystemExit(f"the concurrency benchmark {args[2]} {args[3]} failed (exit code {proc.exitcode})")
    return [Point(**p) for p in result]


def format_table(points: list[Point]) -> str:
    """Markdown: one row per mode and N, batched beside one-at-a-time."""
    by = {(p.mode, p.path, p.streams): p for p in points}
    lines = ["| mode | streams | speech s / s batched | one-at-a-time | gain | first audio p50 / p95 batched | "
             "one-at-a-time | RTF per stream median / max batched | one-at-a-time | rows per step |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for mode, _, n in sorted({(p.mode, 0, p.streams) for p in points}, key=lambda k: (k[0] != "fp32", k[0], k[2])):
        b, s = by.get((mode, "batched", n)), by.get((mode, "one-at-a-time", n))
        if b is None or s is None:
            continue
        lines.append(f"| {mode} | {n} | {b.throughput:.2f} | {s.throughput:.2f} | {b.throughput / s.throughput:.2f}x | "
                     f"{b.first_audio_p50_s:.2f} / {b.first_audio_p95_s:.2f} s | "
                     f"{s.first_audio_p50_s:.2f} / {s.first_audio_p95_s:.2f} s | "
                     f"{b.rtf_median:.2f} / {b.rtf_max:.2f} | {s.rtf_median:.2f} / {s.rtf_max:.2f} | "
                     f"{b.mean_batch if b.mean_batch is not None else '-'} |")
    return "\n".join(lines)


def plot(points: list[Point], path: Path, title: str) -> Path | None:
    """Throughput and first-audio p95 against the number of streams, one line per mode and path."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        logging.getLogger(__name__).warning("matplotlib is not installed: no chart (pip install -r requirements-tools.txt)")
        return None
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for mode in sorted({p.mode for p in points}):
        for name, style in (("batched", "-o"), ("one-at-a-time", "--s")):
            line = sorted((p for p in points if p.mode == mode and p.path == name), key=lambda p: p.streams)
            if not line:
                continue
            x = [p.streams for p in line]
            left.plot(x, [p.throughput for p in line], style, label=f"{mode} {name}")
            right.plot(x, [p.first_audio_p95_s for p in line], style, label=f"{mode} {name}")
    for ax, label in ((left, "speech seconds per wall second (all streams)"), (right, "first audio p95 (s)")):
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted({p.streams for p in points}), [str(n) for n in sorted({p.streams for p in points})])
        ax.set_xlabel("concurrent stream requests")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    left.legend(fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.bench_concurrency", description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", choices=("full", "tiny"), default="full")
    ap.add_argument("--streams", default="1,2,4,8,16", help="comma-separated numbers of concurrent requests")
    ap.add_argument("--mode", choices=("fp32", "fast", "both"), default="both")
    ap.add_argument("--paths", default=",".join(PATHS), help="batched, one-at-a-time or both (comma-separated)")
    ap.add_argument("--tokens", type=int, default=50, help="semantic tokens per segment (25 = 1 s of speech)")
    ap.add_argument("--requests", type=int, default=2, help="requests per client, one after the other")
    ap.add_argument("--stagger", type=float, default=0.5, help="seconds between the clients' starts (0: a burst)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    ap.add_argument("--out", type=Path, default=Path("bench_results"))
    ap.add_argument("--cache", type=Path, default=None, help="model folder (default: <out>/models-<size>)")
    args = ap.parse_args(argv)
    try:
        streams = sorted({int(v) for v in args.streams.split(",")})
    except ValueError:
        raise SystemExit(f"--streams: comma-separated integers, got {args.streams!r}") from None
    if not streams or streams[0] < 1:
        raise SystemExit(f"--streams: every number must be >= 1, got {args.streams!r}")
    paths = [p.strip() for p in args.paths.split(",")]
    if not paths or any(p not in PATHS for p in paths):
        raise SystemExit(f"--paths: {' and/or '.join(PATHS)}, got {args.paths!r}")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    cache = args.cache or args.out / f"models-{args.size}"
    build_in_child(cache, args.size)
    modes = ("fp32", "fast") if args.mode == "both" else (args.mode,)
    points: list[Point] = []
    for mode in modes:
        for path in paths:
            points += measure_in_child(args.size, str(cache), mode, path, streams, args.tokens, args.threads,
                                       args.device, args.requests, args.stagger)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"concurrency-{args.size}-{args.device.split(':')[0]}"
    data = {"points": [asdict(p) for p in points], "tokens_per_segment": args.tokens, "threads": args.threads,
            "requests_per_client": args.requests, "stagger_s": args.stagger,
            "texts": TEXTS, "python": sys.version.split()[0], "machine": platform.machine()}
    (args.out / f"{stem}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    title = (f"{args.size} models, {args.device}, {args.threads} threads; {args.requests} requests per client, "
             f"clients {args.stagger:g} s apart; 2 segments x {args.tokens} tokens per request")
    chart = plot(points, args.out / f"{stem}.png", title)
    print(format_table(points))
    print(f"\nwrote {args.out / (stem + '.json')}" + (f" and {chart}" if chart else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
