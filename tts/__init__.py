"""GPT-SoVITS inference: text -> speech in a cloned voice, loading upstream's model files.

``from tts import TTSEngine, SynthesisOptions, Voice, AudioChunk, IncrementalSegmenter``.
Importing the package loads no model and imports no heavy dependency; the names resolve on
first use.

- ``engine``: ``TTSEngine`` schedules synthesis (segments, seeds, batching, cancellation);
- ``scheduler``: the GPT decodes the text segments of all requests together (continuous batching);
- ``priority_lock``: the engine's device lock, the work a request's first audio waits for first;
- ``voices``: a voice's models and reference prompt, prepared once and cached;
- ``options``: ``SynthesisOptions``, every per-call setting with upstream's defaults, and the seed rules;
- ``chunked``: audio while a segment's tokens are still being decoded (stream mode);
- ``text/``: text -> phones (normalization, g2p, segmenting); ``models/``: the networks and
  checkpoint loading; ``builders/``: random-weight models in upstream's file formats.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["AudioChunk", "IncrementalSegmenter", "SegmentStats", "SynthesisOptions", "TTSEngine", "Voice"]

_EXPORTS = {
    "AudioChunk": "tts.engine",
    "IncrementalSegmenter": "tts.text.segment",
    "SegmentStats": "tts.engine",
    "SynthesisOptions": "tts.options",
    "TTSEngine": "tts.engine",
    "Voice": "tts.voices",
}

if TYPE_CHECKING:  # pragma: no cover
    from tts.engine import AudioChunk, SegmentStats, TTSEngine
    from tts.options import SynthesisOptions
    from tts.text.segment import IncrementalSegmenter
    from tts.voices import Voice


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tts' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
