"""WAV encoding: a whole file, or a header for a stream of unknown length followed by raw PCM."""

from __future__ import annotations

import struct

import numpy as np

UNKNOWN_SIZE = 0xFFFFFFFF  # the common "length unknown" value players accept (0 breaks Firefox and Audacity)
HEADER_BYTES = 44


def wav_header(sample_rate: int, num_samples: int | None, channels: int = 1, bits: int = 16) -> bytes:
    """A 44-byte PCM WAV header; ``num_samples`` None writes 0xFFFFFFFF in both size fields (a stream)."""
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be > 0, got {sample_rate}")
    block = channels * bits // 8
    if num_samples is None:
        data_size = riff_size = UNKNOWN_SIZE
    else:
        data_size = num_samples * block
        if data_size + 36 > UNKNOWN_SIZE - 1:
            raise ValueError(f"{num_samples} samples do not fit in a WAV file")
        riff_size = data_size + 36
    return struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", riff_size, b"WAVE", b"fmt ", 16, 1, channels, sample_rate,
                       sample_rate * block, block, bits, b"data", data_size)


def pcm_bytes(pcm: np.ndarray) -> bytes:
    """Mono int16 samples as little-endian bytes."""
    pcm = np.asarray(pcm)
    if pcm.dtype != np.int16 or pcm.ndim != 1:
        raise ValueError(f"expected a 1-D int16 array, got {pcm.dtype} with shape {pcm.shape}")
    return pcm.astype("<i2", copy=False).tobytes()


def encode_wav(pcm: np.ndarray, sample_rate: int) -> bytes:
    """A complete mono 16-bit WAV file of ``pcm``."""
    return wav_header(sample_rate, len(pcm)) + pcm_bytes(pcm)
