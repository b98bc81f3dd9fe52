"""chat2audio's own routes: ``POST /chat2audio`` (the reply as speech: one file, a stream, or
events), ``GET /speakers``, ``GET /health``."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from server.pipeline import ClientGone, run_until_disconnect
from server.responses import (
    CLIENT_GONE,
    chat_events,
    event_stream,
    service,
    stream_audio,
    whole_file,
)
from server.schemas import AUDIO_RESPONSE, ChatRequest, HealthResponse, RequestCounters, SpeakerInfo

router = APIRouter()


def wants_events(body: ChatRequest, request: Request) -> bool:
    """Events when the body says ``stream_format: sse``; without stream_format in the body, when
    the Accept header asks for ``text/event-stream`` (with a q above 0)."""
    if "stream_format" in body.model_fields_set:
        return body.stream_format == "sse"
    return accepts_events(request.headers.get("accept", ""))


def accepts_events(accept: str) -> bool:
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        if media.lower() == "text/event-stream":
            q = next((p.split("=", 1)[1] for p in params if p.lower().replace(" ", "").startswith("q=")), "1")
            try:
                return float(q) > 0
            except ValueError:
                return False
    return False


@router.post("/chat2audio", response_class=Response, responses=AUDIO_RESPONSE,
             summary="The character's reply as speech",
             description="Stream mode: audio sent while the LLM is still writing. Non-stream mode: one file, "
                         "the reply text in X-Reply-Text. Either mode with `stream_format: sse` (or "
                         "`Accept: text/event-stream` when the body has no stream_format): server-sent events with the reply text as it is written, "
                         "each spoken segment's text and time span, and base64 audio.")
async def chat2audio(body: ChatRequest, request: Request) -> Response:
    svc = service(request)
    job = svc.open_job(body)
    fmt = body.response_format
    if wants_events(body, request):
        return await event_stream(request, job, fmt, chat_events)
    if request.app.state.mode == "stream":
        return await stream_audio(request, job, fmt)

    async def work():
        return await svc.reply(job, await svc.voice(job))

    try:
        spoken = await run_until_disconnect(job, work(), request.receive)
    except ClientGone:
        return Response(status_code=CLIENT_GONE)
    finally:
        await job.close()
    return await whole_file(spoken.pcm, spoken.sample_rate, fmt, {"X-Reply-Text": quote(spoken.text, safe="")})


@router.get("/speakers", response_model=list[SpeakerInfo], summary="The speakers of the config",
            description="A JSON array (the shape SillyTavern's GPT-SoVITS-V2 provider reads): `name` and "
                        "`voice_id` are the speaker's name.")
async def speakers(request: Request) -> list[SpeakerInfo]:
    svc = service(request)
    loaded = set(svc.voices.loaded())
    return [SpeakerInfo(name=name, voice_id=name, language=svc.speakers[name].options.language,
                        sample_rate=svc.voices.sample_rate(name), loaded=name in loaded)
            for name in svc.speakers]


@router.api_route("/health", methods=["GET", "HEAD"], response_model=HealthResponse,
                  summary="Liveness and request counters (HEAD too, for uptime monitors)")
async def health(request: Request) -> HealthResponse:
    svc = service(request)
    c = svc.counters
    running = svc.chat.generations_running
    return HealthResponse(status="ok", mode=request.app.state.mode, demo=svc.demo,
                          requests=RequestCounters(active=c.active, completed=c.completed, cancelled=c.cancelled,
                                                   failed=c.failed, rejected=c.rejected),
                          llm_generations_running=running, t2s_rows_decoding=svc.engine.rows_decoding,
                          voices_loaded=svc.voices.loaded())
