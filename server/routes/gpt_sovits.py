"""The routes of GPT-SoVITS servers, for clients written against them (speech only, no LLM):

- upstream's ``api_v2``: ``GET/POST /tts`` (text, text_lang, top_k, top_p, temperature,
  speed_factor, seed, media_type, streaming_mode, repetition_penalty, ...);
- SillyTavern's "GPT-SoVITS-V2" provider: ``GET /speakers`` (chat routes) and ``POST /``;
- SillyTavern's "GSVI" provider: ``GET /character_list`` and ``GET /tts?cha_name=...``.

The voice is always a configured speaker, named by ``speaker`` / ``cha_name`` or by the file stem
of ``ref_audio_path`` (SillyTavern sends ``./参考音频/<voice>.wav``). A request never makes the
server open a path it names, and nothing reloads or stops the server: ``/set_gpt_weights``,
``/set_sovits_weights``, ``/set_refer_audio`` and ``/control`` answer 403.
"""

from __future__ import annotations

from pathlib import PureWindowsPath
from urllib.parse import parse_qsl
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from server.errors import RequestError, clip, error_responses
from server.responses import service, stream_audio, whole_audio
from server.schemas import Text

router = APIRouter(tags=["GPT-SoVITS compatible (api_v2, SillyTavern)"])

ALL_TOKENS = 1 << 20  # top_k 0 means "no limit" in GPT-SoVITS' APIs; the sampler caps k at the vocabulary
MEDIA = {"wav": "wav", "raw": "pcm", "ogg": "ogg", "aac": "aac", "mp3": "mp3", "flac": "flac", "opus": "opus"}
TEXT_LANGS = {"zh": "zh", "all_zh": "zh", "en": "en", "auto": "auto"}  # api_v2's names we can speak
GSVI_LANGS = {"中文": "zh", "英文": "en", "中英混合": "auto", "多语种混合": "auto", "zh": "zh", "en": "en", "auto": "auto"}
AUDIO_OK = {200: {"content": {t: {} for t in ("audio/wav", "audio/pcm", "audio/ogg", "audio/aac", "audio/mpeg",
                                              "audio/flac")},
                  "description": "The audio: whole, or sent as it is synthesized with streaming."}}


def speaker_from_path(svc, ref_audio_path: str | None) -> str | None:
    """The configured speaker a ``ref_audio_path`` names by its file stem; RequestError when it names
    none (the path itself is never opened)."""
    if not ref_audio_path:
        return None
    stem = PureWindowsPath(ref_audio_path).stem  # handles both / and \\ separators
    if stem in svc.config.speakers:
        return stem
    raise RequestError(403, f"ref_audio_path {clip(ref_audio_path)} does not name a configured speaker: this server "
                            "never opens a path a request names. Use speaker=<name> or ref_audio_path=<name>.wav; "
                            f"speakers: {', '.join(svc.config.speaker_names())}")


def language(value: str, table: dict[str, str], field: str) -> str:
    key = value.strip().lower() if value.isascii() else value.strip()
    if key not in table:
        raise RequestError(422, f"{field} {clip(value)} is not supported: this server speaks "
                                f"{', '.join(dict.fromkeys(table))}")
    return table[key]


def streaming(mode: bool | int) -> bool:
    """api_v2's streaming_mode: False/0 one file; True/1/2/3 audio as it is made."""
    if isinstance(mode, bool):
        return mode
    if mode not in (0, 1, 2, 3):
        raise RequestError(422, f"streaming_mode must be 0, 1, 2, 3 or true/false, got {clip(str(mode))}")
    return mode != 0


def media(value: str) -> str:
    if value not in MEDIA:
        raise RequestError(422, f"media_type {clip(value)} is not supported: one of {', '.join(MEDIA)}")
    return MEDIA[value]


