"""tools.bench_concurrency: the percentile, the table, and one tiny run of both paths in process."""

from __future__ import annotations

import json

import pytest

from tools import bench_concurrency as bench


def point(path: str, streams: int, throughput: float, **kw) -> bench.Point:
    fields = dict(mode="fp32", path=path, streams=streams, wall_s=10.0, speech_s=10.0 * throughput,
                  throughput=throughput, first_audio_p50_s=0.5, first_audio_p95_s=0.9, rtf_median=1.2, rtf_max=1.5,
                  mean_batch=3.5 if path == "batched" else None)
    fields.update(kw)
    return bench.Point(**fields)


def test_percentile_interpolates():
    assert bench.percentile([3.0], 0.95) == 3.0
    assert bench.percentile([1.0, 2.0, 3.0, 4.0, 5.0], 0.5) == 3.0
    assert bench.percentile([0.0, 10.0], 0.95) == pytest.approx(9.5)


def test_table_puts_both_paths_side_by_side():
    table = bench.format_table([point("batched", 8, 1.5), point("one-at-a-time", 8, 0.75)])
    assert table.splitlines()[2] == ("| fp32 | 8 | 1.50 | 0.75 | 2.00x | 0.50 / 0.90 s | 0.50 / 0.90 s | "
                                     "1.20 / 1.50 | 1.20 / 1.50 | 3.5 |")


def test_bad_streams_are_refused():
    with pytest.raises(SystemExit, match="--streams"):
        bench.main(["--size", "tiny", "--streams", "0,2"])
    with pytest.raises(SystemExit, match="--paths"):
        bench.main(["--size", "tiny", "--paths", "sideways"])


def test_tiny_run_of_both_paths(models, tmp_path, capsys):
    """Both paths speak the same requests: the same speech length (the scheduler gives each
    segment its own tokens); the batched path did batch; the table and the JSON are written."""
    out = tmp_path / "out"
    assert bench.main(["--size", "tiny", "--cache", str(models.gpt.parent), "--streams", "1,3", "--mode", "fp32",
                       "--tokens", "10", "--requests", "1", "--stagger", "0", "--out", str(out)]) == 0
    data = json.loads((out / "concurrency-tiny-cpu.json").read_text(encoding="utf-8"))
    points = {(p["path"], p["streams"]): p for p in data["points"]}
    assert set(points) == {(p, n) for p in bench.PATHS for n in (1, 3)}
    for n in (1, 3):
        assert points["batched", n]["speech_s"] == points["one-at-a-time", n]["speech_s"] > 0
        assert points["one-at-a-time", n]["mean_batch"] is None
    assert points["batched", 3]["mean_batch"] >= 1
    assert "| fp32 | 3 |" in capsys.readouterr().out


def test_gpu_check_dry_run_on_cpu(models, tmp_path, capsys):
    """The prepared GPU script runs end to end (tiny models, CPU) and writes its JSON."""
    from tools import gpu_check

    out = tmp_path / "gpu"
    (out / "models-tiny").parent.mkdir(parents=True)
    (out / "models-tiny").symlink_to(models.gpt.parent, target_is_directory=True)
    assert gpu_check.main(["--device", "cpu", "--size", "tiny", "--streams", "1,2", "--tokens", "6",
                           "--out", str(out)]) == 0
    data = json.loads((out / "gpu-check.json").read_text(encoding="utf-8"))
    assert {(p["path"], p["streams"]) for p in data["points"]} == {(p, n) for p in bench.PATHS for n in (1, 2)}
    assert "| fp32 | 2 |" in capsys.readouterr().out
