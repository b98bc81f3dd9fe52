"""Chat backend for any OpenAI-compatible ``/v1/chat/completions`` server.

Works with vLLM, SGLang, Ollama, llama.cpp's server and ``transformers serve``; this is how the LLM
scales past one machine. ``repetition_penalty`` is not part of the OpenAI API and strict servers
(``transformers serve``) reject unknown fields, so it is not sent; server-specific settings go in
``llm.extra_body`` (vLLM: ``{"repetition_penalty": 1.05, "top_k": 20}``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import contextmanager

import httpx
import openai

from .chat import ChatOptions, GenerationSettings, Turn, build_messages, resolve_settings
from .config import LLMConfig
from .errors import LLMError

logger = logging.getLogger(__name__)


class OpenAIChat:
    """Chat model served by an OpenAI-compatible server at ``config.base_url`` (e.g. http://host:8000/v1)."""

    def __init__(self, config: LLMConfig) -> None:
        if config.base_url is None or config.model is None:
            raise LLMError("the openai backend needs llm.base_url and llm.model")
        self.config = config
        self.url = f"{config.base_url}/chat/completions"
        timeout = httpx.Timeout(config.timeout_s, connect=min(config.timeout_s, 10.0))
        self._client_args = dict(base_url=config.base_url, api_key=config.api_key, timeout=timeout, max_retries=0)
        self._client = openai.OpenAI(**self._client_args)
        self._running = 0  # requests in progress (guarded by _count_lock)
        self._count_lock = threading.Lock()

    @contextmanager
    def _counted(self):
        with self._count_lock:
            self._running += 1
        try:
            yield
        finally:
            with self._count_lock:
                self._running -= 1

    @property
    def generations_running(self) -> int:
        """Requests to the server (replies and streams) not finished yet."""
        with self._count_lock:
            return self._running

    def _request(self, messages: list[dict[str, str]], s: GenerationSettings, stream: bool) -> dict:
        body: dict = {
            "model": self.config.model,
            "messages": messages,
            "temperature": s.temperature,
            "max_tokens": s.max_new_tokens,
            "stream": stream,
        }
        if s.temperature > 0:
            body["top_p"] = s.top_p
        if s.seed is not None:
            body["seed"] = s.seed
        if self.config.extra_body:
            body["extra_body"] = dict(self.config.extra_body)
        return body

    def _error(self, exc: openai.OpenAIError) -> LLMError:
        if isinstance(exc, openai.APITimeoutError):
            return LLMError(f"LLM server {self.url} did not answer within {self.config.timeout_s:g} s")
        if isinstance(exc, openai.APIConnectionError):
            return LLMError(f"LLM server {self.url} is unreachable: {exc.__cause__ or exc}")
        if isinstance(exc, openai.APIStatusError):
            body = exc.response.text if exc.response is not None else str(exc.body)
            return LLMError(f"LLM server {self.url} answered HTTP {exc.status_code}: {body[:500]}")
        return LLMError(f"LLM server {self.url} failed: {exc}")

    def reply(
        self,
        user_input: str,
        system_prompt: str,
        history: list[Turn] | None = None,
        *,
        options: ChatOptions = ChatOptions(),
    ) -> str:
        """The whole raw reply (blocking HTTP request; call it off the event loop)."""
        s = resolve_settings(self.config, options)
        try:
            with self._counted():
                resp = self._client.chat.completions.create(
                    **self._request(build_messages(user_input, system_prompt, history), s, stream=False)
                )
        except openai.OpenAIError as exc:
            raise self._error(exc) from exc
        if not resp.choices:
            raise LLMError(f"LLM server {self.url} answered with no choices")
        return resp.choices[0].message.content or ""

    async def stream(
        self,
        user_input: str,
        system_prompt: str,
        history: list[Turn] | None = None,
        *,
        options: ChatOptions = ChatOptions(),
    ) -> AsyncIterator[str]:
        """Raw reply pieces as the server streams them (SSE). Closing this generator closes the
        HTTP stream, which makes vLLM and similar servers abort the request."""
        s = resolve_settings(self.config, options)
        body = self._request(build_messages(user_input, system_prompt, history), s, stream=True)
        # a client per stream: an async connection pool belongs to one event loop
        with self._counted():
            async with openai.AsyncOpenAI(**self._client_args) as client:
                try:
                    response = await client.chat.completions.create(**body)
                except openai.OpenAIError as exc:
                    raise self._error(exc) from exc
                try:
                    async for chunk in response:
                        if not chunk.choices:
                            continue
                        piece = chunk.choices[0].delta.content
                        if piece:
                            yield piece
                except openai.OpenAIError as exc:
                    raise self._error(exc) from exc
                except httpx.HTTPError as exc:
                    raise LLMError(f"LLM server {self.url} broke off the stream: {exc}") from exc
                finally:
                    await response.close()

    def close(self) -> None:
        """Close the HTTP connection pool of the blocking client (stream clients close with their stream)."""
        self._client.close()
