"""OpenAI's speech API: ``POST /v1/audio/speech`` (the text spoken as is, no LLM), and the lists
its clients read (``/v1/models``, ``/v1/audio/models``, ``/v1/audio/voices``). The official
``openai`` client, Open WebUI and Kokoro-FastAPI's clients work against it."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from server.errors import error_responses
from server.pipeline import SPEED_LIMITS
from server.responses import event_stream, service, speech_events, stream_audio
from server.schemas import Text

router = APIRouter(prefix="/v1", tags=["OpenAI speech API"])

MODELS = ("chat2audio", "tts-1", "tts-1-hd", "gpt-4o-mini-tts")  # any name is accepted; these are listed


class VoiceId(BaseModel):
    id: str


class SpeechRequest(BaseModel):
    """OpenAI's speech request. Fields OpenAI may add later are ignored."""

    model_config = ConfigDict(extra="ignore")

    model: str = Field(description="Any string: every model name speaks with the same engine.")
    input: Text = Field(min_length=1, max_length=4096, description="The text to speak, as is (no LLM).")
    voice: str | VoiceId = Field(description="A speaker name (GET /v1/audio/voices), or {\"id\": name}.")
    response_format: Literal["mp3", "opus", "aac", "flac", "wav", "pcm"] = Field(
        "mp3", description="pcm: raw int16 little-endian mono at the rate in X-Sample-Rate.")
    speed: float = Field(1.0, ge=0.25, le=4.0, allow_inf_nan=False,
                         description=f"Multiplies the speaker's speed; the result is clamped to "
                                     f"{SPEED_LIMITS[0]}-{SPEED_LIMITS[1]}, what a voice still speaks at "
                                     "(X-Speed says the speed used).")
    instructions: str | None = Field(None, description="Accepted and ignored: a cloned voice speaks as recorded.")
    seed: int | None = Field(None, ge=0, le=2**32 - 1,
                             description="This server's addition: the same seed and input give the same audio.")
    stream_format: Literal["audio", "sse"] = Field(
        "audio", description="audio: the file, chunked as it is made; sse: speech.audio.delta events (base64) "
                             "then speech.audio.done with usage.")


@router.post("/audio/speech", response_class=Response, summary="Speak text in a speaker's voice (OpenAI API)",
             responses={200: {"content": {t: {} for t in ("audio/mpeg", "audio/ogg", "audio/aac", "audio/flac",
                                                            "audio/wav", "audio/pcm", "text/event-stream")},
                              "description": "The audio, sent as it is synthesized."},
                        **error_responses(404, 413, 422, 503)})
async def speech(body: SpeechRequest, request: Request) -> Response:
    svc = service(request)
    name = body.voice if isinstance(body.voice, str) else body.voice.id
    speaker = resolve_voice(svc, name)
    job = svc.open_speech(speaker, body.input, seed=body.seed, speed_factor=body.speed)
    speed = {"X-Speed": f"{job.options.speed:g}"}
    if body.stream_format == "sse":
        return await event_stream(request, job, body.response_format,
                                  lambda events, encoder: speech_events(events, encoder, len(body.input)), speed)
    return await stream_audio(request, job, body.response_format, headers=speed)


def resolve_voice(svc, name: str) -> str:
    """The configured speaker ``name`` names, ignoring case when that is unambiguous (else ``name``:
    the service answers 404 with the known speakers)."""
    if name in svc.config.speakers:
        return name
    matches = [s for s in svc.config.speaker_names() if s.lower() == name.lower()]
    return matches[0] if len(matches) == 1 else name


@router.get("/models", summary="Models (OpenAI API): every name speaks with the same engine")
async def models() -> dict:
    return {"object": "list",
            "data": [{"id": m, "object": "model", "created": 0, "owned_by": "chat2audio"} for m in MODELS]}


@router.get("/audio/models", summary="Speech models (the list Open WebUI reads)")
async def audio_models() -> dict:
    return {"models": [{"id": m} for m in MODELS]}


@router.get("/audio/voices", summary="Voices: the configured speakers (the list Open WebUI and Kokoro-FastAPI read)")
async def voices(request: Request) -> dict:
    return {"voices": [{"id": name, "name": name} for name in service(request).config.speaker_names()]}
