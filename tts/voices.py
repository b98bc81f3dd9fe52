"""Voices: the per-voice models and reference prompt, computed once and kept in an LRU cache.

A voice is a GPT (t2s) checkpoint, a SoVITS checkpoint, a 3-10 s reference recording and its
transcript. Everything synthesis needs from them is computed on load and cached:

- prompt semantic tokens: reference at 16 kHz (+ upstream's zero padding) -> HuBERT ->
  ``sovits.extract_prompt_tokens``;
- the reference spectrogram at the SoVITS rate and the speaker embedding made from it;
- the transcript's phones and BERT features (the transcript gets "。" appended when it does not
  end with one of upstream's split marks, "." for English).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from tts.text.phones import Phones
from tts.text.segment import SPLIT_MARKS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Voice:
    """A handle to a loaded voice. Cheap to keep and to pass around; the engine holds the models.

    A voice evicted from the engine's cache is loaded again, transparently, on its next use.
    """

    gpt_path: Path
    sovits_path: Path
    ref_audio: Path
    ref_text: str
    ref_language: str
    sample_rate: int  # the SoVITS model's output rate
    version: str  # the SoVITS file's version: "v1", "v2", "v2Pro" or "v2ProPlus"

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """What makes two voices the same voice (the cache key)."""
        return (str(self.gpt_path), str(self.sovits_path), str(self.ref_audio), self.ref_text, self.ref_language)


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


class VoiceCache:
    """At most ``max_voices`` loaded voices; the least recently used one leaves first.

    Thread-safe. ``loader`` builds a LoadedVoice for a Voice (it is called without the cache's
    lock held, so one slow load does not block lookups of other voices). Loads are single-flight:
    while a voice is being loaded, other callers asking for it wait for that load (and get its
    result or its error) instead of loading it a second time.
    """

    def __init__(self, max_voices: int, loader: Callable[[Voice], LoadedVoice]):
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

    def __contains__(self, voice: Voice) -> bool:
        with self._lock:
            return voice.key in self._entries

    def keys(self) -> list[tuple]:
        """Cached voice keys, least recently used first."""
        with self._lock:
            return list(self._entries)

    def get(self, voice: Voice) -> LoadedVoice:
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
