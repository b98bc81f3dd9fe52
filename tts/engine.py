"""The TTS engine: text + voice -> int16 speech, whole or one chunk per text segment.

Per request (all state local to the call, never on the engine):
  seed one ``torch.Generator`` -> ``split_for_synthesis`` -> per segment: phones + BERT ->
  t2s tokens (prompt phones/BERT/tokens + the segment's) -> SoVITS waveform (the segment's
  phones, the voice's speaker embedding, speed, noise) -> peak scaled to 1 when above ->
  fragment interval of silence appended -> int16 (clipped, not wrapped).

Random draws happen in upstream's order for one segment per batch: the t2s steps of a segment,
then its SoVITS noise, segment after segment, so the same seed gives upstream's audio.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from tts.chunked import ChunkedVocoder, chunk_boundaries
from tts.models.t2s_generate import DecodingRow, generate_batch
from tts.options import SynthesisOptions, resolve_seed, segment_seed
from tts.priority_lock import NORMAL, URGENT, PriorityLock
from tts.scheduler import T2SScheduler
from tts.text.segment import synthesis_segments
from tts.voices import LoadedVoice, Voice, VoiceCache, VoiceFiles, VoicePreparer, voice_files

logger = logging.getLogger(__name__)

EMPTY_SILENCE_S = 0.3  # what text with nothing to pronounce yields


@dataclass(frozen=True)
class SegmentStats:
    """Where the time of one segment went (seconds), for logs and benchmarks."""

    text_s: float  # text frontend (normalization, g2p)
    bert_s: float  # BERT features
    t2s_s: float  # semantic token generation (prefill + decoding)
    prefill_s: float  # of which the prefill and first token (the rest is decoding, one step per later token)
    tokens: int  # semantic tokens generated (25 per second of audio at speed 1)
    sovits_s: float  # SoVITS decoding
    audio_s: float  # seconds of audio produced (without the fragment interval)


@dataclass(frozen=True)
class SegmentFeatures:
    """What t2s needs for one segment, with the voice's prompt in front."""

    all_ids: torch.Tensor  # (n_prompt + n_phones,) phone ids
    all_bert: torch.Tensor  # (1024, n_prompt + n_phones)
    target_ids: torch.Tensor  # (n_phones,) the segment's own phone ids (SoVITS)
    text_s: float
    bert_s: float


@dataclass(frozen=True)
class AudioChunk:
    """One synthesized text segment (or, with ``chunk_tokens``, a part of one): mono int16 PCM at
    ``sample_rate``; a segment's last chunk ends with the silence interval.

    Unpacks as ``sample_rate, pcm = chunk``.
    """

    sample_rate: int
    pcm: np.ndarray  # (samples,) int16
    text: str  # the segment's text ("" for the silence of an empty request)
    stats: SegmentStats | None = field(default=None, compare=False)  # on a segment's last chunk
    final: bool = True  # the segment's last chunk (False: more of this segment follows)

    def __iter__(self):
        return iter((self.sample_rate, self.pcm))


def check_request(text: str, voice: Voice | None, options: SynthesisOptions | None) -> SynthesisOptions:
    """The options to use (the defaults for None); ValueError without a voice, TypeError when
    ``text`` is not a str or ``options`` not SynthesisOptions."""
    if voice is None:
        raise ValueError("voice is required: get one from TTSEngine.load_voice(...)")
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if options is None:
        return SynthesisOptions()
    if not isinstance(options, SynthesisOptions):
        raise TypeError(f"options must be tts.SynthesisOptions, got {type(options).__name__}")
    return options


def to_int16(wav: np.ndarray) -> np.ndarray:
    """Float audio in [-1, 1] -> int16 as upstream (x * 32768, truncated), but clipped instead of
    wrapped: upstream turns a sample of exactly 1.0 into -32768."""
    scaled = np.asarray(wav, dtype=np.float32) * np.float32(32768.0)
    return np.clip(scaled, -32768.0, 32767.0).astype(np.int16)