class TTSRequest(BaseModel):
    """upstream api_v2's request (``POST /tts`` body, ``GET /tts`` query). Sampling fields left unset
    take the speaker's configured settings. Fields of upstream's that change nothing here (batching,
    buckets, v3 sampling steps, ...) are accepted and ignored."""

    model_config = ConfigDict(extra="ignore")

    text: Text = Field(min_length=1)
    text_lang: str = Field(description="zh, all_zh, en or auto.")
    speaker: str | None = Field(None, description="A configured speaker (this server's addition).")
    ref_audio_path: str | None = Field(None, description="Names a configured speaker by its file stem, or is refused.")
    aux_ref_audio_paths: list[str] | None = Field(None, description="Refused unless empty (no paths are opened).")
    prompt_text: str = Field("", description="Ignored: the speaker's transcript comes from the config.")
    prompt_lang: str | None = Field(None, description="Ignored: the speaker's language comes from the config.")
    top_k: int | None = Field(None, ge=0, description="0: no limit; unset: the speaker's (as top_p, temperature).")
    top_p: float | None = Field(None, gt=0.0, le=1.0, allow_inf_nan=False)
    temperature: float | None = Field(None, gt=0.0, le=2.0, allow_inf_nan=False)
    text_split_method: str = Field("cut5", description="Accepted; text is always cut as upstream's cut5 does.")
    speed_factor: float = Field(1.0, gt=0.0, le=4.0, allow_inf_nan=False,
                                description="Multiplies the speaker's speed, clamped to 0.5-2.")
    seed: int = Field(-1, ge=-1, le=2**32 - 1, description="-1: random.")
    media_type: str = Field("wav", description="wav, raw (int16 PCM), ogg (Opus), aac; also mp3, flac, opus.")
    streaming_mode: bool | int = Field(False, description="False/0: one file; True/1/2/3: audio as it is made.")
    repetition_penalty: float | None = Field(None, gt=0.0, le=10.0, allow_inf_nan=False,
                                             description="Unset: upstream's 1.35.")


def no_voice(svc, how: str) -> RequestError:
    return RequestError(422, f"no voice: pass {how}; speakers: {', '.join(svc.config.speaker_names())}")


async def speak(request: Request, body: TTSRequest) -> Response:
    svc = service(request)
    if body.aux_ref_audio_paths:
        raise RequestError(403, "aux_ref_audio_paths are not supported: this server never opens a path a request "
                                "names; the voice comes from the configured speaker")
    from_path = speaker_from_path(svc, body.ref_audio_path)
    name = body.speaker or from_path
    if name is None:
        raise no_voice(svc, "speaker=<name> or ref_audio_path=<name>.wav")
    fmt, stream = media(body.media_type), streaming(body.streaming_mode)
    job = svc.open_speech(name, body.text, seed=body.seed, speed_factor=body.speed_factor,
                          language=language(body.text_lang, TEXT_LANGS, "text_lang"),
                          top_k=ALL_TOKENS if body.top_k == 0 else body.top_k, top_p=body.top_p,
                          temperature=body.temperature, repetition_penalty=body.repetition_penalty)
    return await (stream_audio if stream else whole_audio)(request, job, fmt)


@router.post("/tts", response_class=Response, responses={**AUDIO_OK, **error_responses(403, 404, 413, 422, 503)},
             summary="Speak text (GPT-SoVITS api_v2)")
async def tts_post(body: TTSRequest, request: Request) -> Response:
    return await speak(request, body)


@router.get("/tts", response_class=Response, responses={**AUDIO_OK, **error_responses(403, 404, 422, 503)},
            summary="Speak text (GPT-SoVITS api_v2, or SillyTavern's GSVI provider with cha_name)",
            description="With `cha_name`: the GSVI provider's request (text, cha_name, text_language, speed, top_k, "
                        "top_p, temperature, stream); a WAV, streamed with stream=true. Otherwise api_v2's query "
                        "(the fields of POST /tts).")
async def tts_get(request: Request, text: str = Query(description="The text to speak."),
                  text_lang: str | None = Query(None, description="api_v2 (required there): zh, all_zh, en or auto."),
                  speaker: str | None = Query(None), ref_audio_path: str | None = Query(None),
                  cha_name: str | None = Query(None, description="GSVI: the speaker."),
                  text_language: str | None = Query(None, description="GSVI: 中文, 英文, 中英混合, 多语种混合."),
                  speed: float | None = Query(None, description="GSVI: speed factor."),
                  stream: bool | None = Query(None, description="GSVI: stream the WAV."),
                  media_type: str = Query("wav"), streaming_mode: str = Query("false")) -> Response:
    params = utf8_query(request)
    if cha_name is not None:
        return await gsvi(request, params)
    try:
        body = TTSRequest.model_validate({**params, "aux_ref_audio_paths": request.query_params.getlist(
            "aux_ref_audio_paths") or None})
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("query", *e["loc"])} for e in exc.errors()]) from None
    return await speak(request, body)


