"""Deterministic random-weight models in upstream's exact file formats, for tests, demos and benchmarks.

- ``build_t2s_checkpoint(path, size, seed)``: GPT ``.ckpt``
- ``build_sovits_checkpoint(path, size, seed, version_tag=None)``: SoVITS ``.pth``
- ``build_bert_folder(path, size)`` / ``build_hubert_folder(path, size)``: Hugging Face folders
- ``build_g2pw_folder(path)``: a g2pW model folder
- ``build_sv_checkpoint(path, seed)``: the v2Pro speaker-verification ``.ckpt`` (one size: upstream's)
- ``build_tts_models(root, size, seed) -> TTSModelPaths``: all of a voice's files plus a
  synthetic reference recording and its transcript, built once per (root, size, seed).

Sizes: "tiny" (seconds to build, for tests) and "full" (upstream's real shapes, for benchmarks).
"""

from __future__ import annotations

import importlib
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

_EXPORTS = {
    "build_t2s_checkpoint": "tts.builders.t2s",
    "build_sovits_checkpoint": "tts.builders.sovits",
    "build_bert_folder": "tts.builders.bert",
    "build_hubert_folder": "tts.builders.hubert",
    "build_g2pw_folder": "tts.builders.g2pw",
    "build_sv_checkpoint": "tts.builders.sv",
}

__all__ = ["TTSModelPaths", "build_reference_audio", "build_tts_models", *_EXPORTS]

REF_TEXT = "今天的天气很好，我们一起去公园散步吧。"
REF_SAMPLE_RATE = 32000
REF_SECONDS = 5.0
_MARKER = "models.json"


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tts.builders' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


@dataclass(frozen=True)
class TTSModelPaths:
    """The files of one random-weight voice and the shared models, as ``TTSEngine`` takes them."""

    gpt: Path  # GPT (t2s) .ckpt
    sovits: Path  # SoVITS .pth
    bert: Path  # chinese-roberta-wwm-ext-large-shaped folder
    hubert: Path  # chinese-hubert-base-shaped folder
    ref_audio: Path  # reference recording (WAV, 32 kHz, 5 s)
    ref_text: str  # its transcript
    size: str
    seed: int


def build_reference_audio(path: str | Path, seconds: float = REF_SECONDS, sample_rate: int = REF_SAMPLE_RATE,
                          seed: int = 0) -> Path:
    """Write a deterministic speech-like mono WAV (16-bit PCM): a gliding harmonic tone with
    syllable-rate amplitude modulation and a little seeded noise. Same arguments, same bytes."""
    import soundfile as sf

    rng = np.random.default_rng(seed)
    n = int(round(seconds * sample_rate))
    t = np.arange(n, dtype=np.float64) / sample_rate
    f0 = 140.0 + 30.0 * np.sin(2 * np.pi * 0.7 * t) + 10.0 * np.sin(2 * np.pi * 3.1 * t)  # Hz
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate
    voiced = sum(np.sin(k * phase) / k for k in range(1, 12))
    envelope = 0.5 * (1 - np.cos(2 * np.pi * 4.0 * t)) * np.minimum(1.0, np.minimum(t, seconds - t) * 10)
    wav = 0.25 * voiced * envelope + 0.01 * rng.standard_normal(n)
    wav = np.clip(wav / max(1e-9, np.abs(wav).max()) * 0.7, -1, 1).astype(np.float32)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), wav, sample_rate, subtype="PCM_16")
    return path


def build_tts_models(root: str | Path, size: str = "tiny", seed: int = 0) -> TTSModelPaths:
    """Build (or reuse, when ``root`` already holds them for the same size and seed) a complete
    random-weight model set under ``root``: GPT, SoVITS, BERT, HuBERT and a reference WAV.

    Deterministic: the same (size, seed) always gives the same weights and audio.
    """
    if size not in ("tiny", "full"):
        raise ValueError(f"size must be 'tiny' or 'full', got {size!r}")
    root = Path(root)
    paths = TTSModelPaths(
        gpt=root / f"gpt-{size}.ckpt", sovits=root / f"sovits-{size}.pth", bert=root / f"bert-{size}",
        hubert=root / f"hubert-{size}", ref_audio=root / "ref.wav", ref_text=REF_TEXT, size=size, seed=seed)
    marker = root / _MARKER
    if marker.is_file():
        try:
            recorded = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            recorded = None
        if recorded == _describe(paths) and all(Path(p).exists() for p in _files(paths)):
            logger.info("reusing %s models in %s", size, root)
            return paths
    root.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    logger.info("building %s random-weight models in %s", size, root)
    this = importlib.import_module(__name__)
    this.build_t2s_checkpoint(paths.gpt, size=size, seed=seed)
    this.build_sovits_checkpoint(paths.sovits, size=size, seed=seed)
    this.build_bert_folder(paths.bert, size=size)
    this.build_hubert_folder(paths.hubert, size=size)
    build_reference_audio(paths.ref_audio, seed=seed)
    marker.write_text(json.dumps(_describe(paths), ensure_ascii=False, indent=1), encoding="utf-8")
    return paths


def _files(paths: TTSModelPaths) -> list[Path]:
    return [paths.gpt, paths.sovits, paths.bert, paths.hubert, paths.ref_audio]


def _describe(paths: TTSModelPaths) -> dict:
    return {k: str(v) for k, v in asdict(paths).items()}
