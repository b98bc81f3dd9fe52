"""The FastAPI app factory shared by ``app_stream.py`` and ``app_non_stream.py``.

Routes (``server.routes``): ``POST /chat2audio`` (the reply as one file, a stream, or events),
``GET /speakers``, ``GET /health``; OpenAI's speech API under ``/v1``; GPT-SoVITS api_v2's
``/tts`` and SillyTavern's providers (``POST /``, ``/character_list``); the page at ``GET /``
(files under ``/ui/``). OpenAPI docs at ``/docs``,
served with their own assets (no CDN). Models load in the lifespan (once, at start), never at import.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Literal

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.body_limit import BodyLimit
from server.config import AppConfig
from server.errors import install_error_handlers
from server.pipeline import ChatService
from server.routes import chat, gpt_sovits, openai, page

logger = logging.getLogger(__name__)

Mode = Literal["stream", "non-stream"]
DEMO_HEADER = "X-Chat2Audio-Demo"
DEMO_NOTICE = "untrained random weights: the reply is gibberish and the voice is noise (--demo)"
EXPOSED_HEADERS = ["X-Reply-Text", "X-Sample-Rate", "X-Speed", DEMO_HEADER, "Retry-After"]


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
                       t2s_batch=t.t2s_batch, sv_path=t.sv_path, batch_rows=t.batch_rows)
    return Models(chat=chat, engine=engine)


class DemoHeader:
    """ASGI middleware: every HTTP response (audio, JSON, errors, docs) says it comes from demo models."""

    def __init__(self, app: ASGIApp):
        self.app = app
        self.header = (DEMO_HEADER.lower().encode("latin-1"), DEMO_NOTICE.encode("latin-1"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), self.header]}
            await send(message)

        await self.app(scope, receive, send_with_header)


def create_app(config: AppConfig, mode: Mode = "stream", demo: bool = False, models: Models | None = None) -> FastAPI:
    """The service app; ``models`` None loads them from ``config`` at start-up."""
    if mode not in ("stream", "non-stream"):
        raise ValueError(f"mode must be 'stream' or 'non-stream', got {mode!r}")

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        loaded = models or load_models(config)
        service = ChatService(config, loaded.chat, loaded.engine, demo=demo)
        if config.tts.preload_voices:
            service.voices.preload()
        loaded.engine.warm_up()
        app.state.service = service
        if demo:
            logger.warning("DEMO MODE: %s. Download real models for real speech (README.md).", DEMO_NOTICE)
        logger.info("chat2audio ready (%s mode, %d speakers: %s)", mode, len(config.speakers),
                    ", ".join(config.speaker_names()))
        yield
        if models is None:
            loaded.chat.close()
            loaded.engine.close()

    app = FastAPIOffline(
        title="chat2audio",
        version="0.1.0",
        summary="A role-play character answers in its own cloned voice.",
        description=f"Mode: **{mode}**. POST a line to a character (`/chat2audio`) and hear its reply in its voice, "
                    "or have text spoken as is through the OpenAI speech API (`/v1/audio/speech`), GPT-SoVITS "
                    "api_v2 (`/tts`) or SillyTavern's providers (`/`, `/tts?cha_name=`). Errors are "
                    "`{\"detail\": ..., \"errors\": [...]}`.",
        lifespan=lifespan,
        redoc_url=None,
    )
    app.state.mode = mode
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=config.server.max_body_bytes)
    if config.server.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(config.server.cors_origins), allow_methods=["*"],
                           allow_headers=["*"], expose_headers=EXPOSED_HEADERS)
    if demo:
        app.add_middleware(DemoHeader)
    app.include_router(chat.router)
    app.include_router(openai.router)
    app.include_router(gpt_sovits.router)
    app.include_router(page.router)
    page.mount_assets(app)
    return app
