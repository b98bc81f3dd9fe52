"""The service config: one YAML file, validated with pydantic when loaded.

Layout (see ``config.yaml`` at the top of the repository for the shipped one)::

    llm:            LLM.LLMConfig (backend, model_path or base_url, generation defaults)
    tts:            shared TTS models and engine settings (TTSSettings)
    server:         request limits and concurrency (ServerSettings)
    voice_defaults: synthesis settings every speaker inherits (VoiceDefaults)
    speakers:       name -> role-play prompt + voice files + optional overrides (SpeakerConfig)

Relative paths resolve against the config file's folder. Unknown keys are errors, so a typo
fails at start. Every problem is reported as ``<file>: <key.path>: <what is wrong>``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from LLM import LLMConfig
from tts.options import LANGUAGES, SynthesisOptions

logger = logging.getLogger(__name__)

CONFIG_ENV = "CHAT2AUDIO_CONFIG"
DEFAULT_CONFIG = "config.yaml"
Language = Literal[LANGUAGES]


class ConfigError(ValueError):
    """The config file is missing, not YAML, or fails validation; the message names file and key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TTSSettings(_Strict):
    """The models every voice shares and how the engine runs them."""

    bert_path: Path  # chinese-roberta-wwm-ext-large folder (Hugging Face format)
    cnhubert_path: Path  # chinese-hubert-base folder (Hugging Face format)
    g2pw_path: Path | None = None  # upstream G2PWModel folder; None: polyphones from pypinyin (less faithful)
    # the speaker-verification model v2Pro/v2ProPlus voices need (upstream's pretrained_eres2netv2w24s4ep4.ckpt)
    sv_path: Path | None = None
    device: str = "auto"  # "auto" (cuda if present, else cpu), "cpu", "cuda", "cuda:N"
    dtype: str = "auto"  # "auto" (fp16 on cuda, fp32 on cpu), "fp32", "fp16", "bf16"
    # CPU only, faster GPT (t2s), not bit-exact: "int8" (~4x per token) or "fp16" weights, or "onednn" (fp32
    # weights repacked for oneDNN, ~1.6x, logits differ in the last bits)
    t2s_fast: Literal[False, "int8", "fp16", "onednn"] = False
    # CPU only, faster BERT text features, not bit-exact: "int8" (~5x, ~6% feature error on random weights),
    # "fp16" (~1.3x, ~0.1%) or "onednn" (~1.5x, ~1e-6)
    bert_fast: Literal[False, "int8", "fp16", "onednn"] = False
    # non-stream replies: up to this many segments decoded together by the GPT (CPU: ~2-4x less t2s time
    # for a multi-segment reply); each segment then has its own seed-derived random stream; 1 = upstream's order
    t2s_batch: int = Field(1, ge=1, le=16)
    # the GPT decodes the segments of all requests together, up to this many at once (tts.scheduler:
    # each segment gets exactly the tokens it gets alone; 8 streams ~1.8x the throughput on a 2-core CPU);
    # 0 = one request at a time, each decoding in its own thread (the way before batching)
    batch_rows: int = Field(8, ge=0, le=64)
    max_voices: int = Field(4, ge=1)  # voices held in memory; the least recently used one leaves first
    preload_voices: bool = False  # True: load every speaker's voice at start; False: on first use


class ServerSettings(_Strict):
    """Request limits and concurrency."""

    max_input_chars: int = Field(500, ge=1)  # longer input is refused with 422
    max_speech_chars: int = Field(4096, ge=1)  # speech-only routes (text spoken as is): longer text is a 422
    max_history_turns: int = Field(20, ge=0)  # earlier turns a request may send
    max_pending_requests: int = Field(4, ge=1)  # running + waiting; more get 503 with Retry-After
    retry_after_s: int = Field(2, ge=1)  # the Retry-After of a 503
    max_body_bytes: int = Field(1_048_576, ge=1024)  # larger request bodies are refused with 413, unread
    # on SIGTERM / Ctrl-C, answers still being sent get this long, then they are cut (a client that
    # never reads would otherwise keep the server from stopping)
    shutdown_grace_s: float = Field(5.0, ge=0)
    # browser pages on these origins may call the service (CORS); [] none, ["*"] any (e.g. a local SillyTavern)
    cors_origins: list[str] = Field(default_factory=list)
    first_segment_min_chars: int = Field(4, ge=1)  # stream mode: a short first segment for fast first audio
    segment_min_chars: int = Field(12, ge=1)  # stream mode: later segments are at least this long
    segment_max_chars: int = Field(100, ge=8)  # stream mode: a segment is cut here at the latest
    # stream mode: vocode a segment's first N semantic tokens (25 per second of speech) before the
    # rest exist, then chunks of doubling size (tts.chunked); None: whole segments, upstream's audio
    stream_chunk_tokens: int | None = Field(8, ge=1)


