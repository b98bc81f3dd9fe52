"""Vocoding a segment while its semantic tokens are still being generated (stream mode).

Upstream vocodes a text segment once all its tokens exist, so the first audio of a reply waits
for a whole sentence of t2s decoding. :class:`ChunkedVocoder` renders audio from the tokens
decoded so far, several times per segment, and sends each latent frame's audio once:

- every render runs the latent prior (text encoder) over all tokens so far, then the flow and
  the HiFi-GAN decoder only over the frames not yet sent plus a left context wide enough that
  the frames' audio equals a render of the whole latent (decoder reach measured at 9 latent
  frames, flow reach 11, on upstream's v2 shapes);
- the last ``HOLD_FRAMES`` of a render lack right context (and later tokens still move their
  latent), so they are kept back; the next render's audio for the first ``CROSSFADE_FRAMES``
  of them is blended into the kept audio with a Hann crossfade (frames align exactly: no
  search needed);
- the latent noise is drawn once per frame from the vocoder's own generator, so a frame
  rendered twice gets the same noise.

The audio of a chunked segment has exactly the length of the whole-segment render; its samples
differ from it near chunk boundaries and wherever later tokens change the text encoder's view
of earlier frames (its attention sees the whole prefix). The schedule: the first render after
``first_tokens`` tokens, then chunks of twice the previous size (fewer renders as the audio
already sent grows: every render re-runs the context frames).
"""

from __future__ import annotations

import numpy as np
import torch

from tts.models.sovits import latent_noise

DEC_CONTEXT_FRAMES = 10  # left context for the decoder: its reach is 9 latent frames
FLOW_CONTEXT_FRAMES = 12  # left context for the flow: its reach is 11 latent frames
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
        self.net = sovits.net
        self.device, self.dtype = sovits.device, sovits.dtype
        self.phones = phone_ids.to(self.device).reshape(1, -1)  # (1, N)
        self.ge = ge.to(self.device, self.dtype)  # (1, gin, 1)
        self.noise_scale = float(noise_scale)
        self.speed = float(speed)
        self.noise_generator = noise_generator
        self.hop = int(np.prod(sovits.config.upsample_rates))  # samples per latent frame
        self.noise = torch.empty(1, sovits.config.inter_channels, 0, dtype=self.dtype, device=self.device)
        self.sent = 0  # latent frames whose audio has been returned
        self.tail: np.ndarray | None = None  # previous render's audio of frames sent..sent+CROSSFADE

    def _noise(self, frames: int) -> torch.Tensor:
        """(1, C, frames) noise; frames drawn earlier keep their values."""
        have = self.noise.shape[-1]
        if frames > have:
            new = latent_noise((1, self.noise.shape[1], frames - have), self.noise_generator, self.dtype, self.device)
            self.noise = torch.cat([self.noise, new], dim=-1)
        return self.noise[:, :, :frames]

    @torch.inference_mode()
    def render(self, tokens: list[int] | torch.Tensor, final: bool) -> np.ndarray:
        """Float audio of the frames that became ready since the last call (possibly empty);
        ``final`` renders up to the end of the segment (then ``sent`` is the segment's frame count)."""
        codes = torch.as_tensor(tokens, dtype=torch.long, device=self.device).reshape(1, 1, -1)  # (n_q, 1, T)
        m, logs = self.net.prior(codes, self.phones, self.ge, self.speed)  # (1, C, T') each
        frames = m.shape[-1]
        end = frames if final else frames - HOLD_FRAMES
        if end <= self.sent:
            return np.zeros(0, dtype=np.float32)
        dec_lo = max(0, self.sent - DEC_CONTEXT_FRAMES)
        flow_lo = max(0, dec_lo - FLOW_CONTEXT_FRAMES)
        noise = self._noise(frames)[:, :, flow_lo:]
        z_p = m[:, :, flow_lo:] + noise * torch.exp(logs[:, :, flow_lo:]) * self.noise_scale
        z = self.net.flow.reverse(z_p, self.ge)[:, :, dec_lo - flow_lo:]  # frames dec_lo..frames
        wav = self.net.dec(z, self.ge)[0, 0].float().cpu().numpy()  # (samples,) frames dec_lo..frames
        wav = wav[(self.sent - dec_lo) * self.hop:]  # from the first frame not sent yet
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
