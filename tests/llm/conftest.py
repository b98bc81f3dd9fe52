"""Session fixtures: one tiny Qwen2 folder, one in-process chat model, one `transformers serve` on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from LLM import LLMConfig, load_chat
from LLM.builders import build_tiny_qwen


@pytest.fixture(scope="session")
def tiny_qwen(tmp_path_factory) -> Path:
    return build_tiny_qwen(tmp_path_factory.mktemp("llm") / "tiny-qwen")


@pytest.fixture(scope="session")
def chat(tiny_qwen):
    model = load_chat(LLMConfig(model_path=tiny_qwen, device="cpu"))
    yield model
    model.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def served_tiny_qwen(tiny_qwen, tmp_path_factory):
    """Base URL of `transformers serve <tiny folder>` (offline, CPU) started as a subprocess."""
    port = free_port()
    home = tmp_path_factory.mktemp("hf-home")
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_HOME=str(home), TRANSFORMERS_VERBOSITY="error", OMP_NUM_THREADS="1")
    log = (home / "serve.log").open("wb")
    cmd = [
        sys.executable, "-c", "from transformers.cli.transformers import main; main()",
        "serve", str(tiny_qwen), "--host", "127.0.0.1", "--port", str(port), "--device", "cpu",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # up to ~60 s for the server to import and bind
            if proc.poll() is not None:
                pytest.fail(f"transformers serve exited with {proc.returncode}: {(home / 'serve.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/health", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            _pause(proc)
        else:
            pytest.fail(f"transformers serve did not come up: {(home / 'serve.log').read_text()[-2000:]}")
        yield f"{base}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _pause(proc: subprocess.Popen) -> None:
    try:
        proc.wait(timeout=0.1)
    except subprocess.TimeoutExpired:
        pass
