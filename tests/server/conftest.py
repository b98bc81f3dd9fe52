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


def start_server(script: str, cache: Path, workdir: Path, extra: list[str] = ()) -> Server:
    port = free_port()
    log = workdir / f"{script}.log"
    env = dict(os.environ, CHAT2AUDIO_DEMO_CACHE=str(cache), HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1",
               TRANSFORMERS_VERBOSITY="error", PYTHONUNBUFFERED="1")
    cmd = [sys.executable, str(ROOT / script), "--demo", "--host", "127.0.0.1", "--port", str(port),
           "--config", str(ROOT / "config.yaml"), *extra]
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
