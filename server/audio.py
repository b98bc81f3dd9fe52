"""Audio encoding for every route: WAV (whole, or a stream of unknown length), raw PCM, and
compressed formats encoded incrementally with PyAV (libmp3lame, libopus, aac, flac ship in its
wheel; no system ffmpeg).

``open_encoder(fmt, sample_rate)`` gives an :class:`Encoder`: ``start()`` (bytes before any
audio), ``feed(pcm)`` for each int16 chunk as it is synthesized (the bytes it makes leave at once),
``finish()``. ``encode(pcm, sample_rate, fmt)`` makes a whole file. Opus is always 48 kHz: the
voice's audio is resampled with soxr. Ogg pages are flushed every 20 ms of audio so a streamed
Ogg file arrives while it is encoded, like every other format (a whole one keeps the default pages).

A streamed file's header is sent before its length is known: FLAC's STREAMINFO then says 0 samples
("unknown") and MP3 has no Xing/LAME frame. A whole file is written into a seekable buffer, so the
muxer goes back and fills these in (FLAC: total samples, MD5, frame sizes; MP3: frame count,
encoder delay and padding, so decoders give back exactly the samples encoded).
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from typing import Literal

import numpy as np

AudioFormat = Literal["wav", "pcm", "mp3", "opus", "ogg", "aac", "flac"]

UNKNOWN_SIZE = 0xFFFFFFFF  # the common "length unknown" value players accept (0 breaks Firefox and Audacity)


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


@dataclass(frozen=True)
class FormatInfo:
    content_type: str
    container: str | None  # PyAV (ffmpeg) muxer; None: written by hand (wav, pcm)
    codec: str | None
    rate: int | None = None  # fixed output rate (opus); None: the voice's rate
    bit_rate: int | None = None


FORMATS: dict[str, FormatInfo] = {
    "wav": FormatInfo("audio/wav", None, None),
    "pcm": FormatInfo("audio/pcm", None, None),  # raw int16 little-endian mono; the rate is in X-Sample-Rate
    "mp3": FormatInfo("audio/mpeg", "mp3", "libmp3lame", bit_rate=128_000),
    "opus": FormatInfo("audio/ogg", "ogg", "libopus", rate=48_000, bit_rate=64_000),
    "ogg": FormatInfo("audio/ogg", "ogg", "libopus", rate=48_000, bit_rate=64_000),  # Ogg Opus, as browsers play
    "aac": FormatInfo("audio/aac", "adts", "aac", bit_rate=96_000),
    "flac": FormatInfo("audio/flac", "flac", "flac"),
}


class Encoder:
    """Incremental encoder of mono int16 audio at ``sample_rate`` into one format."""

    def __init__(self, fmt: str, sample_rate: int):
        if fmt not in FORMATS:
            raise ValueError(f"unknown audio format {fmt!r}; one of {', '.join(FORMATS)}")
        self.format = fmt
        self.info = FORMATS[fmt]
        self.sample_rate = sample_rate
        self.output_rate = self.info.rate or sample_rate

    @property
    def content_type(self) -> str:
        return self.info.content_type

    def start(self) -> bytes:
        """The bytes that come before any audio (a WAV header; nothing for the other formats)."""
        return wav_header(self.sample_rate, None) if self.format == "wav" else b""

    def feed(self, pcm: np.ndarray) -> bytes:
        """Encode the next chunk; returns what is ready to send now (may be empty)."""
        return pcm_bytes(pcm)

    def finish(self) -> bytes:
        """Flush the encoder; the last bytes of the file."""
        return b""

    def close(self) -> None:
        """Free what the encoder holds (safe after ``finish`` and more than once)."""


class _Collect(io.RawIOBase):
    """A write-only file that hands out what was written since the last ``take``."""

    def __init__(self):
        super().__init__()
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


class AVEncoder(Encoder):
    """A compressed format through PyAV; Opus input resampled to 48 kHz with soxr. ``whole``: the
    file goes into a seekable buffer and all of it comes from ``finish()`` (its header complete)."""

    def __init__(self, fmt: str, sample_rate: int, whole: bool = False):
        import av
        import soxr

        super().__init__(fmt, sample_rate)
        self.whole = whole
        self._out = io.BytesIO() if whole else _Collect()
        streamed_ogg = self.info.container == "ogg" and not whole  # 20 ms pages: ~12% more bytes at 64 kbit/s
        options = {"page_duration": "20000", "flush_packets": "1"} if streamed_ogg else {}
        self._container = av.open(self._out, mode="w", format=self.info.container, options=options)
        self._stream = self._container.add_stream(self.info.codec, rate=self.output_rate, layout="mono")
        if self.info.bit_rate:
            self._stream.bit_rate = self.info.bit_rate
        self._resampler = (soxr.ResampleStream(sample_rate, self.output_rate, 1, dtype="int16", quality="HQ")
                           if self.output_rate != sample_rate else None)
        self._av = av

    def _encode(self, pcm: np.ndarray | None) -> bytes:
        if pcm is None:
            packets = self._stream.encode(None)
        else:
            if pcm.size == 0:
                return self._take()
            frame = self._av.AudioFrame.from_ndarray(np.ascontiguousarray(pcm, dtype=np.int16).reshape(1, -1),
                                                     format="s16", layout="mono")
            frame.sample_rate = self.output_rate
            packets = self._stream.encode(frame)
        for packet in packets:
            self._container.mux(packet)
        return self._take()

    def _take(self) -> bytes:
        return b"" if self.whole else self._out.take()

    def feed(self, pcm: np.ndarray) -> bytes:
        pcm = np.asarray(pcm, dtype=np.int16)
        if self._resampler is not None:
            pcm = self._resampler.resample_chunk(pcm, last=False)
        return self._encode(pcm)

    def finish(self) -> bytes:
        tail = b""
        if self._resampler is not None:
            tail = self._encode(self._resampler.resample_chunk(np.zeros(0, dtype=np.int16), last=True))
        tail += self._encode(None)
        self._container.close()
        self._container = None
        return tail + (self._out.getvalue() if self.whole else self._out.take())

    def close(self) -> None:
        """Free the codec of an answer that ends before ``finish`` (a client gone, a failure)."""
        if self._container is not None:
            self._container.close()
            self._container = None


def open_encoder(fmt: str, sample_rate: int, whole: bool = False) -> Encoder:
    """The incremental encoder of ``fmt`` for mono int16 audio at ``sample_rate``; ``whole``: for a
    file sent once complete (a compressed one then comes out of ``finish()`` with its full header)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown audio format {fmt!r}; one of {', '.join(FORMATS)}")
    return Encoder(fmt, sample_rate) if FORMATS[fmt].container is None else AVEncoder(fmt, sample_rate, whole)


def encode(pcm: np.ndarray, sample_rate: int, fmt: str) -> bytes:
    """A whole file of ``pcm`` in ``fmt``, its header complete (a WAV's length, FLAC's total samples)."""
    if fmt == "wav":
        return encode_wav(pcm, sample_rate)
    encoder = open_encoder(fmt, sample_rate, whole=True)
    return encoder.start() + encoder.feed(pcm) + encoder.finish()