def utf8_query(request: Request) -> dict[str, str]:
    """The query's parameters (the last of a repeated name), or 422 when a value is not UTF-8
    (Starlette would put U+FFFD in its place and the server would speak something else)."""
    try:
        return dict(parse_qsl(request.scope["query_string"].decode("utf-8"), keep_blank_values=True,
                              encoding="utf-8", errors="strict"))
    except UnicodeDecodeError:
        raise RequestError(422, "the query string is not UTF-8: percent-encode the text's UTF-8 bytes") from None


class GSVIRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: Text = Field(min_length=1)
    cha_name: str
    text_language: str = "多语种混合"
    speed: float = Field(1.0, gt=0.0, le=4.0, allow_inf_nan=False)
    top_k: int = Field(15, ge=0)
    top_p: float = Field(1.0, ge=0.0, le=1.0, allow_inf_nan=False)
    temperature: float = Field(1.0, gt=0.0, le=2.0, allow_inf_nan=False)
    stream: bool = False
    format: Literal["wav", "mp3", "ogg", "flac", "aac"] = "wav"


async def gsvi(request: Request, params: dict) -> Response:
    try:
        body = GSVIRequest.model_validate(params)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("query", *e["loc"])} for e in exc.errors()]) from None
    svc = service(request)
    job = svc.open_speech(body.cha_name, body.text, speed_factor=body.speed,
                          language=language(body.text_language, GSVI_LANGS, "text_language"),
                          top_k=body.top_k or ALL_TOKENS, top_p=body.top_p or 1.0, temperature=body.temperature)
    return await (stream_audio if body.stream else whole_audio)(request, job, body.format)


@router.get("/character_list", summary="Speakers and their emotions (SillyTavern's GSVI provider)")
async def character_list(request: Request) -> dict[str, list[str]]:
    return {name: ["default"] for name in service(request).config.speaker_names()}


class SillyTavernRequest(BaseModel):
    """The body SillyTavern's GPT-SoVITS-V2 provider posts to ``/``."""

    model_config = ConfigDict(extra="ignore")

    text: Text = Field(min_length=1)
    ref_audio_path: str = Field(description="./参考音频/<voice>.wav: the stem is the speaker.")
    prompt_text: str = ""
    text_lang: str = "zh"
    prompt_lang: str = "zh"
    text_split_method: str = "cut5"
    batch_size: int = 1
    media_type: Literal["wav", "ogg", "mp3", "flac", "aac"] = "wav"
    streaming_mode: bool | int = Field(False, description="true/false (SillyTavern sends the string 'true') or 0-3.")


@router.post("/", response_class=Response, responses={**AUDIO_OK, **error_responses(403, 404, 413, 422, 503)},
             summary="Speak text (SillyTavern's GPT-SoVITS-V2 provider)")
async def sillytavern(body: SillyTavernRequest, request: Request) -> Response:
    svc = service(request)
    name = speaker_from_path(svc, body.ref_audio_path)
    if name is None:
        raise no_voice(svc, "ref_audio_path=<name>.wav")
    stream = streaming(body.streaming_mode)
    job = svc.open_speech(name, body.text, language=language(body.text_lang, TEXT_LANGS, "text_lang"))
    return await (stream_audio if stream else whole_audio)(request, job, body.media_type)


REFUSED = ("this server does not load files, switch models or stop on request: voices are configured in the "
           "config file (speakers) and it is stopped by whoever started it")


async def refused(request: Request) -> Response:
    raise RequestError(403, f"{request.url.path}: {REFUSED}")


for _path in ("/set_gpt_weights", "/set_sovits_weights", "/set_refer_audio", "/control"):
    for _method in ("GET", "POST"):
        router.add_api_route(_path, refused, methods=[_method], response_class=Response, status_code=403,
                             responses=error_responses(403), summary=f"Refused (api_v2's {_path}): always 403")
