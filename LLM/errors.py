"""Errors raised by the LLM package."""

from __future__ import annotations


class LLMError(RuntimeError):
    """A chat backend could not answer: unreachable server, HTTP error, bad model folder.

    The message says what went wrong and where (URL, status and body, or path).
    """


class PromptTooLong(LLMError):
    """The prompt does not fit the model's context even without the conversation's history
    (the input or the system prompt is too long for ``llm.max_context_tokens``)."""