def _synthesis_setting(value: Any, info: ValidationInfo) -> Any:
    """A synthesis setting is checked by the rule of ``tts.SynthesisOptions`` (the only one)."""
    if value is not None:
        SynthesisOptions(**{info.field_name: value})
    return value


class VoiceDefaults(_Strict):
    """Synthesis settings a speaker inherits unless it sets its own (the defaults are
    ``tts.SynthesisOptions``'s, upstream's)."""

    ref_language: Language = "zh"  # language of the reference transcripts
    language: Language = SynthesisOptions.language  # language the replies are spoken in
    speed: float = SynthesisOptions.speed
    top_k: int = SynthesisOptions.top_k
    top_p: float = SynthesisOptions.top_p
    temperature: float = SynthesisOptions.temperature

    _check = field_validator("speed", "top_k", "top_p", "temperature")(_synthesis_setting)


class SpeakerConfig(_Strict):
    """One character: its role-play prompt and its voice."""

    prompt: str | None = None  # system prompt of the LLM; None: built from the name (default_prompt)
    gpt_path: Path  # GPT (t2s) .ckpt trained with upstream GPT-SoVITS
    sovits_path: Path  # SoVITS .pth trained with upstream GPT-SoVITS
    ref_audio: Path  # 3-10 s reference recording
    ref_text: str = Field(min_length=1)  # its transcript
    ref_language: Language | None = None
    language: Language | None = None
    speed: float | None = None
    top_k: int | None = None
    top_p: float | None = None
    temperature: float | None = None

    _check = field_validator("speed", "top_k", "top_p", "temperature")(_synthesis_setting)

    @field_validator("prompt", "ref_text")
    @classmethod
    def _not_blank(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("must not be blank")
        return v


@dataclass(frozen=True)
class ResolvedSpeaker:
    """A speaker with the defaults applied: everything a request needs."""

    name: str
    prompt: str
    gpt_path: Path
    sovits_path: Path
    ref_audio: Path
    ref_text: str
    ref_language: str
    options: SynthesisOptions  # whole segments (non-stream mode)
    stream_options: SynthesisOptions  # the same with server.stream_chunk_tokens (stream mode)


def default_prompt(name: str) -> str:
    """The role-play prompt of a speaker whose config gives none."""
    return (f"你是{name}。请始终以{name}的身份、语气和性格与用户对话，用简短自然的口语回答，"
            "不要说明自己是人工智能，也不要写动作或旁白。")


class AppConfig(_Strict):
    """The whole service config (see the module docstring)."""

    llm: LLMConfig
    tts: TTSSettings
    server: ServerSettings = ServerSettings()
    voice_defaults: VoiceDefaults = VoiceDefaults()
    speakers: dict[str, SpeakerConfig] = Field(min_length=1)

    @field_validator("speakers")
    @classmethod
    def _names(cls, v: dict[str, SpeakerConfig]) -> dict[str, SpeakerConfig]:
        for name in v:
            if not name.strip() or name != name.strip():
                raise ValueError(f"speaker name {name!r} must be non-empty without surrounding spaces")
        return v

    def speaker_names(self) -> list[str]:
        return list(self.speakers)

    def speaker(self, name: str) -> ResolvedSpeaker:
        """The speaker ``name`` with defaults applied; KeyError when the config has no such speaker."""
        s = self.speakers[name]
        d = self.voice_defaults

        def pick(key: str) -> Any:
            own = getattr(s, key)
            return getattr(d, key) if own is None else own

        options = SynthesisOptions(**{k: pick(k) for k in ("language", "speed", "top_k", "top_p", "temperature")})
        return ResolvedSpeaker(
            name=name, prompt=s.prompt or default_prompt(name), gpt_path=s.gpt_path, sovits_path=s.sovits_path,
            ref_audio=s.ref_audio, ref_text=s.ref_text, ref_language=pick("ref_language"), options=options,
            stream_options=replace(options, chunk_tokens=self.server.stream_chunk_tokens))

    def resolved(self, base: Path) -> AppConfig:
        """A copy with every relative path resolved against ``base`` (the config file's folder)."""

        def res(p: Path | None) -> Path | None:
            return p if p is None or p.is_absolute() else (base / p.expanduser()).resolve()

        tts = self.tts.model_copy(update={k: res(getattr(self.tts, k)) for k in ("bert_path", "cnhubert_path",
                                                                                "g2pw_path", "sv_path")})
        speakers = {name: s.model_copy(update={k: res(getattr(s, k)) for k in ("gpt_path", "sovits_path",
                                                                               "ref_audio")})
                    for name, s in self.speakers.items()}
        return self.model_copy(update={"llm": self.llm.resolved(base), "tts": tts, "speakers": speakers})


def config_path_from_env(cli_value: str | Path | None = None) -> Path:
    """``--config`` if given, else ``$CHAT2AUDIO_CONFIG``, else ``config.yaml`` in the working directory."""
    if cli_value:
        return Path(cli_value)
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def _key_path(loc: tuple) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def _describe(err: dict) -> str:
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        return "required key is missing"
    if err["type"] == "extra_forbidden":
        return "unknown key (check the spelling; see config.yaml for the known keys)"
    if "input" in err and not isinstance(err["input"], (dict, list)) and ", got " not in msg:
        return f"{msg} (got {err['input']!r})"
    return msg


def parse_config(data: Any, source: str | Path) -> AppConfig:
    """Validate already-parsed YAML; relative paths resolve against ``source``'s folder."""
    source = Path(source)
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the file must hold a mapping with llm, tts and speakers keys")
    try:
        config = AppConfig.model_validate(data)
    except ValidationError as exc:
        lines = [f"{source}: {_key_path(e['loc'])}: {_describe(e)}" for e in exc.errors()]
        raise ConfigError("invalid config\n" + "\n".join(lines)) from None
    return config.resolved(source.resolve().parent)


def load_config(path: str | Path) -> AppConfig:
    """Read and validate the YAML config at ``path``; ConfigError names the file, key and problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found (pass --config or set {CONFIG_ENV})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" (line {where.line + 1}, column {where.column + 1})" if where is not None else ""
        raise ConfigError(f"{path}: not valid YAML{at}: {getattr(exc, 'problem', exc)}") from None
    return parse_config(data, path)


@dataclass(frozen=True)
class MissingFile:
    key: str  # config key that names it, e.g. "speakers.Nahida.gpt_path"
    path: Path


def missing_model_files(config: AppConfig, speakers: list[str] | None = None) -> list[MissingFile]:
    """Model files and folders the config names that do not exist (all speakers unless ``speakers``)."""
    wanted: list[tuple[str, Path | None, bool]] = [
        ("tts.bert_path", config.tts.bert_path, True),
        ("tts.cnhubert_path", config.tts.cnhubert_path, True),
        ("tts.g2pw_path", config.tts.g2pw_path, True),
    ]
    if config.llm.backend == "transformers":
        wanted.append(("llm.model_path", config.llm.model_path, True))
    for name in speakers if speakers is not None else config.speaker_names():
        s = config.speakers[name]
        for key in ("gpt_path", "sovits_path", "ref_audio"):
            wanted.append((f"speakers.{name}.{key}", getattr(s, key), False))
    from tts.models.checkpoints import peek_sovits_version

    names = speakers if speakers is not None else config.speaker_names()
    pro = [n for n in names if peek_sovits_version(config.speakers[n].sovits_path) in ("v2Pro", "v2ProPlus")]
    if pro:  # their speaker-verification model is needed too
        wanted.append(("tts.sv_path", config.tts.sv_path or Path(f"(not set; needed by {', '.join(pro)})"), False))
    missing = []
    for key, path, is_dir in wanted:
        if path is None:
            continue
        ok = path.is_dir() if is_dir else path.is_file()
        if not ok:
            missing.append(MissingFile(key, path))
    return missing


def missing_files_message(config_path: str | Path, missing: list[MissingFile]) -> str:
    """What a user reads when model files are missing: each file with its key, and how to get them."""
    lines = [f"{config_path}: {len(missing)} model file(s) not found:"]
    lines += [f"  {m.key}: {m.path}" for m in missing]
    lines.append("Download the weights with `python -m tools.download` (see README.md, 'Real models'), "
                 "or try the service without them: `python app_stream.py --demo`.")
    return "\n".join(lines)
