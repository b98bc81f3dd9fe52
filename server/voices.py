"""Each speaker's voice: loaded on first use (or at start), a failure reported once and in words.

A speaker whose files cannot be used (a missing or corrupt checkpoint, an unreadable reference)
is *unavailable*: requests for it get 503 ``voice <name> is unavailable: <problem>``, where the
problem names the config key instead of a server path. The failure is logged once with the full
detail; later requests reuse it without trying again until one of the speaker's files changes
(size or modification time), so fixing a file needs no restart.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from server.config import ResolvedSpeaker

logger = logging.getLogger(__name__)

VOICE_FILE_KEYS = ("gpt_path", "sovits_path", "ref_audio")
_ABSOLUTE_PATH = re.compile(r"(?<![\w.])/(?:[^\s'\":,;()\[\]]+/)*[^\s'\":,;()\[\]]+")


class VoiceUnavailable(Exception):
    """A speaker's voice cannot be loaded; ``problem`` says why without server paths."""

    def __init__(self, speaker: str, problem: str):
        self.speaker = speaker
        self.problem = problem
        super().__init__(f"voice {speaker} is unavailable: {problem}")


def describe_problem(exc: BaseException, speaker: ResolvedSpeaker) -> str:
    """``exc``'s message with the speaker's file paths replaced by their config keys
    (``speakers.<name>.gpt_path``) and any other absolute path by its file name."""
    text = str(exc)
    for key in VOICE_FILE_KEYS:
        path = Path(getattr(speaker, key))
        label = f"speakers.{speaker.name}.{key}"
        for form in {str(path.expanduser().resolve()), str(path)}:
            text = text.replace(f"{key}: {form}", label).replace(form, label)
    text = _ABSOLUTE_PATH.sub(lambda m: Path(m.group(0)).name, text)
    return text.strip() or type(exc).__name__


def _fingerprint(speaker: ResolvedSpeaker) -> tuple:
    """What must change before a failed voice is tried again: each file's size and mtime."""
    marks = []
    for key in VOICE_FILE_KEYS:
        try:
            st = Path(getattr(speaker, key)).stat()
            marks.append((st.st_size, st.st_mtime_ns))
        except OSError:
            marks.append(None)
    return tuple(marks)


@dataclass(frozen=True)
class _Failure:
    fingerprint: tuple
    error: VoiceUnavailable


class SpeakerVoices:
    """The engine's voices by speaker name (thread-safe; the engine caches the models)."""

    def __init__(self, speakers: dict[str, ResolvedSpeaker], engine):
        self.speakers = speakers  # name -> resolved speaker (the service resolves each once)
        self.engine = engine  # tts.TTSEngine
        self._voices: dict[str, object] = {}  # name -> tts Voice handle (the engine may have evicted it)
        self._failures: dict[str, _Failure] = {}
        self._lock = threading.Lock()

    def load_blocking(self, name: str, log_failure: bool = True):
        """The voice of speaker ``name``, loading it when needed; VoiceUnavailable when it cannot be
        (logged the first time, with the full detail, unless ``log_failure`` is False)."""
        speaker = self.speakers[name]
        fingerprint = _fingerprint(speaker)
        with self._lock:
            failure = self._failures.get(name)
        if failure is not None and failure.fingerprint == fingerprint:
            raise failure.error
        try:
            voice = self.engine.load_voice(speaker.gpt_path, speaker.sovits_path, speaker.ref_audio,
                                           speaker.ref_text, ref_language=speaker.ref_language)
        except Exception as exc:  # noqa: BLE001 -- any failure to load makes the voice unavailable
            error = VoiceUnavailable(name, describe_problem(exc, speaker))
            with self._lock:
                first = self._failures.get(name) is None or self._failures[name].fingerprint != fingerprint
                self._failures[name] = _Failure(fingerprint, error)
            if first and log_failure:
                # a file problem is said in one line; anything else gets its traceback in the log
                logger.error("voice %s is unavailable: %s", name, exc,
                             exc_info=not isinstance(exc, (OSError, ValueError)))
            raise error from None
        with self._lock:
            self._failures.pop(name, None)
            self._voices[name] = voice
        return voice

    async def get(self, name: str):
        """``load_blocking`` off the event loop."""
        return await asyncio.to_thread(self.load_blocking, name)

    def preload(self) -> None:
        """Load every speaker's voice now; the first unavailable one raises VoiceUnavailable (not
        logged here: the caller says it, e.g. as the one line a failed start prints)."""
        for name in self.speakers:
            self.load_blocking(name, log_failure=False)
        logger.info("preloaded %d voices", len(self.speakers))

    def loaded(self) -> list[str]:
        """Speakers whose voice is in the engine's memory now."""
        with self._lock:
            voices = list(self._voices.items())
        return [name for name, v in voices if v in self.engine.voices]

    def sample_rate(self, name: str) -> int | None:
        """The speaker's output rate, None until its voice has been loaded once."""
        with self._lock:
            voice = self._voices.get(name)
        return voice.sample_rate if voice is not None else None
