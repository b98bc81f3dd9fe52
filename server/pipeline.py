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
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import numpy as np

from LLM import ChatModel, ChatOptions, SpeechCleaner, Turn, clean_for_speech
from server.config import AppConfig, ResolvedSpeaker
from server.errors import RequestError, clip, llm_problem
from server.schemas import ChatRequest
from tts import IncrementalSegmenter, SynthesisOptions
from tts.options import resolve_seed, segment_seed
from tts.text import unspoken_pieces

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
    pcm: np.ndarray  # int16 samples


SPEED_LIMITS = (0.5, 2.0)  # speeds a voice still speaks at: SoVITS stretches its latent frames, and far beyond
                           # this the words smear or clip; requested speeds are clamped into it


def requested_speed(speaker: ResolvedSpeaker, factor: float) -> float:
    """The speaker's configured speed times a request's ``factor``, clamped to SPEED_LIMITS."""
    low, high = SPEED_LIMITS
    return min(high, max(low, speaker.options.speed * factor))


# ---- what a job produces, in order (the routes turn these into bytes or server-sent events) ----


@dataclass(frozen=True)
class TextDelta:
    """The LLM wrote more: ``raw`` as written, ``text`` the part of it that will be spoken."""

    text: str
    raw: str


@dataclass(frozen=True)
class SegmentStart:
    """A spoken segment begins at ``start`` seconds into the audio."""

    index: int
    text: str
    start: float


@dataclass(frozen=True)
class Audio:
    """The next int16 samples of the answer."""

    pcm: np.ndarray
    sample_rate: int


@dataclass(frozen=True)
class SegmentEnd:
    """A spoken segment's audio is complete: it spans ``start``-``end`` seconds (its trailing
    silence included) and took ``tokens`` semantic tokens."""

    index: int
    text: str
    start: float
    end: float
    tokens: int


@dataclass(frozen=True)
class Done:
    """All audio was produced: ``text`` is everything spoken, ``raw`` what the LLM wrote ("" for speech)."""

    text: str
    raw: str
    audio_s: float
    tokens: int


@dataclass(frozen=True)
class Failed:
    """The job failed after its answer began; ``detail`` says why (no server paths); ``status`` is
    what a whole-file answer returns instead (422: the prompt does not fit the LLM's context,
    502: the LLM failed, 500: synthesis failed)."""

    detail: str
    status: int


Event = TextDelta | SegmentStart | Audio | SegmentEnd | Done | Failed
_END = object()