def finish_segment(wav: np.ndarray, sample_rate: int, fragment_interval: float) -> np.ndarray:
    """Upstream's per-segment post-processing: divide by the peak when it is above 1, append
    ``int(sample_rate * fragment_interval)`` zeros, convert to int16."""
    wav = np.asarray(wav, dtype=np.float32)
    peak = float(np.abs(wav).max()) if wav.size else 0.0
    if peak > 1.0:
        wav = wav / np.float32(peak)
    silence = np.zeros(int(sample_rate * fragment_interval), dtype=np.float32)
    return to_int16(np.concatenate([wav, silence]))


def resolve_device(device: str | torch.device) -> torch.device:
    """"auto" -> cuda when available, else cpu; anything else as torch understands it."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {str(device)!r} requested but CUDA is not available")
    return dev


_DTYPES = {"float32": torch.float32, "fp32": torch.float32, "float16": torch.float16, "fp16": torch.float16,
           "half": torch.float16, "bfloat16": torch.bfloat16, "bf16": torch.bfloat16}


def resolve_dtype(dtype: torch.dtype | str | None, device: torch.device) -> torch.dtype:
    """None / "auto" -> float16 on CUDA, float32 elsewhere; names like "float16" or "bf16" -> that dtype."""
    if dtype is None or dtype == "auto":
        return torch.float16 if device.type == "cuda" else torch.float32
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype not in _DTYPES:
        raise ValueError(f"dtype must be 'auto' or one of {', '.join(_DTYPES)}, got {dtype!r}")
    return _DTYPES[dtype]


class TTSEngine:
    """GPT-SoVITS inference for any number of voices on one device.

    Shared by concurrent requests: each call keeps its own state (generator, segments); model
    work is serialized by one lock per engine (one engine per device). Up to ``max_voices``
    voices stay loaded; the least recently used one leaves first and is reloaded on next use.
    """

    def __init__(self, bert_path: str | Path, cnhubert_path: str | Path, device: str | torch.device = "cpu",
                 dtype: torch.dtype | str | None = None, g2pw_path: str | Path | None = None, max_voices: int = 4,
                 t2s_fast: bool | str = False, bert_fast: bool | str = False, t2s_batch: int = 1,
                 sv_path: str | Path | None = None, batch_rows: int = 8):
        from tts.models.bert import BertFeatures
        from tts.models.ssl import HubertSSL
        from tts.text import Frontend

        self.device = resolve_device(device)
        self.dtype = resolve_dtype(dtype, self.device)
        self.t2s_fast = t2s_fast  # CPU opt-in: "int8"/True, "fp16" or "onednn" GPT weights (see load_t2s)
        self.bert_fast = bert_fast  # the same for BERT (see BertFeatures.load)
        if int(t2s_batch) != t2s_batch or t2s_batch < 1:
            raise ValueError(f"t2s_batch must be an integer >= 1, got {t2s_batch!r}")
        self.t2s_batch = int(t2s_batch)  # non-stream synthesis: segments decoded together (tts.models.t2s_generate)
        if int(batch_rows) != batch_rows or batch_rows < 0:
            raise ValueError(f"batch_rows must be an integer >= 0, got {batch_rows!r}")
        # t2s decoding of all requests together (tts.scheduler); None: each request decodes its
        # own tokens in its own thread, one request at a time (upstream's way)
        self.scheduler = T2SScheduler(max_rows=int(batch_rows)) if batch_rows else None
        # one per device: text, BERT and vocoder work of all requests take turns, the work a
        # request's first audio waits for first (the GPT decodes in the scheduler's thread meanwhile)
        self._lock = PriorityLock()
        self.timings: dict[str, float] = {}
        t0 = time.perf_counter()
        self.bert = BertFeatures.load(Path(bert_path), self.device, self.dtype, fast=bert_fast)
        self.timings["bert_load_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        self.ssl = HubertSSL.load(Path(cnhubert_path), self.device, self.dtype)
        self.timings["hubert_load_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        self.frontend = Frontend(g2pw_dir=Path(g2pw_path) if g2pw_path is not None else None, bert_dir=Path(bert_path))
        self.timings["frontend_load_s"] = time.perf_counter() - t0
        self._preparer = VoicePreparer(self.ssl, self.bert, self.frontend, self.device, self.dtype, t2s_fast,
                                       sv_path=sv_path)
        self.voices = VoiceCache(max_voices, self._load)  # public: which voices are loaded

    # ---- voices -------------------------------------------------------------------------------

    def load_voice(self, gpt_path: str | Path, sovits_path: str | Path, ref_audio: str | Path, ref_text: str,
                   ref_language: str = "zh") -> Voice:
        """Load (or find in the cache) a voice: its two checkpoints and its reference prompt
        (``tts.voices``).

        Raises FileNotFoundError naming a missing file, CheckpointError for unusable model files,
        ReferenceAudioError when the reference is unreadable or not 3-10 s long, ValueError for
        an empty transcript or unknown language.
        """
        files = voice_files(gpt_path, sovits_path, ref_audio, ref_text, ref_language)
        return self.voices.get(files).voice

    def _load(self, files: VoiceFiles) -> LoadedVoice:
        """Prepare a voice on this engine's device, reusing the models of cached voices made of
        the same checkpoints (the cache's loader)."""
        with self._lock:
            return self._preparer.prepare(files, t2s=self.voices.find_model("t2s", files.gpt_path),
                                          sovits=self.voices.find_model("sovits", files.sovits_path))

    def warm_up(self, voice: Voice | None = None) -> None:
        """Do the one-time work of a first request now (dictionaries of the text frontend and,
        with ``voice``, a tiny synthesis), so the first real request is not slower than later ones."""
        with self._lock:
            self.frontend.text_to_phones("你好，world。", language="zh", version="v2")
        if voice is not None:
            self.synthesize("你好。", voice, SynthesisOptions(max_tokens=4), seed=0)

    # ---- synthesis ----------------------------------------------------------------------------

    def synthesize(self, text: str, voice: Voice, options: SynthesisOptions | None = None, *,
                   seed: int | None = None, cancel: threading.Event | None = None) -> tuple[int, np.ndarray]:
        """The whole text as (sample_rate, int16 mono array): the chunks of :meth:`stream`, joined.

        With the engine's ``t2s_batch`` > 1 (and no ``options.chunk_tokens``), up to that many
        segments are decoded together (``tts.models.t2s_generate.generate_batch``): faster on CPU,
        and every segment draws from its own generator seeded with ``segment_seed(seed, index)``,
        so the audio for a seed differs from ``t2s_batch=1`` (upstream's single random stream)
        while not depending on the batch size.
        """
        opts = check_request(text, voice, options)
        if self.t2s_batch > 1 and opts.chunk_tokens is None:
            return self._synthesize_batched(text, voice, opts, seed, cancel)
        chunks = list(self._stream(text, voice, opts, seed, cancel))
        if not chunks:  # cancelled before the first segment was done
            return voice.sample_rate, np.zeros(0, dtype=np.int16)
        return chunks[0].sample_rate, np.concatenate([c.pcm for c in chunks])

    def stream(self, text: str, voice: Voice, options: SynthesisOptions | None = None, *,
               seed: int | None = None, cancel: threading.Event | None = None,
               first_audio: bool = True) -> Iterator[AudioChunk]:
        """Yield one AudioChunk per text segment as soon as it is synthesized.

        ``options`` (default ``SynthesisOptions()``, upstream's settings): the text's language,
        sampling, speed, ... With ``options.chunk_tokens`` a segment comes in several chunks: the
        first after that many semantic tokens, then chunks of doubling size (see ``tts.chunked``;
        same length and the same tokens as without, samples differ near chunk boundaries).
        Without, every chunk is upstream's whole-segment audio.

        Text with nothing to pronounce (empty, emoji, punctuation only) yields one chunk of
        0.3 s silence at the voice's rate. ``seed`` None (or -1) draws a random seed. Closing
        the generator stops the work after the chunk in progress; setting ``cancel`` (from any
        thread) stops it within one semantic token and ends the stream with no further chunk.
        ``first_audio``: this text's first chunk is its request's first audio, so its work goes
        before other requests' (False for the later texts of a request that already speaks).
        """
        opts = check_request(text, voice, options)
        return self._stream(text, voice, opts, seed, cancel, first_audio)

    def _stream(self, text: str, voice: Voice, opts: SynthesisOptions, seed: int | None,
                cancel: threading.Event | None, first_audio: bool = True) -> Iterator[AudioChunk]:
        loaded = self.voices.get(voice)
        sr = loaded.voice.sample_rate
        seed = resolve_seed(seed)
        generator = torch.Generator(device=self.device)
        generator.manual_seed(seed)
        produced = False
        for index, piece in enumerate(synthesis_segments(text, opts.language)):
            if cancel is not None and cancel.is_set():
                logger.info("synthesis cancelled")
                return
            noise_seed = segment_seed(seed, index)  # chunked rendering's own noise stream
            urgent = first_audio and not produced
            for wav, stats in self._segment(loaded, piece, opts, generator, cancel, noise_seed, urgent=urgent):
                produced = True
                if stats is None:  # an early part of the segment
                    yield AudioChunk(sr, to_int16(wav), piece, None, final=False)
                else:
                    yield AudioChunk(sr, finish_segment(wav, sr, opts.fragment_interval), piece, stats)
            if cancel is not None and cancel.is_set():
                logger.info("synthesis cancelled")
                return
        if not produced:
            yield AudioChunk(sr, np.zeros(int(sr * EMPTY_SILENCE_S), dtype=np.int16), "")

    def _features(self, loaded: LoadedVoice, segment: str, opts: SynthesisOptions) -> SegmentFeatures | None:
        """Phones and BERT features of one segment, after the voice's prompt; None when it has
        nothing to pronounce. Call with the lock held."""
        prompt = loaded.prompt
        t0 = time.perf_counter()
        phones = self.frontend.text_to_phones(segment, language=opts.language, version=loaded.sovits.config.symbols)
        t1 = time.perf_counter()
        if len(phones) == 0 or not phones.norm_text:
            logger.debug("segment %r has nothing to pronounce; skipped", segment)
            return None
        bert = self.bert(phones).to(self.device, self.dtype)  # (1024, n_phones)
        t2 = time.perf_counter()
        target_ids = torch.tensor(phones.ids, dtype=torch.long, device=self.device)  # (n_phones,)
        return SegmentFeatures(
            all_ids=torch.cat([prompt.phone_ids, target_ids]),  # (n_prompt + n_phones,)
            all_bert=torch.cat([prompt.bert, bert], dim=1),  # (1024, n_prompt + n_phones)
            target_ids=target_ids, text_s=t1 - t0, bert_s=t2 - t1)

    def _synthesize_batched(self, text: str, voice: Voice, opts: SynthesisOptions, seed: int | None,
                            cancel: threading.Event | None) -> tuple[int, np.ndarray]:
        """``synthesize`` with up to ``t2s_batch`` segments per t2s run; segment i draws its tokens and
        then its SoVITS noise from a generator seeded with ``segment_seed(seed, i)``."""
        loaded = self.voices.get(voice)
        sr = loaded.voice.sample_rate
        seed = resolve_seed(seed)
        todo: list[tuple[int, SegmentFeatures]] = []
        for i, piece in enumerate(synthesis_segments(text, opts.language)):
            with self._lock, torch.inference_mode():  # per segment: other requests get a turn in between
                features = self._features(loaded, piece, opts)
            if features is not None:
                todo.append((i, features))
        parts: list[np.ndarray] = []
        for start in range(0, len(todo), self.t2s_batch):
            group = todo[start:start + self.t2s_batch]
            generators = [torch.Generator(device=self.device).manual_seed(segment_seed(seed, i)) for i, _ in group]
            t0 = time.perf_counter()
            tokens = self._decode_group(loaded, [f for _, f in group], generators, opts, cancel)
            logger.info("t2s batch of %d segments: %d tokens in %.2f s", len(group),
                        sum(len(t) for t in tokens), time.perf_counter() - t0)
            if cancel is not None and cancel.is_set():
                logger.info("synthesis cancelled")
                break
            with self._lock, torch.inference_mode():
                for (i, f), toks, generator in zip(group, tokens, generators):
                    if len(toks) == 0:
                        logger.warning("t2s produced no tokens for segment %d; skipped", i)
                        continue
                    wav = self._render_whole(loaded, toks, f.target_ids, opts, generator)
                    parts.append(finish_segment(wav, sr, opts.fragment_interval))
        if not todo:  # nothing to pronounce: the silence stream() gives
            parts.append(np.zeros(int(sr * EMPTY_SILENCE_S), dtype=np.int16))
        return sr, np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)

    def _decode_group(self, loaded: LoadedVoice, features: list[SegmentFeatures], generators: list[torch.Generator],
                      opts: SynthesisOptions, cancel: threading.Event | None) -> list[torch.Tensor]:
        """The tokens of several segments decoded together, each from its own generator: by the
        scheduler (with every other request's rows), or here under the engine's lock."""
        prompt = loaded.prompt
        if self.scheduler is None:
            with self._lock, torch.inference_mode():
                return generate_batch(loaded.t2s, [f.all_ids for f in features], [f.all_bert for f in features],
                                      prompt.tokens, generators, opts, max_tokens=opts.max_tokens, cancel=cancel)
        with self._lock, torch.inference_mode():
            rows = [loaded.t2s.new_row(f.all_ids, f.all_bert, prompt.tokens, opts, max_tokens=opts.max_tokens,
                                       generator=g) for f, g in zip(features, generators)]
        streams = [self.scheduler.submit(row, cancel) for row in rows]
        return [torch.tensor(list(stream), dtype=torch.long) for stream in streams]

    @staticmethod
    def _render_whole(loaded: LoadedVoice, tokens: torch.Tensor, target_ids: torch.Tensor, opts: SynthesisOptions,
                      generator: torch.Generator) -> np.ndarray:
        """Upstream's whole-segment SoVITS render of ``tokens`` (noise from ``generator``) -> float
        samples at the voice's rate. Call with the lock held."""
        wav = loaded.sovits.decode(tokens, target_ids, ge=loaded.prompt.ge, noise_scale=opts.noise_scale,
                                   speed=opts.speed, generator=generator)
        return wav.float().cpu().numpy()  # (samples,)

    def _segment(self, loaded: LoadedVoice, segment: str, opts: SynthesisOptions, generator: torch.Generator,
                 cancel: threading.Event | None, noise_seed: int, urgent: bool = False,
                 ) -> Iterator[tuple[np.ndarray, SegmentStats | None]]:
        """One text segment -> float waveform parts at the voice's rate: (early part, None) ...
        then (last part, stats). Nothing when the segment has nothing to say or ``cancel`` was
        set while its tokens were decoded. The engine's lock is held while computing, never
        while the consumer holds a part; ``urgent``: the request has no audio yet, so its text,
        BERT and first render go before other requests' work, and until its first part is
        ready the lock is reserved for urgent work (other streams' renders wait)."""
        with ExitStack() as reservation:
            if urgent:
                reservation.enter_context(self._lock.reserve())
            yield from self._segment_parts(loaded, segment, opts, generator, cancel, noise_seed, urgent,
                                           reservation)

    def _segment_parts(self, loaded: LoadedVoice, segment: str, opts: SynthesisOptions, generator: torch.Generator,
                       cancel: threading.Event | None, noise_seed: int, urgent: bool, reservation: ExitStack,
                       ) -> Iterator[tuple[np.ndarray, SegmentStats | None]]:
        """:meth:`_segment`'s work; ``reservation`` is closed before the first part is handed out."""
        prompt = loaded.prompt
        with self._hold(urgent), torch.inference_mode():
            features = self._features(loaded, segment, opts)
            if features is None:
                return
            target_ids = features.target_ids
            row = loaded.t2s.new_row(features.all_ids, features.all_bert, prompt.tokens, opts,
                                     max_tokens=opts.max_tokens, generator=generator)
        t2 = time.perf_counter()
        # the request's first audio waits for the first chunk's tokens of its first segment
        tokens = self._tokens(row, cancel, (opts.chunk_tokens or 0) if urgent else 0)
        boundaries = chunk_boundaries(opts.chunk_tokens, row.limit) if opts.chunk_tokens is not None else []
        vocoder = None
        decoded: list[int] = []
        first_token_at = None
        t2s_s = sovits_s = 0.0
        finished = False
        try:
            while not finished:
                t3 = time.perf_counter()
                target = boundaries.pop(0) if boundaries else None
                while target is None or len(decoded) < target:  # the engine's lock is not held here
                    if cancel is not None and cancel.is_set():
                        return
                    token = next(tokens, None)
                    if token is None:
                        finished = True
                        break
                    decoded.append(token)
                    if first_token_at is None:
                        first_token_at = time.perf_counter()
                t4 = time.perf_counter()
                t2s_s += t4 - t3
                if finished:
                    break
                first = urgent and vocoder is None  # the request's first audio
                with self._hold(first), self._gpt_paused(first), torch.inference_mode():  # a chunk boundary
                    if vocoder is None:
                        noise_generator = torch.Generator(device=generator.device).manual_seed(noise_seed)
                        vocoder = ChunkedVocoder(loaded.sovits, target_ids, prompt.ge, opts.noise_scale,
                                                 opts.speed, noise_generator)
                    part = vocoder.render(decoded, final=False)
                    sovits_s += time.perf_counter() - t4
                if part.size:
                    reservation.close()
                    yield part, None
        finally:
            tokens.close()
        if cancel is not None and cancel.is_set():  # the scheduler ends a cancelled row's tokens early
            return
        first = urgent and (vocoder is None or vocoder.sent == 0)
        with self._hold(first), torch.inference_mode():
            t4 = time.perf_counter()
            if not decoded:
                logger.warning("t2s produced no tokens for segment %r; skipped", segment)
                return
            if vocoder is None or vocoder.sent == 0:  # upstream's whole-segment render
                wav = self._render_whole(loaded, torch.tensor(decoded, dtype=torch.long), target_ids, opts, generator)
                audio_s = len(wav) / loaded.voice.sample_rate
            else:
                wav = vocoder.render(decoded, final=True)
                # draw the whole-segment noise from the request's generator all the same, so the
                # segments after this one get the tokens they would get without chunking
                loaded.sovits.draw_noise(vocoder.sent, generator)
                audio_s = vocoder.sent * vocoder.hop / loaded.voice.sample_rate
            sovits_s += time.perf_counter() - t4
        stats = SegmentStats(text_s=features.text_s, bert_s=features.bert_s, t2s_s=t2s_s,
                             prefill_s=(first_token_at or t2) - t2, tokens=len(decoded),
                             sovits_s=sovits_s, audio_s=audio_s)
        reservation.close()
        yield wav, stats

    def _hold(self, urgent: bool):
        """The engine's lock; ``urgent`` work (what a request's first audio waits for) goes before
        other waiters."""
        return self._lock.hold(URGENT if urgent else NORMAL)

    def _gpt_paused(self, pause: bool):
        """With ``pause``, the scheduler decodes nothing inside (the render of a request's first
        audio has the cores to itself: a short wait for the GPT, audio sooner)."""
        return self.scheduler.paused() if pause and self.scheduler is not None else nullcontext()

    def _tokens(self, row: DecodingRow, cancel: threading.Event | None, urgent_tokens: int = 0) -> Iterator[int]:
        """The row's tokens as they are decoded: by the scheduler, together with every other
        request's rows (the first ``urgent_tokens`` before the others'), or (without one) here,
        under the engine's lock, a token at a time."""
        if self.scheduler is not None:
            return self.scheduler.submit(row, cancel, urgent_tokens)
        return self._decode_alone(row)

    def _decode_alone(self, row: DecodingRow) -> Iterator[int]:
        with self._lock, torch.inference_mode():
            row.prefill()
        while True:
            with self._lock, torch.inference_mode():
                token = row.draw()
            if token is None:
                return
            yield token
            with self._lock, torch.inference_mode():
                row.advance()

    @property
    def rows_decoding(self) -> int:
        """Text segments the GPT is decoding or will decode next (all requests; 0 without a scheduler)."""
        return self.scheduler.active_rows if self.scheduler is not None else 0

    def close(self) -> None:
        """Stop the t2s scheduler's thread (requests still decoding end with RuntimeError)."""
        if self.scheduler is not None:
            self.scheduler.close()
