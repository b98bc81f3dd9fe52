"""Request and response bodies of the HTTP API (pydantic), and the OpenAPI description of the audio."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class HistoryTurn(BaseModel):
    """An earlier message of the conversation, oldest first."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: str = Field(max_length=4000)


class ChatRequest(BaseModel):
    """``POST /chat2audio``: what the user says to which character."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"input": "做个自我介绍吧", "speaker": "Nahida"}]},
    )

    input: str = Field(description="What the user says; non-empty, at most server.max_input_chars characters.")
    speaker: str = Field(description="A speaker name from the config (GET /speakers lists them).")
    history: list[HistoryTurn] = Field(default_factory=list,
                                       description="Earlier turns, oldest first (at most server.max_history_turns).")
    temperature: float | None = Field(None, ge=0.0, le=2.0, description="LLM temperature for this reply (0: greedy).")
    seed: int | None = Field(None, ge=0, le=2**32 - 1,
                             description="Seed for the LLM and the voice; the same seed and input give the same audio.")


class ErrorBody(BaseModel):
    """Every error answer: ``{"detail": "..."}``."""

    detail: str


class SpeakerInfo(BaseModel):
    name: str
    language: str  # language the replies are spoken in
    sample_rate: int | None  # None until the voice has been loaded
    loaded: bool  # voice models in memory now


class SpeakersResponse(BaseModel):
    speakers: list[SpeakerInfo]


class RequestCounters(BaseModel):
    active: int  # requests being served now (LLM or TTS work not yet finished)
    completed: int
    cancelled: int  # the client went away; LLM generation and synthesis were stopped
    failed: int
    rejected: int  # refused with 503 (too many requests at once)


class HealthResponse(BaseModel):
    status: Literal["ok"]
    mode: Literal["stream", "non-stream"]
    demo: bool  # True: untrained random weights (--demo)
    requests: RequestCounters
    llm_generations_running: int  # LLM generations still running (ChatModel.generations_running)
    voices_loaded: list[str]


AUDIO_RESPONSE = {
    200: {
        "description": "Speech of the character's reply as 16-bit mono PCM WAV.",
        "content": {"audio/wav": {"schema": {"type": "string", "format": "binary"}}},
        "headers": {
            "X-Reply-Text": {"description": "The spoken reply, percent-encoded UTF-8 (non-stream mode).",
                             "schema": {"type": "string"}},
            "X-Chat2Audio-Demo": {"description": "Present in demo mode: the weights are untrained.",
                                  "schema": {"type": "string"}},
        },
    },
    404: {"model": ErrorBody, "description": "Unknown speaker; the message lists the known ones."},
    422: {"model": ErrorBody, "description": "Empty or too long input, or a malformed request body."},
    502: {"model": ErrorBody, "description": "The LLM server (openai backend) failed or is unreachable."},
    503: {"model": ErrorBody, "description": "Too many requests at once; retry after the Retry-After seconds."},
}
