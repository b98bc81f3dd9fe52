"""The serving logic: reply with the LLM, clean it for speech, speak it with the TTS engine.

Non-stream: the whole reply, cleaned, synthesized, one WAV.
Stream: LLM pieces -> ``SpeechCleaner`` -> ``IncrementalSegmenter`` -> a queue -> TTS, segment by
segment. The LLM task and the synthesis overlap: while segment k is synthesized (in a worker
thread), the LLM keeps writing segment k+1. All model work runs off the event loop.

Each request is a ``Job``: its own cancel event, LLM task and counters. ``Job.close`` stops the
LLM generation (its thread is joined) and the synthesis (within one semantic token), whatever the
reason the request ended: finished, failed or the client went away.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import numpy as np

from LLM import ChatModel, SpeechCleaner, Turn, clean_for_speech
from server.config import AppConfig, ResolvedSpeaker
from server.schemas import ChatRequest
from server.wav import encode_wav, pcm_bytes, wav_header
from tts import IncrementalSegmenter
from tts.options import resolve_seed, segment_seed

logger = logging.getLogger(__name__)


class RequestError(Exception):
    """A request the service refuses: ``status`` and a ``detail`` the client reads."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


@dataclass
class Counters:
    """What /health reports about requests (mutated on the event loop only)."""

    active: int = 0
    completed: int = 0
    cancelled: int = 0
    failed: int = 0
    rejected: int = 0


@dataclass(frozen=True)
class SpokenReply:
    """A whole reply (non-stream mode)."""

    raw: str  # what the LLM wrote
    text: str  # what the voice says (cleaned)
    sample_rate: int
    wav: bytes  # a complete WAV file


_END = object()


