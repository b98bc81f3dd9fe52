"""Demo mode: the whole service on tiny random-weight models that are built here, no download.

The tiny Qwen2 chat model and the tiny GPT-SoVITS files are written once into a cache folder in
the real file formats and loaded by the same code as real models. Every speaker of the config
keeps its name and role-play prompt and gets the tiny voice. The output is gibberish spoken as
a babbling noise at speech level: demo mode shows that the service works, not how it sounds.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

from LLM import LLMConfig
from server.config import (
    AppConfig,
    ServerSettings,
    SpeakerConfig,
    TTSSettings,
    VoiceDefaults,
    default_prompt,
)

logger = logging.getLogger(__name__)

CACHE_ENV = "CHAT2AUDIO_DEMO_CACHE"
DEMO_SPEAKERS = ("Firefly", "Klee", "Ayaka", "Nahida", "Tribbie", "Yoimiya", "Citlali")
DEMO_MAX_NEW_TOKENS = 96  # the tiny LLM never stops by itself; keep demo replies short
# the random SoVITS decoder speaks at ~-53 dBFS (inaudible); this gain on its last convolution gives
# ~-10 dBFS peaks and ~-18 dBFS RMS, the level of speech, so a newcomer hears that it works
DEMO_VOICE_GAIN = 150.0
_LLM_MARKER = "chat2audio-demo.json"


def demo_cache_dir() -> Path:
    """``$CHAT2AUDIO_DEMO_CACHE``, else ``$XDG_CACHE_HOME/chat2audio/demo`` (``~/.cache/...``)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "chat2audio" / "demo"


def build_demo_llm(folder: Path) -> Path:
    """The tiny Qwen2 folder, built once (a marker file says it is complete)."""
    from LLM.builders import build_tiny_qwen

    if (folder / _LLM_MARKER).is_file():
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    logger.info("building the tiny demo LLM in %s", folder)
    build_tiny_qwen(folder)
    (folder / _LLM_MARKER).write_text(json.dumps({"builder": "LLM.builders.build_tiny_qwen"}), encoding="utf-8")
    return folder


DEMO_VERSIONS = ("v2", "v2Pro", "v2ProPlus")


def _build_once(path: Path, build) -> Path:
    """``build(partial_path)`` unless ``path`` exists; complete or absent, even if interrupted."""
    if not path.is_file():
        partial = path.with_suffix(".part")
        build(partial)
        partial.replace(path)
    return path


def build_demo_sovits(folder: Path, version: str = "v2") -> Path:
    """The tiny SoVITS file of ``version`` made audible (``DEMO_VOICE_GAIN``), built once; same format as a real one."""
    from tts.builders import build_sovits_checkpoint

    suffix = "" if version == "v2" else f"-{version}"
    return _build_once(folder / f"sovits-tiny{suffix}-demo-gain{DEMO_VOICE_GAIN:g}.pth",
                       lambda p: build_sovits_checkpoint(p, size="tiny", seed=0, version=version,
                                                         output_gain=DEMO_VOICE_GAIN))


def build_demo_sv(folder: Path) -> Path:
    """The speaker-verification file v2Pro demo voices need (upstream's size, ~215 MB), built once."""
    from tts.builders import build_sv_checkpoint

    return _build_once(folder / "pretrained_eres2netv2w24s4ep4.ckpt", lambda p: build_sv_checkpoint(p, seed=0))


def build_demo_config(cache: Path, base: AppConfig | None = None, version: str = "v2") -> AppConfig:
    """A config that serves the tiny models from ``cache`` (built on first use).

    With ``base`` (the user's config), its speakers (names, prompts, languages, sampling), server
    options and LLM generation defaults are kept and only the model files are replaced.
    ``version``: the SoVITS version of the demo voice ("v2Pro"/"v2ProPlus" also build the
    speaker-verification model those need).
    """
    from tts.builders import build_tts_models

    if version not in DEMO_VERSIONS:
        raise ValueError(f"demo voice version must be one of {', '.join(DEMO_VERSIONS)}, got {version!r}")
    cache = Path(cache)
    llm_dir = build_demo_llm(cache / "tiny-qwen")
    tts = build_tts_models(cache / "tts", size="tiny", seed=0)
    sv_path = build_demo_sv(cache / "tts") if version != "v2" else None
    voice = {"gpt_path": tts.gpt, "sovits_path": build_demo_sovits(cache / "tts", version), "ref_audio": tts.ref_audio,
             "ref_text": tts.ref_text, "ref_language": "zh"}
    if base is not None:
        llm = LLMConfig(model_path=llm_dir, device="cpu", temperature=base.llm.temperature, top_p=base.llm.top_p,
                        max_new_tokens=min(base.llm.max_new_tokens, DEMO_MAX_NEW_TOKENS),
                        repetition_penalty=base.llm.repetition_penalty,
                        max_context_tokens=base.llm.max_context_tokens)
        server, defaults = base.server, base.voice_defaults
        speakers = {name: s.model_copy(update=voice) for name, s in base.speakers.items()}
    else:
        llm = LLMConfig(model_path=llm_dir, device="cpu", max_new_tokens=DEMO_MAX_NEW_TOKENS)
        server, defaults = ServerSettings(), VoiceDefaults()
        speakers = {name: SpeakerConfig(prompt=default_prompt(name), **voice) for name in DEMO_SPEAKERS}
    models = {"bert_path": tts.bert, "cnhubert_path": tts.hubert, "g2pw_path": None, "sv_path": sv_path,
              "device": "cpu", "dtype": "auto"}
    # the base's way of running the engine (batch_rows, t2s_batch, fast modes, max_voices) with the demo models
    engine = base.tts.model_copy(update=models) if base is not None else TTSSettings(**models)
    return AppConfig(llm=llm, tts=engine, server=server, voice_defaults=defaults, speakers=speakers)
