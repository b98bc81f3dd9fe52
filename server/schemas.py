"""Request and response bodies of the HTTP API (pydantic), and the OpenAPI description of the audio."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from server.audio import AudioFormat
from server.errors import error_responses


def valid_unicode(text: str) -> str:
    """Refuse text that is not valid Unicode: JSON's \\ud800-\\udfff escapes decode to lone surrogates,
    which no encoder, tokenizer or log can handle."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"invalid text: a lone surrogate (U+{ord(text[exc.start]):04X}) at position {exc.start}; "
                         "send valid Unicode") from None
    return text


Text = Annotated[str, AfterValidator(valid_unicode)]


class HistoryTurn(BaseModel):
    """An earlier message of the conversation, oldest first."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: Text = Field(max_length=4000)


class ChatRequest(BaseModel):
    """``POST /chat2audio``: what the user says to which character."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"input": "做个自我介绍吧", "speaker": "Nahida"}]},
    )

    input: Text = Field(description="What the user says; non-empty, at most server.max_input_chars characters.")
    speaker: Text = Field(description="A speaker name from the config (GET /speakers lists them).")
    history: list[HistoryTurn] = Field(default_factory=list,
                                       description="Earlier turns, oldest first (at most server.max_history_turns).")
    temperature: float | None = Field(None, ge=0.0, le=2.0, allow_inf_nan=False, description="LLM temperature for this reply (0: greedy).")
    seed: int | None = Field(None, ge=0, le=2**32 - 1,
                             description="Seed for the LLM and the voice; the same seed and input give the same audio.")
    response_format: AudioFormat = Field("wav", description="Audio format: wav (default), pcm (raw int16, rate in "
                                                            "X-Sample-Rate), mp3, opus, ogg (Opus), aac or flac.")
    stream_format: Literal["audio", "sse"] = Field(
        "audio", description="sse: server-sent events (reply text, segments with their times, base64 audio in "
                             "response_format, done); unset: sse when `Accept: text/event-stream`, else audio.")


class SpeakerInfo(BaseModel):
    name: str
    voice_id: str  # the same as name (what SillyTavern's providers use as the voice)
    language: str  # language the replies are spoken in
    sample_rate: int | None  # None until the voice has been loaded
    loaded: bool  # voice models in memory now


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
    t2s_rows_decoding: int  # text segments the GPT is decoding or about to (TTSEngine.rows_decoding)
    voices_loaded: list[str]


AUDIO_RESPONSE = {
    200: {
        "description": "Speech of the character's reply in response_format (WAV by default), or server-sent "
                       "events with stream_format sse.",
        "content": {**{t: {"schema": {"type": "string", "format": "binary"}}
                       for t in ("audio/wav", "audio/mpeg", "audio/ogg", "audio/aac", "audio/flac", "audio/pcm")},
                    "text/event-stream": {"schema": {"type": "string"}}},
        "headers": {
            "X-Reply-Text": {"description": "The spoken reply, percent-encoded UTF-8 (non-stream mode).",
                             "schema": {"type": "string"}},
            "X-Chat2Audio-Demo": {"description": "Present in demo mode: the weights are untrained.",
                                  "schema": {"type": "string"}},
        },
    },
    **error_responses(404, 413, 422, 500, 502, 503),
}
