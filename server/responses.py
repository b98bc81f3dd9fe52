"""How every route answers with speech: one place below the routes.

A route validates its own protocol, opens a job on the service (``open_job`` for a chat,
``open_speech`` for text spoken as is) and hands it here with a format: the answer is then
- streamed (``stream_audio``): bytes leave as each part is synthesized, in any format;
- whole (``whole_audio``): one file, with a status code for failures;
- events (``event_stream``): server-sent events with text, segment timings and base64 audio.
All three share admission, voices, cancellation on disconnect and error handling.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import AsyncIterator, Callable

import numpy as np
from fastapi import Request
from fastapi.responses import Response, StreamingResponse

from server.audio import Encoder, encode, open_encoder
from server.errors import RequestError
from server.pipeline import (
    Audio,
    ChatService,
    ClientGone,
    Done,
    Event,
    Failed,
    Job,
    SegmentEnd,
    SegmentStart,
    TextDelta,
    run_until_disconnect,
)

logger = logging.getLogger(__name__)

CLIENT_GONE = 499  # nginx's "client closed request": the answer nobody reads


def service(request: Request) -> ChatService:
    return request.app.state.service


class AnswerCut(Exception):
    """Raised by a streamed body whose answer failed after its status and headers were sent."""


class AudioStream(StreamingResponse):
    """A streaming answer whose job is closed when the response ends for any reason, including a
    client that went away (Starlette cancels the body then) or a body that never started.

    A body that raises AnswerCut ends without the end of the body: the server closes the
    connection, so the client sees a transfer cut short (curl exit 18, httpx RemoteProtocolError),
    never a shorter answer that looks complete."""

    def __init__(self, content: AsyncIterator[bytes], on_close: Callable, encoder: Encoder, **kwargs):
        super().__init__(content, **kwargs)
        self._on_close = on_close
        self._encoder = encoder

    async def stream_response(self, send) -> None:
        try:
            await super().stream_response(send)
        except AnswerCut as exc:
            logger.warning("the answer is cut short (the client sees an incomplete transfer): %s", exc)

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.body_iterator.aclose()
            self._encoder.close()  # a codec of an answer cut short is freed now, not at garbage collection
            await self._on_close()


async def job_voice(svc: ChatService, job: Job):
    """The job's voice; on any failure the job is closed before the error propagates."""
    try:
        return await svc.voice(job)
    except BaseException:
        await job.close()
        raise


def audio_headers(encoder: Encoder) -> dict[str, str]:
    return {"X-Sample-Rate": str(encoder.output_rate), "Cache-Control": "no-store"}


async def whole_file(pcm: np.ndarray, sample_rate: int, fmt: str, headers: dict[str, str] | None = None) -> Response:
    """``pcm`` as one file in ``fmt``, with its headers; encoded off the event loop (minutes of MP3
    take seconds, and the other streams must not stall meanwhile)."""
    info = Encoder(fmt, sample_rate)  # the format's content type and rate (no codec is opened)
    data = await asyncio.to_thread(encode, pcm, sample_rate, fmt)
    return Response(data, media_type=info.content_type,
                    headers={**audio_headers(info), **(headers or {})})


async def encoded(events: AsyncIterator[Event], encoder: Encoder) -> AsyncIterator[bytes]:
    """The audio of ``events`` in ``encoder``'s format, each part as soon as it is encoded."""
    if head := encoder.start():
        yield head
    async for event in events:
        if isinstance(event, Audio):
            if data := encoder.feed(event.pcm):
                yield data
        elif isinstance(event, Failed):  # the headers are sent; the job counts the failure
            raise AnswerCut(event.detail)
    if tail := encoder.finish():
        yield tail


async def stream_audio(request: Request, job: Job, fmt: str, headers: dict[str, str] | None = None) -> Response:
    """``job``'s speech in ``fmt``, sent as it is synthesized (chunked)."""
    svc = service(request)
    voice = await job_voice(svc, job)
    encoder = open_encoder(fmt, voice.sample_rate)
    return AudioStream(encoded(svc.events(job, voice), encoder), on_close=job.close, encoder=encoder,
                       media_type=encoder.content_type, headers={**audio_headers(encoder), **(headers or {})})


