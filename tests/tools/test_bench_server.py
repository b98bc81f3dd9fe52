"""tools.bench_server: one tiny request per mode over real HTTP; the JSON has every figure (no timing asserted)."""

from __future__ import annotations

import json

from tools import bench_server as bench


def test_server_bench_tiny_one_request(tmp_path, demo_cache, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "server-demo").symlink_to(demo_cache, target_is_directory=True)  # reuse the session's demo models
    assert bench.main(["--size", "tiny", "--requests", "1", "--out", str(out), "--threads", "1",
                       "--llm-tokens", "8", "--t2s-tokens", "4"]) == 0
    record = json.loads((out / "server-bench-tiny.json").read_text(encoding="utf-8"))
    assert set(record["summary"]) == {"stream_ttfa_s", "stream_total_s", "non_stream_total_s", "stream_audio_s",
                                      "non_stream_audio_s"}
    assert all(set(v) == {"median", "max"} for v in record["summary"].values())
    s = record["settings"]
    assert (s["size"], s["requests"], s["llm_max_new_tokens"], s["t2s_max_tokens_per_segment"]) == ("tiny", 1, 8, 4)
    (req,) = record["requests"]
    assert (req["input"], req["seed"]) == bench.REQUESTS[0]
    assert req["stream"]["ttfa_s"] <= req["stream"]["total_s"]
    assert req["stream"]["bytes"] > bench.WAV_HEADER_BYTES and req["non-stream"]["bytes"] > bench.WAV_HEADER_BYTES
    assert set(record["formats"]) == set(bench.SPEECH_FORMATS)
    assert record["formats"]["wav"]["added_vs_wav_ms"] == 0
    assert set(req["speech_ttfa_s"]) == set(bench.SPEECH_FORMATS)
    table = capsys.readouterr().out
    assert "| mp3 | " in table and "| opus | " in table
    assert "| stream: time to first audio (after the 44-byte header) |" in table
    assert "max_new_tokens=8" in table and "t2s <= 4 tokens per segment" in table
