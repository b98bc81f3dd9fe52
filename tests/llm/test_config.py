"""LLMConfig validation: errors name the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from LLM import LLMConfig


def error_of(**kwargs) -> str:
    with pytest.raises(ValidationError) as info:
        LLMConfig(**kwargs)
    return str(info.value)


def test_defaults():
    c = LLMConfig(model_path="models/qwen")
    assert c.backend == "transformers"
    assert (c.temperature, c.top_p, c.max_new_tokens, c.repetition_penalty) == (0.7, 0.9, 256, 1.05)
    assert (c.device, c.dtype, c.timeout_s, c.extra_body) == ("auto", "auto", 60.0, {})


def test_unknown_key_is_named():
    assert "temprature" in error_of(model_path="m", temprature=0.5)


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"model_path": "m", "temperature": -0.1}, "temperature"),
        ({"model_path": "m", "top_p": 0}, "top_p"),
        ({"model_path": "m", "top_p": 1.5}, "top_p"),
        ({"model_path": "m", "max_new_tokens": 0}, "max_new_tokens"),
        ({"model_path": "m", "repetition_penalty": 0}, "repetition_penalty"),
        ({"model_path": "m", "device": "gpu"}, "device"),
        ({"model_path": "m", "dtype": "half-ish"}, "dtype"),
        ({"model_path": "m", "backend": "vllm"}, "backend"),
        ({"model_path": "m", "timeout_s": 0}, "timeout_s"),
        ({}, "model_path"),
        ({"backend": "openai", "model": "qwen"}, "base_url"),
        ({"backend": "openai", "base_url": "http://h:8000/v1"}, "model"),
        ({"backend": "openai", "base_url": "localhost:8000/v1", "model": "q"}, "base_url"),
    ],
)
def test_bad_values_name_the_key(kwargs, key):
    assert key in error_of(**kwargs)


def test_openai_config_and_trailing_slash():
    c = LLMConfig(backend="openai", base_url="http://127.0.0.1:8000/v1/", model="qwen", extra_body={"top_k": 20})
    assert c.base_url == "http://127.0.0.1:8000/v1"
    assert c.model_path is None


def test_relative_model_path_resolves_against_the_config_folder(tmp_path):
    c = LLMConfig(model_path="models/qwen").resolved(tmp_path)
    assert c.model_path == (tmp_path / "models" / "qwen").resolve()
    absolute = LLMConfig(model_path=tmp_path)
    assert absolute.resolved(Path("/elsewhere")).model_path == tmp_path


def test_config_is_frozen():
    c = LLMConfig(model_path="m")
    with pytest.raises(ValidationError):
        c.temperature = 1.0
