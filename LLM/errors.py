"""Errors raised by the LLM package."""

from __future__ import annotations


class LLMError(RuntimeError):
    """A chat backend could not answer: unreachable server, HTTP error, bad model folder.

    The message says what went wrong and where (URL, status and body, or path).
    """
