"""The serving logic: reply with the LLM, clean it for speech, speak it with the TTS engine.

Non-stream: the whole reply, cleaned, synthesized, one WAV.
Stream: LLM pieces -> ``SpeechCleaner`` -> ``IncrementalSegmenter`` -> a queue -> TTS, segment by
segment. The LLM task and the synthesis overlap: while segment k is synthesized (in a worker
thread), the LLM keeps writing segment k+1. All model work runs off the event loop.

Each request is a ``Job``: its own cancel event, LLM and synthesis tasks, and its outcome.
``Job.close`` stops the LLM generation (its thread is joined) and the synthesis (within one
semantic token) and frees the request's admission slot, whatever the reason the work ended:
finished, failed, or the client went away (noticed in both modes: a stream's response ends; a
non-stream request's connection closes while it waits, see ``run_until_disconnect``).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import numpy as np

from LLM import ChatModel, SpeechCleaner, Turn, clean_for_speech
from server.config import AppConfig, ResolvedSpeaker
from server.errors import RequestError, clip
from server.schemas import ChatRequest
from server.wav import encode_wav, pcm_bytes, wav_header
from tts.text.segment import IncrementalSegmenter

logger = logging.getLogger(__name__)


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
    """One request's state: its cancel event, its LLM and synthesis tasks, and its outcome.

    The admission slot is held from ``open_job`` until the work ends (``close``): when the audio is
    synthesized, when it fails, or when the client goes away, not when the last byte reaches a
    slow client.
    """

    def __init__(self, service: ChatService, request_id: int, speaker: ResolvedSpeaker, request: ChatRequest):
        self.service = service
        self.id = request_id
        self.speaker = speaker
        self.request = request
        self.cancel = threading.Event()  # stops the synthesis (checked every semantic token)
        self.llm_task: asyncio.Task | None = None
        self.work_task: asyncio.Task | None = None  # the synthesis (stream mode) or the whole reply
        self.finished = False  # all audio was produced
        self.error: BaseException | None = None
        self.started = time.perf_counter()
        self._closed = False

    async def close(self) -> None:
        """Stop what still runs and count the request once; safe to call more than once and from
        the job's own work task."""
        if self._closed:
            return
        self._closed = True
        self.cancel.set()
        me = asyncio.current_task()
        others = [t for t in (self.work_task, self.llm_task) if t is not None and t is not me]
        llm_cut = self.llm_task is not None and not self.llm_task.done()
        for task in others:
            task.cancel()
        # wait for them to end (a cancelled chat stream joins its generation thread)
        await asyncio.gather(*others, return_exceptions=True)
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


async def wait_for_disconnect(receive) -> None:
    """Return when the client of an ASGI request has gone away (its body already read)."""
    while (await receive())["type"] != "http.disconnect":
        pass


class ClientGone(Exception):
    """The client went away before its answer was ready (the job is closed and counted cancelled)."""


