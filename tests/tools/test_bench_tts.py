"""tools.bench_tts: mode settings, the table (upstream ratios, bandwidth bound) and one tiny run in process."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tools import bench_tts as bench


def _result(mode: str, **kw) -> bench.BenchResult:
    fields = {"size": "full", "mode": mode, "device": "cpu", "dtype": "float32",
              "t2s_fast": "int8" if mode == "fast" else "no", "bert_fast": "onednn" if mode == "fast" else "no",
              "threads": 2, "max_tokens": 60, "build_s": 1.0,
              "model_load_s": 3.0, "ref_prompt_first_ms": 550.0, "ref_prompt_cached_ms": 0.5,
              "text_bert_ms_per_sentence": 315.0, "t2s_ms_per_token": 19.0, "t2s_prefill_ms_per_segment": 150.0,
              "sovits_s_per_audio_s": 0.17,
              "total_rtf": 0.685, "first_audio_s": 0.9, "first_audio_whole_s": 2.0, "reply_rtf": 0.7, "reply_rtf_batched": 0.4,
              "peak_rss_mb": 2200.0, "peak_cuda_mb": None,
              "tokens": 480, "audio_s": 19.2, "stage_s": {"text": 0.1, "bert": 1.0, "t2s": 9.1, "sovits": 3.3},
              "per_sentence": [{}] * 4}
    fields.update(kw)
    return bench.BenchResult(**fields)


def test_mode_settings():
    assert bench.mode_settings("fp32", cuda=False) == ("auto", False, False)
    assert bench.mode_settings("fp32", cuda=True) == ("auto", False, False)
    assert bench.mode_settings("onednn", cuda=False) == ("fp32", "onednn", "onednn")
    assert bench.mode_settings("fast", cuda=False) == ("fp32", "int8", "onednn")
    assert bench.mode_settings("fast", cuda=True) == ("fp16", False, False)
    with pytest.raises(ValueError, match="mode must be one of fp32, onednn, fast, got 'bf16'"):
        bench.mode_settings("bf16", cuda=False)


def test_table_has_upstream_ratios_and_the_bound():
    bw = bench.Bandwidth(threads=2, tensor_mb=310.4, sum_gb_s=12.4, matvec_gb_s=8.0, bound_fp32_ms=25.0,
                         bound_int8_ms=6.25)
    table = bench.format_table([_result("fp32"), _result("fast", t2s_ms_per_token=9.5)], bw)
    lines = table.splitlines()
    assert ("| figure | upstream (CPU, 2 thr, fp32) | fp32 | fp32 / upstream | fast | fast / upstream |"
            in lines)
    assert "| t2s per token (decoding) | 38.0 ms | 19.0 ms | 0.50 | 9.5 ms | 0.25 |" in lines
    assert "| t2s prefill per segment | 300 ms | 150 ms | 0.50 | 150 ms | 0.50 |" in lines
    assert "| total real-time factor | 1.370 | 0.685 | 0.50 | 0.685 | 0.50 |" in lines
    assert "| peak memory (RSS, own process) | 4400 MB | 2200 MB | 0.50 | 2200 MB | 0.50 |" in lines
    assert "| non-stream reply RTF, t2s_batch 4 | 1.370 | 0.400 | 0.29 | 0.400 | 0.29 |" in lines
    assert ("| t2s bound (memory bandwidth) | 25.0 ms | 25.0 ms | measured / bound 0.8x | 6.2 ms "
            "| measured / bound 1.5x |") in lines
    assert lines[-1].startswith("bound: 25.0 ms/token fp32, 6.2 ms/token int8 (t2s reads 77.6 M weights per token);"
                                " measured fp32: 19.0 ms/token; measured fast: 9.5 ms/token")


def test_table_counts_sentences_with_fp32_audio():
    ref = [{"audio_sha256": h} for h in "abcd"]
    table = bench.format_table([_result("fp32", per_sentence=ref),
                                _result("onednn", per_sentence=ref),
                                _result("fast", per_sentence=[{"audio_sha256": h} for h in "abxy"])])
    assert "| audio equal to fp32's (sentences, same seeds) |  | 4 / 4 |  | 4 / 4 |  | 2 / 4 |  |" in table.splitlines()
    assert "audio equal" not in bench.format_table([_result("fast", per_sentence=ref)])  # no fp32 run: no row


def test_tiny_table_has_no_upstream_columns():
    table = bench.format_table([_result("fp32", size="tiny")])
    assert "| figure | fp32 |" in table.splitlines()
    assert "upstream" not in table and "bound" not in table


def test_bandwidth_bound_is_the_time_to_read_the_weights():
    bw = bench.measure_bandwidth(threads=1, params=512 * 2048, repeats=3)
    assert bw.tensor_mb == pytest.approx(512 * 2048 * 4 / 1e6, abs=0.1)
    assert bw.bound_int8_ms == pytest.approx(bw.bound_fp32_ms / 4, abs=0.01)
    assert bw.sum_gb_s > 0 and bw.matvec_gb_s > 0


@pytest.mark.parametrize("mode", ["fp32", "onednn", "fast"])
def test_run_bench_tiny_in_process(models, mode):
    r = bench.run_bench("tiny", 1, mode, "cpu", models.gpt.parent, max_tokens=4)
    assert (r.mode, r.size, r.device, r.max_tokens) == (mode, "tiny", "cpu", 4)
    assert (r.t2s_fast, r.bert_fast) == {"fp32": ("no", "no"), "onednn": ("onednn", "onednn"),
                                         "fast": ("int8", "onednn")}[mode]
    segments = sum(p["segments"] for p in r.per_sentence)
    assert len(r.per_sentence) == len(bench.SENTENCES) and segments >= len(bench.SENTENCES)
    assert r.tokens == 4 * segments  # random weights: no EOS, every segment decodes max_tokens
    assert set(r.stage_s) == {"text", "bert", "t2s", "sovits"}
    assert r.peak_rss_mb > 0 and r.audio_s > 0
    assert set(dataclasses.asdict(r)) >= {"t2s_ms_per_token", "sovits_s_per_audio_s", "total_rtf", "first_audio_s", "first_audio_whole_s"}
    assert r.reply_rtf > 0 and r.reply_rtf_batched > 0
    assert all(len(p["audio_sha256"]) == 64 for p in r.per_sentence)  # sha256 of the int16 samples


def test_measured_upstream_figures_replace_the_facts(tmp_path):
    measured = {**bench.UPSTREAM, "t2s_ms_per_token": 40.0, "commit": "48b1a01"}
    path = tmp_path / "upstream.json"
    path.write_text(json.dumps(measured), encoding="utf-8")
    upstream = bench.load_upstream(path)
    assert upstream["t2s_ms_per_token"] == 40.0 and set(upstream) == set(bench.UPSTREAM)
    lines = bench.format_table([_result("fp32")], None, upstream, "upstream measured (upstream.json)").splitlines()
    assert "| figure | upstream measured (upstream.json) | fp32 | fp32 / upstream |" in lines
    assert "| t2s per token (decoding) | 40.0 ms | 19.0 ms | 0.47 |" in lines


def test_unusable_upstream_file_is_named(tmp_path):
    path = tmp_path / "upstream.json"
    path.write_text(json.dumps({"t2s_ms_per_token": 40.0}), encoding="utf-8")
    with pytest.raises(SystemExit, match=r"upstream.json: missing or not a number: model_load_s, ref_prompt_first_ms"):
        bench.load_upstream(path)
    path.write_text("{", encoding="utf-8")
    with pytest.raises(SystemExit, match=r"upstream.json: cannot read it as JSON"):
        bench.load_upstream(path)
