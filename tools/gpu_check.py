"""GPU check: batched t2s decoding on a CUDA device, measured in minutes.

    python -m tools.gpu_check [--streams 1,8,32] [--tokens 50] [--out bench_results/] [--device cuda]

Builds full-size random-weight models (GPT 24x512, SoVITS v2, BERT-large, HuBERT-base; once, into
``<out>/models-full``), loads them in fp16 on the device, then runs the concurrency measurement
of ``tools.bench_concurrency`` (clients 0.5 s apart, two stream requests each) with the t2s
scheduler (``batch_rows`` = the most streams) and, for 1 and 8 streams, one request at a time.
Prints first audio p50/p95, aggregate speech seconds per wall second and RTF per request, and
writes ``gpu-check.json``. On CUDA the rows of a step share one matrix product (not the CPU's
one-row products), so batched tokens agree with decoding alone up to fp16 rounding.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path

from tools.bench_concurrency import format_table, measure_in_child
from tools.bench_tts import build_in_child


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.gpu_check", description=__doc__.split("\n\n")[0])
    ap.add_argument("--streams", default="1,8,32", help="comma-separated numbers of concurrent clients")
    ap.add_argument("--tokens", type=int, default=50, help="semantic tokens per segment")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--size", choices=("full", "tiny"), default="full", help="tiny: a dry run of this script")
    ap.add_argument("--out", type=Path, default=Path("bench_results"))
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise SystemExit("no CUDA device: run this on a GPU machine (or --device cpu for a dry run)")
        print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}", flush=True)
    streams = sorted({int(v) for v in args.streams.split(",")})
    cache = args.out / f"models-{args.size}"
    build_in_child(cache, args.size)
    requests, stagger = 2, 0.5
    points = measure_in_child(args.size, str(cache), "fp32", "batched", streams, args.tokens, 2, args.device,
                              requests, stagger)
    baseline = [n for n in streams if n <= 8]
    points += measure_in_child(args.size, str(cache), "fp32", "one-at-a-time", baseline, args.tokens, 2, args.device,
                               requests, stagger)
    args.out.mkdir(parents=True, exist_ok=True)
    data = {"points": [asdict(p) for p in points], "tokens_per_segment": args.tokens,
            "requests_per_client": requests, "stagger_s": stagger, "device": args.device}
    (args.out / "gpu-check.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
    print("fp32 rows are the engine's default precision on the device (fp16 on CUDA)")
    print(format_table(points))
    print("\nbatched only (no one-at-a-time run for these):")
    for p in points:
        if p.path == "batched" and p.streams not in baseline:
            print(f"  {p.streams} streams: {p.throughput:.2f} speech s / s, first audio p50 {p.first_audio_p50_s:.2f} s, "
                  f"p95 {p.first_audio_p95_s:.2f} s, RTF per request median {p.rtf_median:.2f}, max {p.rtf_max:.2f}, "
                  f"{p.mean_batch} rows per step")
    print(f"\nwrote {args.out / 'gpu-check.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
