"""The FastAPI app factory shared by ``app_stream.py`` and ``app_non_stream.py``.

Routes: ``POST /chat2audio`` (one WAV, or a WAV stream), ``GET /speakers``, ``GET /health``,
OpenAPI docs at ``/docs``. Models load in the lifespan (once, at start), never at import.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from LLM import LLMError
from server.config import AppConfig
from server.pipeline import ChatService, Job, RequestError
from server.schemas import (
    AUDIO_RESPONSE,
    ChatRequest,
    HealthResponse,
    RequestCounters,
    SpeakerInfo,
    SpeakersResponse,
)

logger = logging.getLogger(__name__)

Mode = Literal["stream", "non-stream"]
DEMO_HEADER = "X-Chat2Audio-Demo"
DEMO_NOTICE = "untrained random weights: the reply is gibberish and the voice is noise (--demo)"


@dataclass(frozen=True)
class Models:
    """Already-loaded models, for callers that build them themselves (tests, embedding)."""

    chat: object  # LLM.ChatModel
    engine: object  # tts.TTSEngine


def load_models(config: AppConfig) -> Models:
    """Load the LLM and the TTS engine the config names (blocking: seconds to minutes)."""
    from LLM import load_chat
    from tts import TTSEngine

    t = config.tts
    logger.info("loading the LLM (%s backend)", config.llm.backend)
    chat = load_chat(config.llm)
    logger.info("loading the TTS models (BERT %s, HuBERT %s)", t.bert_path, t.cnhubert_path)
    engine = TTSEngine(t.bert_path, t.cnhubert_path, device=t.device, dtype=t.dtype, g2pw_path=t.g2pw_path,
                       max_voices=t.max_voices, t2s_fast=t.t2s_fast, bert_fast=t.bert_fast,
                       t2s_batch=t.t2s_batch)
    return Models(chat=chat, engine=engine)


class AudioStream(StreamingResponse):
    """A streaming WAV whose job is closed when the response ends for any reason, including a
    client that went away (Starlette cancels the body then) or a body that never started."""

    def __init__(self, content: AsyncIterator[bytes], on_close: Callable, **kwargs):
        super().__init__(content, **kwargs)
        self._on_close = on_close

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.body_iterator.aclose()
            await self._on_close()


def create_app(config: AppConfig, mode: Mode = "stream", demo: bool = False, models: Models | None = None) -> FastAPI:
    """The service app; ``models`` None loads them from ``config`` at start-up."""
    if mode not in ("stream", "non-stream"):
        raise ValueError(f"mode must be 'stream' or 'non-stream', got {mode!r}")

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        loaded = models or load_models(config)
        service = ChatService(config, loaded.chat, loaded.engine, demo=demo)
        if config.tts.preload_voices:
            for name in config.speaker_names():
                service.load_voice_blocking(service.speakers[name])
            logger.info("preloaded %d voices", len(config.speakers))
        loaded.engine.warm_up()
        app.state.service = service
        if demo:
            logger.warning("DEMO MODE: %s. Download real models for real speech (README.md).", DEMO_NOTICE)
        logger.info("chat2audio ready (%s mode, %d speakers: %s)", mode, len(config.speakers),
                    ", ".join(config.speaker_names()))
        yield
        if models is None:
            loaded.chat.close()

    app = FastAPI(
        title="chat2audio",
        version="0.1.0",
        summary="A role-play character answers in its own cloned voice.",
        description=f"Mode: **{mode}**. POST a line to a character; get its reply as speech (16-bit mono WAV).",
        lifespan=lifespan,
    )

    def service(request: Request) -> ChatService:
        return request.app.state.service

    def audio_headers(svc: ChatService) -> dict[str, str]:
        return {DEMO_HEADER: DEMO_NOTICE} if svc.demo else {}

    @app.exception_handler(RequestError)
    async def _request_error(request: Request, exc: RequestError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(LLMError)
    async def _llm_error(request: Request, exc: LLMError) -> JSONResponse:
        logger.error("LLM failed: %s", exc)
        return JSONResponse({"detail": f"LLMError: {exc}"}, status_code=502)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("request failed: %s", exc)
        return JSONResponse({"detail": f"{type(exc).__name__}: {exc}"}, status_code=500)

    if mode == "non-stream":

        @app.post("/chat2audio", response_class=Response, responses=AUDIO_RESPONSE,
                  summary="The character's reply as one WAV file")
        async def chat2audio(body: ChatRequest, request: Request) -> Response:
            svc = service(request)
            job = svc.open_job(body)
            try:
                spoken = await svc.reply(job)
            finally:
                await job.close()
            headers = {"X-Reply-Text": quote(spoken.text, safe=""), **audio_headers(svc)}
            return Response(spoken.wav, media_type="audio/wav", headers=headers)

    else:

        @app.post("/chat2audio", response_class=StreamingResponse, responses=AUDIO_RESPONSE,
                  summary="The character's reply as a WAV stream that starts while the LLM is still writing")
        async def chat2audio(body: ChatRequest, request: Request) -> StreamingResponse:
            svc = service(request)
            job: Job = svc.open_job(body)
            try:
                voice = await svc.prepare_stream(job)
            except BaseException:
                await job.close()
                raise
            return AudioStream(svc.stream(job, voice), on_close=job.close, media_type="audio/wav",
                               headers={"Cache-Control": "no-store", **audio_headers(svc)})

    @app.get("/speakers", response_model=SpeakersResponse, summary="The speakers of the config")
    async def speakers(request: Request) -> SpeakersResponse:
        svc = service(request)
        loaded = set(svc.loaded_voices())
        return SpeakersResponse(speakers=[
            SpeakerInfo(name=name, language=svc.speakers[name].options.language, sample_rate=svc.sample_rate(name),
                        loaded=name in loaded)
            for name in config.speaker_names()])

    @app.get("/health", response_model=HealthResponse, summary="Liveness and request counters")
    async def health(request: Request) -> HealthResponse:
        svc = service(request)
        c = svc.counters
        running = svc.chat.generations_running
        return HealthResponse(status="ok", mode=mode, demo=svc.demo,
                              requests=RequestCounters(active=c.active, completed=c.completed, cancelled=c.cancelled,
                                                       failed=c.failed, rejected=c.rejected),
                              llm_generations_running=running, voices_loaded=svc.loaded_voices())

    return app