class Job:
    """One request's state: its cancel event, its LLM and synthesis tasks, and its outcome.

    The admission slot is held from ``open_job`` until the work ends (``close``): when the audio is
    synthesized, when it fails, or when the client goes away, not when the last byte reaches a
    slow client.
    """

    def __init__(self, service: ChatService, request_id: int, speaker: ResolvedSpeaker, options: SynthesisOptions,
                 seed: int | None, chat: ChatRequest | None = None, text: str | None = None):
        self.service = service
        self.id = request_id
        self.speaker = speaker
        self.options = options  # how its text is spoken: the speaker's, with what the request sets
        self.seed = resolve_seed(seed)
        self.request = chat  # the chat request (None for a speech job)
        self.text = text  # the text to speak (None for a chat job: the LLM writes it)
        self.raw_reply = ""  # what the LLM wrote (chat jobs, once it has finished)
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
    task = asyncio.ensure_future(work)
    watch = asyncio.create_task(wait_for_disconnect(receive))
    try:
        await asyncio.wait({task, watch}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watch.cancel()
    if not task.done():
        logger.info("request %d: the client went away; stopping its work", job.id)
        task.cancel()
        await job.close()
        await asyncio.gather(task, return_exceptions=True)
        raise ClientGone()
    return task.result()


def speech_options(resolved: ResolvedSpeaker, text: str, speed_factor: float, overrides: dict) -> SynthesisOptions:
    """The options a speech request gets: the speaker's with its ``overrides`` (None: the speaker's)
    and speed; RequestError 422 for values the options refuse and for text in a language the
    voice cannot speak (which the engine would skip)."""
    try:
        options = replace(resolved.options, speed=requested_speed(resolved, speed_factor),
                          **{k: v for k, v in overrides.items() if v is not None})
    except ValueError as exc:  # a value the options refuse (the routes check their ranges first)
        raise RequestError(422, f"invalid request: {exc}") from None
    if unspoken := unspoken_pieces(text, options.language):
        lang, piece = unspoken[0]
        raise RequestError(422, f"text piece {clip(piece, 30)} was detected as {lang!r}: this server speaks "
                                "Chinese and English only")
    return options


class ChatService:
    """The LLM, the TTS engine and the config, shared by all requests (per-request state lives in ``Job``)."""

    def __init__(self, config: AppConfig, chat: ChatModel, engine, demo: bool = False):
        from server.voices import SpeakerVoices

        self.config = config
        self.chat = chat
        self.engine = engine  # tts.TTSEngine
        self.demo = demo
        self.counters = Counters()
        # each speaker resolved once: prompt, voice files, synthesis options
        self.speakers = {name: config.speaker(name) for name in config.speaker_names()}
        self.voices = SpeakerVoices(self.speakers, engine)
        self._ids = itertools.count(1)

    # ---- admission and validation -------------------------------------------------------------

    def open_job(self, request: ChatRequest) -> Job:
        """Validate a chat request and admit it, or raise RequestError (422, 404, 503)."""
        limits = self.config.server
        if not request.input.strip():
            raise RequestError(422, "input is empty: send the words the user says to the character")
        if len(request.input) > limits.max_input_chars:
            raise RequestError(422, f"input is {len(request.input)} characters long; the limit is "
                                    f"{limits.max_input_chars} (server.max_input_chars)")
        if len(request.history) > limits.max_history_turns:
            raise RequestError(422, f"history has {len(request.history)} turns; the limit is "
                                    f"{limits.max_history_turns} (server.max_history_turns)")
        speaker = self._admit(request.speaker)
        job = Job(self, next(self._ids), speaker, speaker.options, request.seed, chat=request)
        logger.info("request %d: chat with %s, %d characters, %d history turns", job.id, request.speaker,
                    len(request.input), len(request.history))
        return job

    def open_speech(self, speaker: str, text: str, seed: int | None = None, speed_factor: float = 1.0,
                    **overrides) -> Job:
        """Validate a speech-only request (``text`` spoken as is, no LLM) and admit it, or raise
        RequestError (422, 404, 503). ``speed_factor`` multiplies the speaker's speed (clamped to
        SPEED_LIMITS); ``overrides``: other SynthesisOptions fields the request sets (None: the speaker's)."""
        limit = self.config.server.max_speech_chars
        if not text.strip():
            raise RequestError(422, "input is empty: send the text to speak")
        if len(text) > limit:
            raise RequestError(422, f"input is {len(text)} characters long; the limit is {limit} "
                                    "(server.max_speech_chars)")
        resolved = self._admit(speaker)
        try:
            options = speech_options(resolved, text, speed_factor, overrides)
        except RequestError:
            self.counters.active -= 1
            raise
        job = Job(self, next(self._ids), resolved, options, seed, text=text)
        logger.info("request %d: speech by %s, %d characters", job.id, speaker, len(text))
        return job

    def _admit(self, name: str) -> ResolvedSpeaker:
        """The speaker ``name`` and a slot for its request: 404 for an unknown speaker, 503 when busy."""
        limits = self.config.server
        if name not in self.config.speakers:
            known = ", ".join(self.config.speaker_names())
            raise RequestError(404, f"unknown speaker {clip(name)}; known speakers: {known}")
        if self.counters.active >= limits.max_pending_requests:
            self.counters.rejected += 1
            raise RequestError(503, f"busy: {self.counters.active} requests in progress (server.max_pending_requests"
                                    f" = {limits.max_pending_requests}); retry later",
                               headers={"Retry-After": str(limits.retry_after_s)})
        self.counters.active += 1
        return self.speakers[name]

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

    # ---- synthesis --------------------------------------------------------------------------

    def _llm_stream(self, job: Job) -> AsyncIterator[str]:
        r = job.request
        history = [Turn(t.role, t.content) for t in r.history]
        return self.chat.stream(r.input, job.speaker.prompt, history, options=ChatOptions(temperature=r.temperature, seed=r.seed))

    async def reply(self, job: Job, voice) -> SpokenReply:
        """Non-stream chat: the whole reply, then its audio as one WAV. The caller closes ``job``."""
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
            sr, pcm = await asyncio.to_thread(self.engine.synthesize, text, voice, job.options, seed=job.seed,
                                              cancel=job.cancel)
            job.finished = True
            return SpokenReply(raw=raw, text=text, sample_rate=sr, pcm=pcm)
        except Exception as exc:
            job.error = exc
            raise

    def events(self, job: Job, voice) -> AsyncIterator[Event]:
        """Start ``job``'s synthesis and return what it produces, event by event, as soon as each
        is ready: for a chat job the LLM's text as it is written and each segment spoken while the
        LLM writes the next; for a speech job its text, segment by segment. The synthesis runs as
        its own task and closes the job (freeing its admission slot) when it ends; delivery to the
        client may take longer. The caller closes ``job`` when its response ends (that stops the
        synthesis if it still runs)."""
        out: asyncio.Queue = asyncio.Queue()
        job.work_task = asyncio.create_task(self._produce_events(job, voice, out))

        async def deliver() -> AsyncIterator[Event]:
            while (item := await out.get()) is not _END:
                yield item

        return deliver()

    def _segments(self, job: Job, out: asyncio.Queue) -> asyncio.Queue:
        """A queue of the texts to speak, then _END (or an exception): the job's text, or the LLM's
        reply cleaned and cut as it is written (TextDelta events go to ``out`` meanwhile)."""
        segments: asyncio.Queue = asyncio.Queue()
        if job.request is None:
            segments.put_nowait(job.text)
            segments.put_nowait(_END)
            return segments
        limits = self.config.server

        async def produce() -> None:  # LLM -> cleanup -> segments, concurrently with the synthesis
            cleaner = SpeechCleaner()
            segmenter = IncrementalSegmenter(first_min_chars=limits.first_segment_min_chars,
                                             min_chars=limits.segment_min_chars, max_chars=limits.segment_max_chars)
            raw: list[str] = []
            try:
                async for piece in self._llm_stream(job):
                    raw.append(piece)
                    spoken = cleaner.feed(piece)
                    out.put_nowait(TextDelta(text=spoken, raw=piece))
                    for segment in segmenter.feed(spoken):
                        segments.put_nowait(segment)
                tail = cleaner.flush()
                if tail:
                    out.put_nowait(TextDelta(text=tail, raw=""))
                for segment in segmenter.feed(tail) + segmenter.flush():
                    segments.put_nowait(segment)
                job.raw_reply = "".join(raw)
                logger.info("request %d: reply of %d characters: %r", job.id, len(job.raw_reply), job.raw_reply[:80])
                segments.put_nowait(_END)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 -- ends the answer; Job.close logs and counts it
                segments.put_nowait(exc)

        job.llm_task = asyncio.create_task(produce())
        return segments

    async def _produce_events(self, job: Job, voice, out: asyncio.Queue) -> None:
        sr = voice.sample_rate
        options = replace(job.options, chunk_tokens=self.config.server.stream_chunk_tokens)  # early parts
        segments = self._segments(job, out)
        spoken_texts: list[str] = []
        samples = tokens = index = 0
        try:
            while True:
                item = await segments.get()
                if isinstance(item, BaseException):
                    logger.error("request %d: the LLM failed: %s", job.id, item)
                    job.error = item
                    status, detail = llm_problem(item)
                    out.put_nowait(Failed(detail, status))
                    return
                if item is _END:
                    break
                # chat: each segment's own seed, derived from the request's (same request, same audio);
                # speech: the request's seed, as upstream uses it. The engine cuts a segment into
                # pieces; each piece is an event segment, sent in chunks as each is ready.
                seed = job.seed if job.request is None else segment_seed(job.seed, len(spoken_texts))
                # only the reply's first audio goes before other requests' work
                pieces = self.engine.stream(item, voice, options, seed=seed, cancel=job.cancel, first_audio=samples == 0)
                spoken_texts.append(item)
                start = None
                while (chunk := await asyncio.to_thread(next, pieces, None)) is not None:
                    if job.cancel.is_set():
                        return
                    if not chunk.text:  # the engine's silence for a text with nothing to say
                        continue
                    if start is None:
                        start = samples / sr
                        out.put_nowait(SegmentStart(index, chunk.text, start))
                    out.put_nowait(Audio(chunk.pcm, sr))
                    samples += len(chunk.pcm)
                    if chunk.final:
                        used = chunk.stats.tokens if chunk.stats is not None else 0
                        tokens += used
                        out.put_nowait(SegmentEnd(index, chunk.text, start, samples / sr, used))
                        index, start = index + 1, None
                if job.cancel.is_set():
                    return
            if index == 0:  # nothing to say: a short silence, so the answer is still playable audio
                _, pcm = await asyncio.to_thread(self.engine.synthesize, "", voice, job.options, seed=job.seed,
                                                 cancel=job.cancel)
                out.put_nowait(Audio(pcm, sr))
                samples += len(pcm)
            job.finished = True
            out.put_nowait(Done(text="".join(spoken_texts), raw=job.raw_reply, audio_s=samples / sr, tokens=tokens))
        except Exception as exc:  # the answer has begun: it ends early; Job.close logs and counts it
            logger.exception("request %d: synthesis failed", job.id)
            job.error = exc
            out.put_nowait(Failed(f"synthesis failed ({type(exc).__name__}); the server log has the details", 500))
        finally:
            out.put_nowait(_END)
            await job.close()  # the work is over: free the admission slot now (a no-op when closed already)

