"""Voices: the per-voice models and reference prompt, prepared once and kept in an LRU cache.

A voice is a GPT (t2s) checkpoint, a SoVITS checkpoint, a 3-10 s reference recording and its
transcript (``VoiceFiles``, checked by :func:`voice_files`). ``VoicePreparer`` loads the two
checkpoints and computes everything synthesis needs from them; ``VoiceCache`` keeps the results:

- prompt semantic tokens: reference at 16 kHz (+ upstream's zero padding) -> HuBERT ->
  ``sovits.extract_prompt_tokens``;
- the reference spectrogram at the SoVITS rate and the speaker embedding made from it;
- the transcript's phones and BERT features (the transcript gets "。" appended when it does not
  end with one of upstream's split marks, "." for English).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from tts.options import LANGUAGES
from tts.text.phones import Phones
from tts.text.segment import SPLIT_MARKS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VoiceFiles:
    """What a voice is made of: its files (absolute paths) and the reference transcript."""

    gpt_path: Path
    sovits_path: Path
    ref_audio: Path
    ref_text: str
    ref_language: str

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """What makes two voices the same voice (the cache key)."""
        return (str(self.gpt_path), str(self.sovits_path), str(self.ref_audio), self.ref_text, self.ref_language)


@dataclass(frozen=True)
class Voice(VoiceFiles):
    """A handle to a loaded voice: its files and what loading them told. Cheap to keep and to
    pass around; the engine holds the models. A voice evicted from the engine's cache is loaded
    again, transparently, on its next use."""

    sample_rate: int  # the SoVITS model's output rate
    version: str  # the SoVITS file's version: "v1", "v2", "v2Pro" or "v2ProPlus"


def voice_files(gpt_path: str | Path, sovits_path: str | Path, ref_audio: str | Path, ref_text: str,
                ref_language: str = "zh") -> VoiceFiles:
    """The files of a voice, checked before anything is loaded: FileNotFoundError naming the
    argument of a missing file, ValueError for an unknown language or an empty transcript."""
    if ref_language not in LANGUAGES:
        raise ValueError(f"ref_language must be one of {', '.join(LANGUAGES)}, got {ref_language!r}")
    paths = []
    for name, p in (("gpt_path", gpt_path), ("sovits_path", sovits_path), ("ref_audio", ref_audio)):
        p = Path(p).expanduser().resolve()
        if not p.is_file():
            raise FileNotFoundError(f"{name}: file not found: {p}")
        paths.append(p)
    prompt_transcript(ref_text, ref_language)  # fail early on an empty transcript
    return VoiceFiles(paths[0], paths[1], paths[2], ref_text, ref_language)


@dataclass(frozen=True)
class ReferencePrompt:
    """What a voice contributes to every request, computed once per voice."""

    text: str  # the transcript as synthesized (final mark added)
    phones: Phones  # transcript phones
    phone_ids: torch.Tensor  # (n_prompt_phones,) long
    bert: torch.Tensor  # (1024, n_prompt_phones) BERT features of the transcript
    tokens: torch.Tensor  # (n_prompt_tokens,) long: semantic tokens of the reference audio (25 Hz)
    refer_spec: torch.Tensor  # (filter_length // 2 + 1, frames) reference spectrogram at the SoVITS rate
    ge: torch.Tensor  # (1, gin, 1) speaker embedding from refer_spec


@dataclass
class LoadedVoice:
    """A voice's models and reference prompt, as held in the cache."""

    voice: Voice
    t2s: object  # tts.models.t2s.T2SModel
    sovits: object  # tts.models.sovits.SoVITSModel
    prompt: ReferencePrompt
    timings: dict[str, float] = field(default_factory=dict)  # load/prompt seconds, for benchmarks and logs


def prompt_transcript(ref_text: str, language: str) -> str:
    """The reference transcript as upstream feeds it to the frontend: newlines stripped at the
    ends and a final "。" ("." for English) unless it already ends with a split mark."""
    text = ref_text.strip("\n")
    if not text:
        raise ValueError("ref_text is empty: the reference audio's transcript is required")
    if text[-1] not in SPLIT_MARKS:
        text += "." if language == "en" else "。"
    return text


