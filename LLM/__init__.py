"""Chat LLM backends behind one small interface, and reply cleanup for speech.

Nothing is loaded at import; ``load_chat(config)`` builds the backend the config names.

- ``chat``: the ``ChatModel`` interface (``reply``, ``stream``), ``ChatOptions`` (a call's
  overrides of the config's sampling), message building;
- ``transformers_backend`` (a model folder in this process), ``openai_backend`` (any
  OpenAI-compatible server: vLLM, Ollama, ...);
- ``cleanup``: what of a reply is spoken (``SpeechCleaner`` for streams, ``clean_for_speech``);
- ``config`` (``LLMConfig``), ``errors`` (``LLMError``, ``PromptTooLong``), ``builders`` (a tiny random Qwen2.5 folder).
"""

from __future__ import annotations

from .chat import ChatModel, ChatOptions, Turn
from .cleanup import SpeechCleaner, clean_for_speech
from .config import LLMConfig
from .errors import LLMError, PromptTooLong

__all__ = ["ChatModel", "ChatOptions", "LLMConfig", "LLMError", "PromptTooLong", "SpeechCleaner", "Turn", "clean_for_speech", "load_chat"]


def load_chat(config: LLMConfig) -> ChatModel:
    """Build the chat model of ``config.backend``: loads the model folder ("transformers", blocking,
    seconds to minutes) or prepares the HTTP clients ("openai"; nothing is contacted yet).
    Raises LLMError with the path when the folder cannot be loaded."""
    if config.backend == "transformers":
        from .transformers_backend import TransformersChat

        return TransformersChat(config)
    from .openai_backend import OpenAIChat

    return OpenAIChat(config)
