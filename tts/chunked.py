"""Vocoding a segment while its semantic tokens are still being generated (stream mode).

Upstream vocodes a text segment once all its tokens exist, so the first audio of a reply waits
for a whole sentence of t2s decoding. :class:`ChunkedVocoder` renders audio from the tokens
decoded so far, several times per segment, and sends each latent frame's audio once:

- every render runs the latent prior (text encoder) over all tokens so far
  (``SoVITSModel.latent_prior``), then the flow and the HiFi-GAN decoder only over the frames
  not yet sent plus the left context that makes their audio equal a render of the whole latent
  (``SoVITSModel.render_frames``);
- the last ``HOLD_FRAMES`` of a render lack right context (and later tokens still move their
  latent), so they are kept back; the next render's audio for the first ``CROSSFADE_FRAMES``
  of them is blended into the kept audio with a Hann crossfade (frames align exactly: no
  search needed);
- the latent noise is drawn once per frame from the vocoder's own generator
  (``SoVITSModel.draw_noise``), so a frame rendered twice gets the same noise.

The audio of a chunked segment has exactly the length of the whole-segment render; its samples
differ from it near chunk boundaries and wherever later tokens change the text encoder's view
of earlier frames (its attention sees the whole prefix). The schedule: the first render after
``first_tokens`` tokens, then chunks of twice the previous size (fewer renders as the audio
already sent grows: every render re-runs the context frames).
"""

from __future__ import annotations

import numpy as np
import torch

HOLD_FRAMES = 6  # frames at the end of a render not sent yet (right context missing)
CROSSFADE_FRAMES = 4  # of those, blended with the next render (80 ms at 50 frames/s)


def chunk_boundaries(first_tokens: int, limit: int) -> list[int]:
    """Token counts after which a segment is rendered early: ``first_tokens``, then chunks of
    doubling size (n, 3n, 7n, ...), all below ``limit``."""
    if first_tokens < 1:
        raise ValueError(f"first_tokens must be >= 1, got {first_tokens!r}")
    out, at, size = [], first_tokens, first_tokens
    while at < limit:
        out.append(at)
        size *= 2
        at += size
    return out


class ChunkedVocoder:
    """Incremental rendering of one segment: call :meth:`render` with all tokens so far.

    ``sovits`` is a loaded SoVITSModel; ``phone_ids`` (1-D) the segment's phones; ``ge`` the
    voice's speaker embedding (1, gin, 1); noise comes from ``noise_generator``.
    """

    def __init__(self, sovits, phone_ids: torch.Tensor, ge: torch.Tensor, noise_scale: float, speed: float,
                 noise_generator: torch.Generator):
        self.sovits = sovits
        self.phones = phone_ids  # (N,)
        self.ge = ge  # (1, gin, 1)
        self.noise_scale = float(noise_scale)
        self.speed = float(speed)
        self.noise_generator = noise_generator
        self.hop = sovits.config.samples_per_frame
        # the noise drawn so far, (1, C, frames)
        self.noise = torch.empty(1, sovits.config.inter_channels, 0, dtype=sovits.dtype, device=sovits.device)
        self.sent = 0  # latent frames whose audio has been returned
        self.tail: np.ndarray | None = None  # previous render's audio of frames sent..sent+CROSSFADE

    def _noise(self, frames: int) -> torch.Tensor:
        """(1, C, frames) noise; frames drawn earlier keep their values."""
        have = self.noise.shape[-1]
        if frames > have:
            new = self.sovits.draw_noise(frames - have, self.noise_generator)
            self.noise = torch.cat([self.noise, new], dim=-1)
        return self.noise[:, :, :frames]

    @torch.inference_mode()
    def render(self, tokens: list[int] | torch.Tensor, final: bool) -> np.ndarray:
        """Float audio of the frames that became ready since the last call (possibly empty);
        ``final`` renders up to the end of the segment (then ``sent`` is the segment's frame count)."""
        m, logs = self.sovits.latent_prior(tokens, self.phones, self.ge, self.speed)  # (1, C, T') each
        frames = m.shape[-1]
        end = frames if final else frames - HOLD_FRAMES
        if end <= self.sent:
            return np.zeros(0, dtype=np.float32)
        wav = self.sovits.render_frames(m, logs, self._noise(frames), self.ge, self.noise_scale, self.sent)
        wav = wav.float().cpu().numpy()  # (samples,) from the first frame not sent yet
        n_out = (end - self.sent) * self.hop
        out = wav[:n_out].copy()
        if self.tail is not None:
            k = min(len(self.tail), len(out))
            fade_in = _hann_rise(len(self.tail))[:k]
            out[:k] = self.tail[:k] * (1.0 - fade_in) + out[:k] * fade_in
        self.tail = None if final else wav[n_out:n_out + CROSSFADE_FRAMES * self.hop].copy()
        self.sent = end
        return out


def _hann_rise(n: int) -> np.ndarray:
    """The rising half of a Hann window of ``2n`` points: 0 -> 1 over ``n`` samples (float32)."""
    return (0.5 - 0.5 * np.cos(np.pi * np.arange(n, dtype=np.float64) / n)).astype(np.float32)
