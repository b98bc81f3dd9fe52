"""Settings of the chat LLM (the ``llm:`` section of the service config)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_DTYPES = ("auto", "float32", "fp32", "float16", "fp16", "bfloat16", "bf16")


class LLMConfig(BaseModel):
    """Which chat backend to use and its default generation settings.

    Unknown keys are rejected, so a typo fails at start with the key's name.
    The generation settings are defaults; ``reply``/``stream`` take per-call overrides.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: Literal["transformers", "openai"] = "transformers"
    # transformers backend: a Qwen2.5(-style) folder with config.json, weights, tokenizer files
    model_path: Path | None = None
    device: str = "auto"  # "auto" (cuda if present, else cpu), "cpu", "cuda", "cuda:1", ...
    dtype: str = "auto"  # "auto" (bf16 on cuda when supported, else fp16; fp32 on cpu) or a name in _DTYPES
    # openai backend: any OpenAI-compatible server (vLLM, SGLang, Ollama, llama.cpp, transformers serve)
    base_url: str | None = None  # e.g. "http://127.0.0.1:8001/v1" (an LLM server; 8000 is this service's own default port)
    api_key: str = "EMPTY"  # most self-hosted servers accept anything
    model: str | None = None  # model name the server knows (vLLM: the served folder or --served-model-name)
    timeout_s: float = Field(60.0, gt=0)  # per request; connect timeout is min(timeout_s, 10)
    # extra fields merged into every request body, for server-specific sampling settings, e.g. for vLLM
    # {"repetition_penalty": 1.05, "top_k": 20}; strict servers (transformers serve) reject unknown fields
    extra_body: dict[str, Any] = Field(default_factory=dict)
    # generation defaults (Qwen2.5-Instruct's own generation_config uses 0.7 / 0.8 / 1.05)
    temperature: float = Field(0.7, ge=0)  # 0 = greedy
    top_p: float = Field(0.9, gt=0, le=1)
    max_new_tokens: int = Field(256, ge=1)  # role-play replies are spoken: keep them short
    repetition_penalty: float = Field(1.05, gt=0)  # transformers backend only (openai: put it in extra_body)
    # transformers backend: prompt + reply tokens the model may see (None: the model's max_position_embeddings);
    # the oldest history turns are dropped to fit. Lower it to bound the prompt's time on a slow machine.
    max_context_tokens: int | None = Field(None, ge=2)

    @field_validator("device")
    @classmethod
    def _check_device(cls, v: str) -> str:
        if v == "auto" or v == "cpu" or v == "mps" or v == "cuda" or (v.startswith("cuda:") and v[5:].isdigit()):
            return v
        raise ValueError(f"device must be 'auto', 'cpu', 'mps', 'cuda' or 'cuda:N', got {v!r}")

    @field_validator("dtype")
    @classmethod
    def _check_dtype(cls, v: str) -> str:
        if v not in _DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(_DTYPES)}, got {v!r}")
        return v

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, v: str | None) -> str | None:
        if v is not None and not (v.startswith("http://") or v.startswith("https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {v!r}")
        return v.rstrip("/") if v is not None else None

    @model_validator(mode="after")
    def _check_backend_keys(self) -> "LLMConfig":
        if self.backend == "transformers" and self.model_path is None:
            raise ValueError("model_path: required when backend is 'transformers' (a Qwen2.5 model folder)")
        if self.backend == "openai":
            if self.base_url is None:
                raise ValueError("base_url: required when backend is 'openai' (e.g. http://127.0.0.1:8001/v1)")
            if self.model is None:
                raise ValueError("model: required when backend is 'openai' (the model name the server serves)")
        return self

    def resolved(self, base: Path) -> "LLMConfig":
        """Return a copy whose relative ``model_path`` is resolved against ``base`` (the config file's folder)."""
        if self.model_path is None or self.model_path.is_absolute():
            return self
        return self.model_copy(update={"model_path": (base / self.model_path).resolve()})