async def run_until_disconnect(job: Job, work, receive):
    """Await ``work`` (a coroutine of ``job``); if the client goes away first, stop the job and
    raise ClientGone."""
    job.work_task = asyncio.ensure_future(work)
    watch = asyncio.create_task(wait_for_disconnect(receive))
    try:
        await asyncio.wait({job.work_task, watch}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watch.cancel()
    if not job.work_task.done():
        logger.info("request %d: the client went away; stopping its work", job.id)
        await job.close()
        raise ClientGone()
    return job.work_task.result()


class ChatService:
    """The LLM, the TTS engine and the config, shared by all requests (per-request state lives in ``Job``)."""

    def __init__(self, config: AppConfig, chat: ChatModel, engine, demo: bool = False):
        from server.voices import SpeakerVoices

        self.config = config
        self.chat = chat
        self.engine = engine  # tts.TTSEngine
        self.demo = demo
        self.counters = Counters()
        self.voices = SpeakerVoices(config, engine)
        self._ids = itertools.count(1)

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
            raise RequestError(404, f"unknown speaker {clip(request.speaker)}; known speakers: {known}")
        if self.counters.active >= limits.max_pending_requests:
            self.counters.rejected += 1
            raise RequestError(503, f"busy: {self.counters.active} requests in progress (server.max_pending_requests"
                                    f" = {limits.max_pending_requests}); retry later",
                               headers={"Retry-After": str(limits.retry_after_s)})
        self.counters.active += 1
        job = Job(self, next(self._ids), self.config.speaker(request.speaker), request)
        logger.info("request %d: speaker %s, %d characters, %d history turns", job.id, request.speaker,
                    len(request.input), len(request.history))
        return job

    async def voice(self, job: Job):
        """The job's voice; RequestError 503 when the speaker's voice is unavailable (the job is failed)."""
        from server.voices import VoiceUnavailable

        try:
            return await self.voices.get(job.speaker.name)
        except VoiceUnavailable as exc:
            job.error = exc
            raise RequestError(503, str(exc)) from None
        except Exception as exc:
            job.error = exc
            raise

    # ---- the two modes ------------------------------------------------------------------------

    def _llm_stream(self, job: Job) -> AsyncIterator[str]:
        r = job.request
        history = [Turn(t.role, t.content) for t in r.history]
        return self.chat.stream(r.input, job.speaker.prompt, history, temperature=r.temperature, seed=r.seed)

    @staticmethod
    def _voice_settings(job: Job, voice, seed: int) -> dict:
        """The engine arguments of ``job``'s speaker (shared by ``synthesize`` and ``stream``)."""
        s = job.speaker
        return {"language": s.language, "voice": voice, "top_k": s.top_k, "top_p": s.top_p,
                "temperature": s.temperature, "speed": s.speed, "seed": seed, "cancel": job.cancel}

    def _synthesize(self, job: Job, voice, text: str, seed: int) -> tuple[int, np.ndarray]:
        return self.engine.synthesize(text, **self._voice_settings(job, voice, seed))

    def _stream_segment(self, job: Job, voice, text: str, seed: int):
        return self.engine.stream(text, chunk_tokens=self.config.server.stream_chunk_tokens,
                                  **self._voice_settings(job, voice, seed))

    async def reply(self, job: Job, voice) -> SpokenReply:
        """Non-stream mode: the whole reply as one WAV. The caller closes ``job``."""
        try:
            pieces: list[str] = []

            async def collect() -> None:
                async for piece in self._llm_stream(job):
                    pieces.append(piece)

            job.llm_task = asyncio.create_task(collect())
            await job.llm_task
            raw = "".join(pieces)
            text = clean_for_speech(raw)
            logger.info("request %d: reply of %d characters, %d spoken: %r", job.id, len(raw), len(text), text[:80])
            seed = job.request.seed if job.request.seed is not None else random.randrange(2**32)
            sr, pcm = await asyncio.to_thread(self._synthesize, job, voice, text, seed)
            job.finished = True
            return SpokenReply(raw=raw, text=text, sample_rate=sr, wav=encode_wav(pcm, sr))
        except Exception as exc:
            job.error = exc
            raise

    def stream(self, job: Job, voice) -> AsyncIterator[bytes]:
        """Stream mode: start the synthesis of ``job`` and return its bytes: the WAV header, then
        PCM as each part is synthesized. The synthesis runs as its own task and closes the job
        (freeing its admission slot) when it ends; delivery to the client may take longer. The
        caller closes ``job`` when the response ends (that stops the synthesis if it still runs)."""
        out: asyncio.Queue = asyncio.Queue()  # PCM bytes, then _END
        job.work_task = asyncio.create_task(self._synthesize_stream(job, voice, out))

        async def deliver() -> AsyncIterator[bytes]:
            yield wav_header(voice.sample_rate, None)
            while (item := await out.get()) is not _END:
                yield item

        return deliver()

    async def _synthesize_stream(self, job: Job, voice, out: asyncio.Queue) -> None:
        limits = self.config.server
        segments: asyncio.Queue = asyncio.Queue()

        async def produce() -> None:  # LLM -> cleanup -> segments, concurrently with the synthesis below
            cleaner = SpeechCleaner()
            segmenter = IncrementalSegmenter(first_min_chars=limits.first_segment_min_chars,
                                             min_chars=limits.segment_min_chars, max_chars=limits.segment_max_chars)
            raw: list[str] = []
            try:
                async for piece in self._llm_stream(job):
                    raw.append(piece)
                    for segment in segmenter.feed(cleaner.feed(piece)):
                        segments.put_nowait(segment)
                for segment in segmenter.feed(cleaner.flush()) + segmenter.flush():
                    segments.put_nowait(segment)
                logger.info("request %d: reply of %d characters: %r", job.id, len("".join(raw)), "".join(raw)[:80])
                segments.put_nowait(_END)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 -- reaches the client as the end of the stream; Job.close logs it
                segments.put_nowait(exc)

        seed = job.request.seed if job.request.seed is not None else random.randrange(2**31)
        job.llm_task = asyncio.create_task(produce())
        spoken = 0
        try:
            while True:
                item = await segments.get()
                if isinstance(item, BaseException):
                    logger.error("request %d: the LLM failed: %s", job.id, item)
                    job.error = item
                    return
                if item is _END:
                    break
                # a different seed per segment, derived from the request's: same request, same audio.
                # The engine's chunks (pieces it splits the segment into, and with stream_chunk_tokens
                # early parts of each piece) are sent one by one as each is ready.
                pieces = self._stream_segment(job, voice, item, seed + spoken)
                spoken += 1
                while (chunk := await asyncio.to_thread(next, pieces, None)) is not None:
                    if job.cancel.is_set():
                        return
                    logger.debug("request %d: segment %d (%d samples): %r", job.id, spoken, len(chunk.pcm), chunk.text)
                    out.put_nowait(pcm_bytes(chunk.pcm))
                if job.cancel.is_set():
                    return
            if spoken == 0:  # nothing to say: a short silence, so the body is still a playable WAV
                _, pcm = await asyncio.to_thread(self._synthesize, job, voice, "", seed)
                out.put_nowait(pcm_bytes(pcm))
            job.finished = True
        except Exception as exc:  # headers are sent: the stream ends early; Job.close logs and counts it
            logger.exception("request %d: synthesis failed", job.id)
            job.error = exc
        finally:
            out.put_nowait(_END)
            await job.close()  # the work is over: free the admission slot now (a no-op when closed already)
