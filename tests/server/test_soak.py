"""Soak: many clients at once on different voices, fixed seeds. Every answer is 200 or 503 (busy),
and every 200 is byte for byte what the same request gives alone; memory stays flat across rounds.

The small run is part of the suite; the big one is marked slow (``pytest --run-slow -k soak``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.server.conftest import start_server, stop_server, write_config


@dataclass(frozen=True)
class Ask:
    speaker: str
    seed: int
    text: str


def soak_config(demo_cache: Path, folder: Path, voices: int, max_voices: int):
    """The demo config with speakers V0..V{n-1}, each its own random voice (GPT and SoVITS seed i)."""
    from server.config import SpeakerConfig
    from server.demo import build_demo_config
    from tts.builders import build_sovits_checkpoint, build_t2s_checkpoint

    base = build_demo_config(demo_cache)
    first = base.speakers["Nahida"]
    speakers = {}
    for i in range(voices):
        if i == 0:
            gpt, sovits = first.gpt_path, first.sovits_path
        else:
            gpt = build_t2s_checkpoint(folder / f"gpt-{i}.ckpt", size="tiny", seed=i)
            sovits = build_sovits_checkpoint(folder / f"sovits-{i}.pth", size="tiny", seed=i, output_gain=150.0)
        speakers[f"V{i}"] = SpeakerConfig(gpt_path=gpt, sovits_path=sovits, ref_audio=first.ref_audio,
                                          ref_text=first.ref_text)
    return base.model_copy(update={"speakers": speakers,  # short replies: the test is about many at once
                                   "llm": base.llm.model_copy(update={"max_new_tokens": 24}),
                                   "tts": base.tts.model_copy(update={"max_voices": max_voices})})


def ask(url: str, a: Ask) -> tuple[list[int], bytes]:
    """The request until it is served: the statuses seen (503s first), and the audio."""
    statuses = []
    with httpx.Client(timeout=300) as client:
        while True:
            r = client.post(f"{url}/chat2audio", json={"input": a.text, "speaker": a.speaker, "seed": a.seed})
            statuses.append(r.status_code)
            if r.status_code != 503:
                return statuses, r.content
            assert int(r.headers["retry-after"]) >= 1


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def soak(server, asks_per_client: list[list[Ask]], rounds: int) -> list[int]:
    """Each round: every client sends its requests one after another, all clients at once; returns
    the server's RSS (kB) after each round."""
    reference = {a: ask(server.url, a)[1] for asks in asks_per_client for a in asks}  # alone, one by one
    memory = []
    for _ in range(rounds):
        results: dict[Ask, tuple[list[int], bytes]] = {}
        failures: list[BaseException] = []

        def client(asks: list[Ask]) -> None:
            try:
                for a in asks:
                    results[a] = ask(server.url, a)
            except BaseException as exc:  # noqa: BLE001 -- reported by the main thread
                failures.append(exc)

        threads = [threading.Thread(target=client, args=(asks,)) for asks in asks_per_client]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not failures, failures
        for a, (statuses, audio) in results.items():
            assert set(statuses) <= {200, 503} and statuses[-1] == 200, (a, statuses)
            assert audio == reference[a], f"{a}: {len(audio)} bytes, alone {len(reference[a])}"
        memory.append(rss_kb(server.proc.pid))
    counters = httpx.get(f"{server.url}/health", timeout=30).json()["requests"]
    assert counters["failed"] == 0 and counters["active"] == 0
    return memory


def plan(clients: int, per_client: int, voices: int) -> list[list[Ask]]:
    lines = ["你好呀", "今天去哪里玩？", "给我讲个笑话吧", "晚安"]
    return [[Ask(f"V{(c + r) % voices}", 100 * c + r, lines[(c + r) % len(lines)]) for r in range(per_client)]
            for c in range(clients)]


@pytest.mark.parametrize("script", ["app_stream.py", "app_non_stream.py"])
def test_four_clients_on_two_voices_get_what_they_get_alone(demo_cache, tmp_path, script):
    config = write_config(tmp_path / "config.yaml", soak_config(demo_cache, tmp_path, voices=2, max_voices=2))
    server = start_server(script, demo_cache, tmp_path, config=config)
    try:
        soak(server, plan(clients=4, per_client=3, voices=2), rounds=1)
    finally:
        stop_server(server)


@pytest.mark.slow
@pytest.mark.parametrize("script", ["app_stream.py", "app_non_stream.py"])
def test_soak_sixteen_clients_four_voices_memory_flat(demo_cache, tmp_path, script):
    """16 clients x 3 requests on 4 voices with only 2 held at once (evictions and reloads under load),
    at most 4 requests admitted (the rest get 503 and retry), 4 rounds."""
    config = write_config(tmp_path / "config.yaml", soak_config(demo_cache, tmp_path, voices=4, max_voices=2))
    server = start_server(script, demo_cache, tmp_path, config=config)
    try:
        memory = soak(server, plan(clients=16, per_client=3, voices=4), rounds=4)
    finally:
        stop_server(server)
    print(f"\n{script}: server RSS after each round: {', '.join(f'{m / 1024:.0f} MB' for m in memory)}")
    # the first round loads everything; later rounds must not keep growing
    assert max(memory[1:]) <= memory[1] * 1.10 + 50_000, memory