class VoicePreparer:
    """Turns ``VoiceFiles`` into a ``LoadedVoice`` with the models every voice shares: HuBERT
    (``ssl``), BERT and the text frontend, on ``device`` in ``dtype``; GPT files load with
    ``t2s_fast`` (see ``load_t2s``); v2Pro/v2ProPlus voices also need the speaker-verification
    model at ``sv_path``, loaded on the first such voice. Not locked: the caller serializes model work."""

    def __init__(self, ssl, bert, frontend, device: torch.device, dtype: torch.dtype, t2s_fast: bool | str = False,
                 sv_path: str | Path | None = None):
        self.ssl, self.bert, self.frontend = ssl, bert, frontend
        self.device, self.dtype, self.t2s_fast = device, dtype, t2s_fast
        self.sv_path = Path(sv_path) if sv_path is not None else None
        self._sv = None

    def speaker_verification(self, sovits_path: Path):
        """The speaker-verification model v2Pro voices need, loaded once."""
        from tts.models import load_sv
        from tts.models.checkpoints import CheckpointError
        from tts.models.sv import SV_FILE

        if self._sv is None:
            if self.sv_path is None:
                raise CheckpointError(sovits_path, f"a v2Pro/v2ProPlus voice needs the speaker-verification model "
                                                   f"{SV_FILE}: set tts.sv_path (python -m tools.download fetches it)")
            self._sv = load_sv(self.sv_path, device=self.device, dtype=self.dtype)
        return self._sv

    @torch.inference_mode()
    def prepare(self, files: VoiceFiles, t2s: object | None = None, sovits: object | None = None) -> LoadedVoice:
        """Load the voice's checkpoints (unless ``t2s`` / ``sovits`` are given: models already
        loaded from the same files) and compute its reference prompt.

        Raises CheckpointError for unusable model files, ReferenceAudioError when the reference
        is unreadable or not 3-10 s long, ValueError when the transcript has nothing to say.
        """
        from tts.models import load_sovits, load_t2s
        from tts.models.audio import load_prompt_wav16k, reference_spectrogram, reference_wav16k_for_sv

        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        if t2s is None:
            t2s = load_t2s(files.gpt_path, device=self.device, dtype=self.dtype, fast=self.t2s_fast)
        if sovits is None:
            sovits = load_sovits(files.sovits_path, device=self.device, dtype=self.dtype)
        timings["model_load_s"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        cfg = sovits.config
        wav16k = load_prompt_wav16k(files.ref_audio, cfg.sampling_rate)  # (n + pad,) float32
        ssl = self.ssl(torch.from_numpy(wav16k))  # (1, 768, T)
        tokens = sovits.extract_prompt_tokens(ssl).to(self.device)  # (T // 2,)
        refer_spec = reference_spectrogram(files.ref_audio, cfg, cfg.sampling_rate)  # (bins, frames)
        refer_spec = refer_spec.to(self.device, self.dtype)
        sv_emb = None
        if cfg.is_v2pro:  # the reference's speaker-verification embedding joins the reference encoder's
            sv_emb = self.speaker_verification(files.sovits_path).embed(
                reference_wav16k_for_sv(files.ref_audio, cfg.sampling_rate))  # (20480,)
        ge = sovits.speaker_embedding(refer_spec, sv_emb)  # (1, gin, 1)
        timings["audio_prompt_s"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        text = prompt_transcript(files.ref_text, files.ref_language)
        phones = self.frontend.text_to_phones(text, language=files.ref_language, version=cfg.symbols)
        if len(phones) == 0:
            raise ValueError(f"ref_text {files.ref_text!r} has nothing pronounceable: no phones")
        bert = self.bert(phones).to(self.device, self.dtype)  # (1024, n_prompt_phones)
        timings["text_prompt_s"] = time.perf_counter() - t0

        prompt = ReferencePrompt(
            text=text, phones=phones, phone_ids=torch.tensor(phones.ids, dtype=torch.long, device=self.device),
            bert=bert, tokens=tokens, refer_spec=refer_spec, ge=ge)
        voice = Voice(files.gpt_path, files.sovits_path, files.ref_audio, files.ref_text, files.ref_language,
                      sample_rate=cfg.sampling_rate, version=sovits.version)
        logger.info("voice loaded: %s (%d prompt tokens, %d prompt phones) in %.2f s", files.ref_audio,
                    tokens.numel(), len(phones), sum(timings.values()))
        return LoadedVoice(voice=voice, t2s=t2s, sovits=sovits, prompt=prompt, timings=timings)


class VoiceCache:
    """At most ``max_voices`` loaded voices; the least recently used one leaves first.

    Thread-safe. ``loader`` builds a LoadedVoice for a voice's files (it is called without the
    cache's lock held, so one slow load does not block lookups of other voices). Keys are
    ``VoiceFiles.key``: a ``Voice`` finds the entry its files were loaded into. Loads are
    single-flight: while a voice is being loaded, other callers asking for it wait for that load
    (and get its result or its error) instead of loading it a second time.
    """

    def __init__(self, max_voices: int, loader: Callable[[VoiceFiles], LoadedVoice]):
        if max_voices < 1:
            raise ValueError(f"max_voices must be at least 1, got {max_voices}")
        self.max_voices = max_voices
        self._loader = loader
        self._entries: OrderedDict[tuple, LoadedVoice] = OrderedDict()
        self._loading: dict[tuple, Future] = {}  # key -> the load in progress
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, voice: VoiceFiles) -> bool:
        with self._lock:
            return voice.key in self._entries

    def keys(self) -> list[tuple]:
        """Cached voice keys, least recently used first."""
        with self._lock:
            return list(self._entries)

    def get(self, voice: VoiceFiles) -> LoadedVoice:
        """The loaded voice (loading it again if it was evicted); marks it most recently used."""
        with self._lock:
            entry = self._entries.get(voice.key)
            if entry is not None:
                self._entries.move_to_end(voice.key)
                return entry
            pending = self._loading.get(voice.key)
            if pending is None:
                pending = self._loading[voice.key] = Future()
                loading_here = True
            else:
                loading_here = False
        if not loading_here:
            return pending.result()  # the other caller's load: its voice, or its error raised here
        try:
            entry = self._loader(voice)
            self.put(entry)
        except BaseException as exc:
            pending.set_exception(exc)
            raise
        else:
            pending.set_result(entry)
            return entry
        finally:
            with self._lock:
                del self._loading[voice.key]

    def put(self, entry: LoadedVoice) -> None:
        """Insert (or refresh) a loaded voice and evict the least recently used beyond the limit."""
        with self._lock:
            self._entries[entry.voice.key] = entry
            self._entries.move_to_end(entry.voice.key)
            while len(self._entries) > self.max_voices:
                key, _ = self._entries.popitem(last=False)
                logger.info("voice cache full (%d): evicted %s", self.max_voices, key)

    def find_model(self, attr: str, path: Path) -> object | None:
        """A model already loaded by a cached voice from the same file (voices share checkpoints)."""
        with self._lock:
            for entry in self._entries.values():
                if attr == "t2s" and entry.voice.gpt_path == path:
                    return entry.t2s
                if attr == "sovits" and entry.voice.sovits_path == path:
                    return entry.sovits
        return None
