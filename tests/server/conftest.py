"""The service started as a subprocess with --demo on a free 127.0.0.1 port, once per mode per session."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    log: Path
    proc: subprocess.Popen

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start_server(script: str, cache: Path, workdir: Path, extra: list[str] = (), config: Path | None = None) -> Server:
    """``script`` with --demo and the shipped config, or with ``config`` (and no --demo)."""
    port = free_port()
    log = workdir / f"{script}.log"
    env = dict(os.environ, CHAT2AUDIO_DEMO_CACHE=str(cache), HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1",
               TRANSFORMERS_VERBOSITY="error", PYTHONUNBUFFERED="1")
    mode = ["--demo", "--config", str(ROOT / "config.yaml")] if config is None else ["--config", str(config)]
    cmd = [sys.executable, str(ROOT / script), *mode, "--host", "127.0.0.1", "--port", str(port), *extra]
    proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(1200):  # up to ~120 s: imports, model loading and warm-up on a busy 2-core machine
        if proc.poll() is not None:
            pytest.fail(f"{script} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return Server(url, log, proc)
        except httpx.TransportError:
            pass
        try:
            proc.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            pass
    proc.kill()
    pytest.fail(f"{script} did not come up:\n{log.read_text()[-3000:]}")


def stop_server(server: Server) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()


@pytest.fixture(scope="session")
def stream_server(demo_cache, tmp_path_factory):
    server = start_server("app_stream.py", demo_cache, tmp_path_factory.mktemp("stream-server"))
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def non_stream_server(demo_cache, tmp_path_factory):
    server = start_server("app_non_stream.py", demo_cache, tmp_path_factory.mktemp("non-stream-server"))
    yield server
    stop_server(server)


def write_config(path: Path, config) -> Path:
    """``config`` (an AppConfig) as a YAML file the entrypoints read (absolute paths kept)."""
    import yaml

    data = config.model_dump(mode="json", exclude_none=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def with_speaker(config, name: str, **changes):
    """A copy of ``config`` whose speaker ``name`` has ``changes`` (e.g. another gpt_path)."""
    speakers = dict(config.speakers)
    speakers[name] = speakers[name].model_copy(update=changes)
    return config.model_copy(update={"speakers": speakers})


@pytest.fixture(params=["stream", "non-stream"])
def server(request):
    """Each entrypoint in turn (the tests that take it run against both)."""
    return request.getfixturevalue("stream_server" if request.param == "stream" else "non_stream_server")


def flac_streaminfo(data: bytes) -> tuple[int, bytes]:
    """A FLAC file's total samples (0: unknown) and the MD5 of its samples, from its STREAMINFO block."""
    assert data[:4] == b"fLaC" and data[4] & 0x7F == 0 and int.from_bytes(data[5:8], "big") == 34
    return int.from_bytes(data[18:26], "big") & (1 << 36) - 1, data[26:42]


def requests_of(server) -> dict:
    """The request counters of ``server``'s /health."""
    return httpx.get(f"{server.url}/health", timeout=10).json()["requests"]


def run_entrypoint(script: str, *args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """``script`` run to its end with ``args`` (start-up checks: exit codes and what it prints)."""
    return subprocess.run([sys.executable, str(ROOT / script), *args], check=False, cwd=cwd, capture_output=True,
                          text=True, timeout=300, env=env)