class Job:
    """One request's state: its cancel event, LLM task and whether it has been counted."""

    def __init__(self, service: ChatService, request_id: int, speaker: ResolvedSpeaker, request: ChatRequest):
        self.service = service
        self.id = request_id
        self.speaker = speaker
        self.request = request
        self.cancel = threading.Event()  # stops the synthesis (checked every semantic token)
        self.llm_task: asyncio.Task | None = None
        self.finished = False  # all audio was produced
        self.error: BaseException | None = None
        self.started = time.perf_counter()
        self._closed = False

    async def close(self) -> None:
        """Stop what still runs and count the request once; safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        self.cancel.set()
        task = self.llm_task
        llm_cut = task is not None and not task.done()
        if llm_cut:
            task.cancel()
        if task is not None:
            # wait for the generation thread to end (the chat stream joins it when cancelled)
            await asyncio.gather(task, return_exceptions=True)
        counters = self.service.counters
        counters.active -= 1
        elapsed = time.perf_counter() - self.started
        if self.error is not None:
            counters.failed += 1
            logger.info("request %d (%s) failed after %.2f s: %s", self.id, self.speaker.name, elapsed, self.error)
        elif self.finished:
            counters.completed += 1
            logger.info("request %d (%s) done in %.2f s", self.id, self.speaker.name, elapsed)
        else:
            counters.cancelled += 1
            logger.info("request %d (%s) cancelled after %.2f s: client went away; synthesis stopped, %s",
                        self.id, self.speaker.name, elapsed,
                        "LLM generation stopped" if llm_cut else "LLM had already finished")


class ChatService:
    """The LLM, the TTS engine and the config, shared by all requests (per-request state lives in ``Job``)."""

    def __init__(self, config: AppConfig, chat: ChatModel, engine, demo: bool = False):
        self.config = config
        self.chat = chat
        self.engine = engine  # tts.TTSEngine
        self.demo = demo
        self.counters = Counters()
        self._ids = itertools.count(1)
        # each speaker resolved once: prompt, voice files, synthesis options
        self.speakers = {name: config.speaker(name) for name in config.speaker_names()}
        self._voices: dict[str, object] = {}  # speaker name -> tts Voice (the engine caches the models)

    # ---- admission and validation -------------------------------------------------------------

    def open_job(self, request: ChatRequest) -> Job:
        """Validate ``request`` and admit it, or raise RequestError (422, 404, 503)."""
        limits = self.config.server
        text = request.input.strip()
        if not text:
            raise RequestError(422, "input is empty: send the words the user says to the character")
        if len(request.input) > limits.max_input_chars:
            raise RequestError(422, f"input is {len(request.input)} characters long; the limit is "
                                    f"{limits.max_input_chars} (server.max_input_chars)")
        if len(request.history) > limits.max_history_turns:
            raise RequestError(422, f"history has {len(request.history)} turns; the limit is "
                                    f"{limits.max_history_turns} (server.max_history_turns)")
        if request.speaker not in self.config.speakers:
            known = ", ".join(self.config.speaker_names())
            raise RequestError(404, f"unknown speaker {request.speaker!r}; known speakers: {known}")
        if self.counters.active >= limits.max_pending_requests:
            self.counters.rejected += 1
            raise RequestError(503, f"busy: {self.counters.active} requests in progress (server.max_pending_requests"
                                    f" = {limits.max_pending_requests}); retry later",
                               headers={"Retry-After": str(limits.retry_after_s)})
        self.counters.active += 1
        job = Job(self, next(self._ids), self.speakers[request.speaker], request)
        logger.info("request %d: speaker %s, %d characters, %d history turns", job.id, request.speaker,
                    len(request.input), len(request.history))
        return job

    # ---- voices -------------------------------------------------------------------------------

    def load_voice_blocking(self, speaker: ResolvedSpeaker):
        """The speaker's voice (loaded on first use; the engine keeps the most recent ones)."""
        voice = self.engine.load_voice(speaker.gpt_path, speaker.sovits_path, speaker.ref_audio, speaker.ref_text,
                                       ref_language=speaker.ref_language)
        self._voices[speaker.name] = voice
        return voice

    async def voice(self, speaker: ResolvedSpeaker):
        return await asyncio.to_thread(self.load_voice_blocking, speaker)

    def loaded_voices(self) -> list[str]:
        return [name for name, v in self._voices.items() if v in self.engine.voices]

    def sample_rate(self, name: str) -> int | None:
        voice = self._voices.get(name)
        return voice.sample_rate if voice is not None else None

    # ---- the two modes ------------------------------------------------------------------------

    def _llm_stream(self, job: Job) -> AsyncIterator[str]:
        r = job.request
        history = [Turn(t.role, t.content) for t in r.history]
        return self.chat.stream(r.input, job.speaker.prompt, history, temperature=r.temperature, seed=r.seed)

    def _synthesize(self, job: Job, voice, text: str, seed: int) -> tuple[int, np.ndarray]:
        return self.engine.synthesize(text, voice, job.speaker.options, seed=seed, cancel=job.cancel)

    def _stream_segment(self, job: Job, voice, text: str, seed: int):
        return self.engine.stream(text, voice, job.speaker.stream_options, seed=seed, cancel=job.cancel)

    async def reply(self, job: Job) -> SpokenReply:
        """Non-stream mode: the whole reply as one WAV. The caller closes ``job``."""
        try:
            voice = await self.voice(job.speaker)
            pieces: list[str] = []

            async def collect() -> None:
                async for piece in self._llm_stream(job):
                    pieces.append(piece)

            job.llm_task = asyncio.create_task(collect())
            await job.llm_task
            raw = "".join(pieces)
            text = clean_for_speech(raw)
            logger.info("request %d: reply of %d characters, %d spoken: %r", job.id, len(raw), len(text), text[:80])
            seed = resolve_seed(job.request.seed)
            sr, pcm = await asyncio.to_thread(self._synthesize, job, voice, text, seed)
            job.finished = True
            return SpokenReply(raw=raw, text=text, sample_rate=sr, wav=encode_wav(pcm, sr))
        except Exception as exc:
            job.error = exc
            raise

    async def prepare_stream(self, job: Job):
        """Stream mode, before the response starts: the voice (so its errors still get a status code)."""
        try:
            return await self.voice(job.speaker)
        except Exception as exc:
            job.error = exc
            raise

    async def stream(self, job: Job, voice) -> AsyncIterator[bytes]:
        """Stream mode: the WAV header, then PCM as each segment is synthesized. The caller closes ``job``."""
        limits = self.config.server
        queue: asyncio.Queue = asyncio.Queue()

        async def produce() -> None:  # LLM -> cleanup -> segments, concurrently with the synthesis below
            cleaner = SpeechCleaner()
            segmenter = IncrementalSegmenter(first_min_chars=limits.first_segment_min_chars,
                                             min_chars=limits.segment_min_chars, max_chars=limits.segment_max_chars)
            raw: list[str] = []
            try:
                async for piece in self._llm_stream(job):
                    raw.append(piece)
                    for segment in segmenter.feed(cleaner.feed(piece)):
                        queue.put_nowait(segment)
                for segment in segmenter.feed(cleaner.flush()) + segmenter.flush():
                    queue.put_nowait(segment)
                logger.info("request %d: reply of %d characters: %r", job.id, len("".join(raw)), "".join(raw)[:80])
                queue.put_nowait(_END)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 -- reaches the client as the end of the stream; Job.close logs it
                queue.put_nowait(exc)

        seed = resolve_seed(job.request.seed)
        job.llm_task = asyncio.create_task(produce())
        yield wav_header(voice.sample_rate, None)
        spoken = 0
        try:
            while True:
                item = await queue.get()
                if isinstance(item, BaseException):
                    job.error = item
                    return
                if item is _END:
                    break
                # each segment's own seed, derived from the request's: same request, same audio.
                # The engine's chunks (pieces it splits the segment into, and with stream_chunk_tokens
                # early parts of each piece) are sent one by one as each is ready.
                pieces = self._stream_segment(job, voice, item, segment_seed(seed, spoken))
                spoken += 1
                while (chunk := await asyncio.to_thread(next, pieces, None)) is not None:
                    if job.cancel.is_set():
                        return
                    logger.debug("request %d: segment %d (%d samples): %r", job.id, spoken, len(chunk.pcm), chunk.text)
                    yield pcm_bytes(chunk.pcm)
                if job.cancel.is_set():
                    return
            if spoken == 0:  # nothing to say: a short silence, so the body is still a playable WAV
                _, pcm = await asyncio.to_thread(self._synthesize, job, voice, "", seed)
                yield pcm_bytes(pcm)
            job.finished = True
        except Exception as exc:  # headers are sent: the stream ends early; Job.close logs and counts it
            logger.exception("request %d: synthesis failed", job.id)
            job.error = exc