async def collect(events: AsyncIterator[Event]) -> tuple[np.ndarray, Done]:
    """All the audio of ``events`` and their Done; a Failed event raises RequestError with its status."""
    parts: list[np.ndarray] = []
    async for event in events:
        if isinstance(event, Audio):
            parts.append(event.pcm)
        elif isinstance(event, Failed):
            raise RequestError(event.status, event.detail)
        elif isinstance(event, Done):
            return (np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)), event
    raise RequestError(500, "synthesis ended without its audio; the server log has the details")


async def whole_audio(request: Request, job: Job, fmt: str, headers: dict[str, str] | None = None) -> Response:
    """``job``'s speech as one file in ``fmt`` (a WAV with its real length), once all of it is made;
    a client that goes away meanwhile stops the work."""
    svc = service(request)
    try:
        voice = await job_voice(svc, job)
        pcm, _ = await run_until_disconnect(job, collect(svc.events(job, voice)), request.receive)
    except ClientGone:
        return Response(status_code=CLIENT_GONE)
    finally:
        await job.close()
    return await whole_file(pcm, voice.sample_rate, fmt, headers)


def sse(data: dict) -> bytes:
    return f"data: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n".encode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


async def chat_events(events: AsyncIterator[Event], encoder: Encoder) -> AsyncIterator[bytes]:
    """/chat2audio's event mode: reply text as it is written, each segment's text and time span,
    audio in ``encoder``'s format (the deltas joined are the file), then ``done`` (or ``error``)."""
    yield sse({"type": "start", "format": encoder.format, "content_type": encoder.content_type,
               "sample_rate": encoder.output_rate})
    if head := encoder.start():
        yield sse({"type": "audio.delta", "audio": b64(head)})
    async for event in events:
        if isinstance(event, TextDelta):
            if event.text or event.raw:
                yield sse({"type": "text.delta", "text": event.text, "raw": event.raw})
        elif isinstance(event, SegmentStart):
            yield sse({"type": "segment.start", "index": event.index, "text": event.text,
                       "start": round(event.start, 4)})
        elif isinstance(event, Audio):
            if data := encoder.feed(event.pcm):
                yield sse({"type": "audio.delta", "audio": b64(data)})
        elif isinstance(event, SegmentEnd):
            yield sse({"type": "segment.end", "index": event.index, "text": event.text,
                       "start": round(event.start, 4), "end": round(event.end, 4)})
        elif isinstance(event, Failed):
            yield sse({"type": "error", "detail": event.detail, "status": event.status})
            return
        elif isinstance(event, Done):
            if tail := encoder.finish():
                yield sse({"type": "audio.delta", "audio": b64(tail)})
            yield sse({"type": "done", "text": event.text, "raw": event.raw, "audio_seconds": round(event.audio_s, 4),
                       "semantic_tokens": event.tokens})


async def speech_events(events: AsyncIterator[Event], encoder: Encoder, input_chars: int) -> AsyncIterator[bytes]:
    """OpenAI's speech event stream: ``speech.audio.delta`` events, then ``speech.audio.done`` with usage
    (input tokens: characters of the input; output tokens: the semantic tokens generated)."""
    if head := encoder.start():
        yield sse({"type": "speech.audio.delta", "audio": b64(head)})
    async for event in events:
        if isinstance(event, Audio):
            if data := encoder.feed(event.pcm):
                yield sse({"type": "speech.audio.delta", "audio": b64(data)})
        elif isinstance(event, Failed):
            yield sse({"type": "error", "error": {"message": event.detail, "code": event.status}})
            return
        elif isinstance(event, Done):
            if tail := encoder.finish():
                yield sse({"type": "speech.audio.delta", "audio": b64(tail)})
            yield sse({"type": "speech.audio.done", "usage": {"input_tokens": input_chars, "output_tokens": event.tokens,
                                                              "total_tokens": input_chars + event.tokens}})


async def event_stream(request: Request, job: Job, fmt: str,
                       render: Callable[[AsyncIterator[Event], Encoder], AsyncIterator[bytes]],
                       headers: dict[str, str] | None = None) -> Response:
    """``job``'s events as ``text/event-stream``, rendered by ``render`` (chat_events, or speech_events
    bound to its input length)."""
    svc = service(request)
    voice = await job_voice(svc, job)
    encoder = open_encoder(fmt, voice.sample_rate)
    return AudioStream(render(svc.events(job, voice), encoder), on_close=job.close, encoder=encoder,
                       media_type="text/event-stream",
                       headers={**audio_headers(encoder), "X-Accel-Buffering": "no", **(headers or {})})
