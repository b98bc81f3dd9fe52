"""Per-call synthesis settings: one object, its defaults here and nowhere else, validated once.

``SamplingSettings`` is what the GPT (t2s) sampler reads; ``SynthesisOptions`` adds what the
rest of synthesis reads (language, speed, noise, silence, token limits, chunked rendering). The
defaults are upstream GPT-SoVITS's. Building one validates every field and raises ValueError
listing each problem. Also the seed rules every caller shares: :func:`resolve_seed` and
:func:`segment_seed`. Imports nothing heavy (the service config builds these).
"""

from __future__ import annotations

import operator
import random
from dataclasses import dataclass

LANGUAGES = ("zh", "en", "auto")  # "zh": Chinese with embedded English; "auto": detected per piece
FRAGMENT_INTERVAL_S = 0.3  # upstream's silence after every segment


def _is_int(value: object, minimum: int) -> bool:
    try:
        return not isinstance(value, bool) and operator.index(value) >= minimum
    except TypeError:
        return False


@dataclass(frozen=True)
class SamplingSettings:
    """How the GPT (t2s) draws each semantic token (``tts.models.sampling``).

    top_k: keep the k most likely tokens (>= 1; 1 is greedy up to ties).
    top_p: nucleus threshold in (0, 1]; 1.0 disables it.
    temperature: divides the logits (values below 1e-5 are treated as 1e-5).
    repetition_penalty: >= 1 discourages tokens already in the sequence; 1.0 disables it.
    """

    top_k: int = 15
    top_p: float = 1.0
    temperature: float = 1.0
    repetition_penalty: float = 1.35

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValueError("; ".join(problems))

    def problems(self) -> list[str]:
        """What is wrong with the fields (empty when nothing is)."""
        problems = []
        if not _is_int(self.top_k, 1):
            problems.append(f"top_k must be an integer >= 1, got {self.top_k!r}")
        if not 0.0 < self.top_p <= 1.0:
            problems.append(f"top_p must be in (0, 1], got {self.top_p!r}")
        if not self.temperature > 0.0:
            problems.append(f"temperature must be > 0, got {self.temperature!r}")
        if not self.repetition_penalty > 0.0:
            problems.append(f"repetition_penalty must be > 0, got {self.repetition_penalty!r}")
        return problems


@dataclass(frozen=True)
class SynthesisOptions(SamplingSettings):
    """Everything one ``TTSEngine.synthesize`` / ``stream`` call can set (upstream's defaults).

    language: what the text is written in, one of LANGUAGES; an option rather than an argument
        because a speaker speaks one language (the service sets it per speaker).
    speed: speaking rate, 0.1-10 (1 = as trained).
    noise_scale: SoVITS latent noise (0 = none).
    fragment_interval: seconds of silence after every segment, 0-10.
    max_tokens: semantic tokens per segment at most (25 per second of speech); None = the GPT
        file's own limit (50 x max_sec).
    chunk_tokens: stream a segment in chunks, the first after this many tokens
        (``tts.chunked``); None = whole segments, upstream's audio.
    """

    language: str = "zh"
    speed: float = 1.0
    noise_scale: float = 0.5
    fragment_interval: float = FRAGMENT_INTERVAL_S
    max_tokens: int | None = None
    chunk_tokens: int | None = None

    def problems(self) -> list[str]:
        problems = []
        if self.language not in LANGUAGES:
            problems.append(f"language must be one of {', '.join(LANGUAGES)}, got {self.language!r}")
        problems += super().problems()
        if not 0.1 <= self.speed <= 10.0:
            problems.append(f"speed must be between 0.1 and 10, got {self.speed!r}")
        if not self.noise_scale >= 0.0:
            problems.append(f"noise_scale must be >= 0, got {self.noise_scale!r}")
        if not 0.0 <= self.fragment_interval <= 10.0:
            problems.append(f"fragment_interval must be between 0 and 10 s, got {self.fragment_interval!r}")
        if self.max_tokens is not None and not _is_int(self.max_tokens, 1):
            problems.append(f"max_tokens must be None or an integer >= 1, got {self.max_tokens!r}")
        if self.chunk_tokens is not None and not _is_int(self.chunk_tokens, 1):
            problems.append(f"chunk_tokens must be None or an integer >= 1, got {self.chunk_tokens!r}")
        return problems


def resolve_seed(seed: int | None) -> int:
    """``seed`` as an int; None or -1 draws a random one (to be logged or derived from)."""
    if seed is None or seed == -1:
        return random.SystemRandom().randrange(2**32)
    return int(seed)


def segment_seed(seed: int, index: int) -> int:
    """The seed of the ``index``-th segment's own random stream, derived from a request's seed:
    the engine's chunked noise and batched decoding, and the service's streamed segments."""
    return (seed * 1_000_003 + index) % 2**63
