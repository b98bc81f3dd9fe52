"""The chat-model interface shared by all backends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from .config import LLMConfig


@dataclass(frozen=True)
class Turn:
    """One earlier message of the conversation."""

    role: Literal["user", "assistant"]
    content: str

    def __post_init__(self) -> None:
        if self.role not in ("user", "assistant"):
            raise ValueError(f"Turn.role must be 'user' or 'assistant', got {self.role!r}")


@dataclass(frozen=True)
class ChatOptions:
    """Per-call overrides of a reply's sampling; ``None`` keeps the ``LLMConfig`` default.

    ``temperature`` 0 is greedy decoding; ``seed`` makes a sampled reply repeatable.
    """

    temperature: float | None = None
    top_p: float | None = None
    max_new_tokens: int | None = None
    seed: int | None = None


@dataclass(frozen=True)
class GenerationSettings:
    """Settings of one request: the config's defaults with the ``ChatOptions`` applied."""

    temperature: float
    top_p: float
    max_new_tokens: int
    repetition_penalty: float
    seed: int | None


def build_messages(user_input: str, system_prompt: str, history: list[Turn] | None) -> list[dict[str, str]]:
    """OpenAI-style message list: system prompt, earlier turns in order, then the new user input."""
    messages = [{"role": "system", "content": system_prompt}]
    for turn in history or ():
        messages.append({"role": turn.role, "content": turn.content})
    messages.append({"role": "user", "content": user_input})
    return messages


@runtime_checkable
class ChatModel(Protocol):
    """A role-play chat LLM. ``reply`` returns the raw reply; cleanup for speech is the caller's choice
    (``LLM.cleanup``), so both the raw and the cleaned text stay available."""

    def reply(
        self,
        user_input: str,
        system_prompt: str,
        history: list[Turn] | None = None,
        *,
        options: ChatOptions = ChatOptions(),
    ) -> str:
        """The whole reply (blocking)."""
        ...

    def stream(
        self,
        user_input: str,
        system_prompt: str,
        history: list[Turn] | None = None,
        *,
        options: ChatOptions = ChatOptions(),
    ) -> AsyncIterator[str]:
        """Reply pieces as they are generated; closing the iterator stops generation."""
        ...

    @property
    def generations_running(self) -> int:
        """Generations still running (what /health reports): the transformers backend's generation
        threads that have not ended, the openai backend's requests not finished."""
        ...

    def close(self) -> None:
        """Release the model / connections."""
        ...


def resolve_settings(defaults: LLMConfig, options: ChatOptions) -> GenerationSettings:
    """Apply a call's options to the config's defaults; a bad option raises ValueError naming it."""
    o = options
    s = GenerationSettings(
        temperature=defaults.temperature if o.temperature is None else float(o.temperature),
        top_p=defaults.top_p if o.top_p is None else float(o.top_p),
        max_new_tokens=defaults.max_new_tokens if o.max_new_tokens is None else int(o.max_new_tokens),
        repetition_penalty=defaults.repetition_penalty,
        seed=o.seed,
    )
    if s.temperature < 0:
        raise ValueError(f"temperature must be >= 0 (0 = greedy), got {s.temperature}")
    if not 0 < s.top_p <= 1:
        raise ValueError(f"top_p must be in (0, 1], got {s.top_p}")
    if s.max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be >= 1, got {s.max_new_tokens}")
    return s

