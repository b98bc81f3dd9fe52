"""SoVITS v1/v2/v2Pro/v2ProPlus synthesizer (upstream ``SynthesizerTrn``), inference path only.

Semantic tokens + target phones + a reference spectrogram -> waveform. The
module tree mirrors upstream's state-dict keys (``enc_p.*``, ``dec.*``, ``flow.*``,
``ref_enc.*``, ``ssl_proj.*``, ``quantizer.*``; no ``enc_q``, which trained files
drop), so files load with strict key matching. v2Pro and v2ProPlus add a speaker-verification
embedding (``sv_emb``, ``ge_to512``, ``prelu``; see ``tts.models.sv``) to the reference encoder's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from tts.models.checkpoints import (
    V1_SYMBOLS,
    V2_SYMBOLS,
    CheckpointError,
    load_state_dict_strict,
    read_sovits_file,
)
from tts.models.sovits_modules import (
    MRTE,
    AttentionEncoder,
    Generator,
    MelStyleEncoder,
    ResidualCouplingBlock,
    ResidualVectorQuantizer,
    fold_weight_norms,
)

logger = logging.getLogger(__name__)

SSL_DIM = 768  # HuBERT-base hidden size
V2_REF_BINS = 704  # v2's reference encoder sees only the lowest 704 spectrogram bins
CODEBOOK_BINS = 1024
V2PRO_VERSIONS = ("v2Pro", "v2ProPlus")
MRTE_GE_DIM = 512  # the text encoder's speaker input: gin for v1/v2, ge_to512(ge) for v2Pro
# How far left a latent frame's audio depends on other frames (render_frames runs this much context):
DEC_CONTEXT_FRAMES = 10  # the decoder's reach is 9 latent frames (measured on upstream's v2 shapes)
FLOW_CONTEXT_FRAMES = 12  # the flow's reach is 11


@dataclass(frozen=True)
class SoVITSConfig:
    """Everything the synthesizer is built from, read from the checkpoint's own config."""

    version: str = "v2"  # "v1", "v2", "v2Pro" or "v2ProPlus": symbol table, reference-encoder input, SV input
    sampling_rate: int = 32000  # output sample rate (data.sampling_rate)
    filter_length: int = 2048  # STFT size of the reference spectrogram
    hop_length: int = 640  # STFT hop; equals prod(upsample_rates)
    win_length: int = 2048  # STFT window
    n_speakers: int = 300  # unused at inference, kept as upstream reads it
    segment_size: int = 20480  # train.segment_size, unused at inference
    inter_channels: int = 192  # latent (flow) channels
    hidden_channels: int = 192  # text-encoder width (MRTE fixes it at 192)
    filter_channels: int = 768  # FFN width in the text encoder
    n_heads: int = 2  # attention heads in the text encoder
    n_layers: int = 6  # text layers; ssl and post encoders get n_layers // 2
    kernel_size: int = 3  # FFN kernel
    p_dropout: float = 0.1  # unused at inference
    resblock: str = "1"  # HiFi-GAN resblock type
    resblock_kernel_sizes: tuple[int, ...] = (3, 7, 11)
    resblock_dilation_sizes: tuple[tuple[int, ...], ...] = ((1, 3, 5), (1, 3, 5), (1, 3, 5))
    upsample_rates: tuple[int, ...] = (10, 8, 2, 2, 2)
    upsample_initial_channel: int = 512
    upsample_kernel_sizes: tuple[int, ...] = (16, 16, 8, 2, 2)
    gin_channels: int = 512  # speaker embedding size
    semantic_frame_rate: str = "25hz"  # upstream forces 25 Hz at load time

    @property
    def spec_channels(self) -> int:
        """Bins of the reference spectrogram (filter_length // 2 + 1)."""
        return self.filter_length // 2 + 1

    @property
    def ref_bins(self) -> int:
        """Spectrogram bins the reference encoder reads."""
        return self.spec_channels if self.version == "v1" else V2_REF_BINS

    @property
    def is_v2pro(self) -> bool:
        """The model takes a speaker-verification embedding (v2Pro, v2ProPlus)."""
        return self.version in V2PRO_VERSIONS

    @property
    def symbols(self) -> str:
        """The phone symbol table the text frontend uses: "v1", or "v2" (v2 and every later version)."""
        return "v1" if self.version == "v1" else "v2"

    @property
    def n_symbols(self) -> int:
        return V1_SYMBOLS if self.version == "v1" else V2_SYMBOLS

    @property
    def samples_per_frame(self) -> int:
        """Output samples per 50 Hz latent frame."""
        n = 1
        for r in self.upsample_rates:
            n *= r
        return n

    @classmethod
    def from_checkpoint_config(cls, config: dict[str, Any], version: str, path: str | Path = "<config>") -> SoVITSConfig:
        """Build from an upstream hps dict (``data``, ``train``, ``model`` sections)."""
        try:
            data, model = config["data"], config["model"]
            return cls(
                version=version,
                sampling_rate=int(data["sampling_rate"]),
                filter_length=int(data["filter_length"]),
                hop_length=int(data["hop_length"]),
                win_length=int(data["win_length"]),
                n_speakers=int(data.get("n_speakers", 0)),
                segment_size=int(config.get("train", {}).get("segment_size", 20480)),
                inter_channels=int(model["inter_channels"]),
                hidden_channels=int(model["hidden_channels"]),
                filter_channels=int(model["filter_channels"]),
                n_heads=int(model["n_heads"]),
                n_layers=int(model["n_layers"]),
                kernel_size=int(model["kernel_size"]),
                p_dropout=float(model.get("p_dropout", 0.0)),
                resblock=str(model["resblock"]),
                resblock_kernel_sizes=tuple(int(k) for k in model["resblock_kernel_sizes"]),
                resblock_dilation_sizes=tuple(tuple(int(d) for d in ds) for ds in model["resblock_dilation_sizes"]),
                upsample_rates=tuple(int(r) for r in model["upsample_rates"]),
                upsample_initial_channel=int(model["upsample_initial_channel"]),
                upsample_kernel_sizes=tuple(int(k) for k in model["upsample_kernel_sizes"]),
                gin_channels=int(model["gin_channels"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CheckpointError(path, f"config is missing or has a bad value: {exc!r}") from exc


class TextEncoder(nn.Module):
    """Prior encoder (upstream ``enc_p``): SSL features + phones + speaker -> (m, logs)."""

    def __init__(self, cfg: SoVITSConfig):
        super().__init__()
        h = cfg.hidden_channels
        self.out_channels = cfg.inter_channels
        self.ssl_proj = nn.Conv1d(SSL_DIM, h, 1)
        self.encoder_ssl = AttentionEncoder(h, cfg.filter_channels, cfg.n_heads, cfg.n_layers // 2, cfg.kernel_size)
        self.encoder_text = AttentionEncoder(h, cfg.filter_channels, cfg.n_heads, cfg.n_layers, cfg.kernel_size)
        self.text_embedding = nn.Embedding(cfg.n_symbols, h)
        self.mrte = MRTE(h, MRTE_GE_DIM, 4)
        self.encoder2 = AttentionEncoder(h, cfg.filter_channels, cfg.n_heads, cfg.n_layers // 2, cfg.kernel_size)
        self.proj = nn.Conv1d(h, cfg.inter_channels * 2, 1)

    def forward(self, ssl: torch.Tensor, phones: torch.Tensor, ge: torch.Tensor,
                speed: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
        """ssl: (1, 768, T), phones: (1, N) -> m, logs: (1, inter, T') each."""
        y = self.encoder_ssl(self.ssl_proj(ssl))  # (1, H, T)
        text = self.encoder_text(self.text_embedding(phones).transpose(1, 2))  # (1, H, N)
        y = self.encoder2(self.mrte(y, text, ge))  # (1, H, T)
        if speed != 1:
            y = F.interpolate(y, size=int(y.shape[-1] / speed) + 1, mode="linear")  # (1, H, T')
        m, logs = torch.split(self.proj(y), self.out_channels, dim=1)
        return m, logs


def latent_noise(shape: tuple[int, ...] | torch.Size, generator: torch.Generator | None, dtype: torch.dtype,
                 device: torch.device) -> torch.Tensor:
    """Standard normal noise of ``shape`` for the latent, as upstream's ``randn_like``: drawn on
    the generator's own device (a CUDA generator for CUDA models reproduces upstream there), then
    moved to ``device``. Every latent noise is drawn here (``SynthesizerTrn.decode``,
    ``SoVITSModel.draw_noise``)."""
    where = generator.device if generator is not None else device
    return torch.randn(shape, generator=generator, dtype=dtype, device=where).to(device)


class SynthesizerTrn(nn.Module):
    """The SoVITS network as stored in ``.pth`` files (inference parts only)."""

    def __init__(self, cfg: SoVITSConfig):
        super().__init__()
        self.cfg = cfg
        self.enc_p = TextEncoder(cfg)
        self.dec = Generator(
            cfg.inter_channels, cfg.resblock, list(cfg.resblock_kernel_sizes),
            [list(d) for d in cfg.resblock_dilation_sizes], list(cfg.upsample_rates), cfg.upsample_initial_channel,
            list(cfg.upsample_kernel_sizes), cfg.gin_channels,
        )
        self.flow = ResidualCouplingBlock(cfg.inter_channels, cfg.hidden_channels, 5, 1, 4, cfg.gin_channels)
        self.ref_enc = MelStyleEncoder(cfg.ref_bins, style_vector_dim=cfg.gin_channels)
        self.ssl_proj = nn.Conv1d(SSL_DIM, SSL_DIM, 2, stride=2)  # 50 Hz HuBERT -> 25 Hz tokens
        self.quantizer = ResidualVectorQuantizer(SSL_DIM, CODEBOOK_BINS, 1)
        if cfg.is_v2pro:
            from tts.models.sv import EMBEDDING_DIM

            self.sv_emb = nn.Linear(EMBEDDING_DIM, cfg.gin_channels)
            self.ge_to512 = nn.Linear(cfg.gin_channels, MRTE_GE_DIM)
            self.prelu = nn.PReLU(num_parameters=cfg.gin_channels)

    def speaker_embedding(self, refer_spec: torch.Tensor, sv_emb: torch.Tensor | None = None) -> torch.Tensor:
        """refer_spec (1, bins, F) [+ v2Pro: sv_emb (1, 20480)] -> ge (1, gin, 1)."""
        ge = self.ref_enc(refer_spec[:, : self.cfg.ref_bins])  # (1, gin, 1)
        if self.cfg.is_v2pro:
            ge = self.prelu(ge + self.sv_emb(sv_emb).unsqueeze(-1))
        return ge

    def text_ge(self, ge: torch.Tensor) -> torch.Tensor:
        """The speaker input of the text encoder: ge itself, or for v2Pro its 512-dim projection."""
        if self.cfg.is_v2pro:
            return self.ge_to512(ge.transpose(2, 1)).transpose(2, 1)  # (1, 512, 1)
        return ge

    def extract_latent(self, ssl: torch.Tensor) -> torch.Tensor:
        """HuBERT features (1, 768, T) -> codes (n_q, 1, T // 2)."""
        return self.quantizer.encode(self.ssl_proj(ssl))

    def prior(self, codes: torch.Tensor, phones: torch.Tensor, ge: torch.Tensor,
              speed: float) -> tuple[torch.Tensor, torch.Tensor]:
        """codes (n_q, 1, T), phones (1, N), ge (1, gin, 1) -> mean and log-scale of the latent
        prior, (1, C, T') each, T' = 2T at speed 1 (50 latent frames per second)."""
        quantized = self.quantizer.decode(codes).repeat_interleave(2, dim=-1)  # (1, 768, 2T): 25 -> 50 Hz
        return self.enc_p(quantized, phones, self.text_ge(ge), speed)

    def decode(self, codes: torch.Tensor, phones: torch.Tensor, ge: torch.Tensor, noise: torch.Tensor | None,
               noise_scale: float, speed: float, generator: torch.Generator | None) -> torch.Tensor:
        """codes (n_q, 1, T), phones (1, N), ge (1, gin, 1) -> waveform (1, 1, samples).

        The latent noise is drawn with ``generator`` (or taken from ``noise`` if given),
        one standard normal per element of m, as upstream's ``randn_like``.
        """
        m, logs = self.prior(codes, phones, ge, speed)  # (1, C, T') each
        if noise is None:
            noise = latent_noise(m.shape, generator, m.dtype, m.device)
        z_p = m + noise * torch.exp(logs) * noise_scale
        z = self.flow.reverse(z_p, ge)
        return self.dec(z, ge)


class SoVITSModel:
    """A loaded SoVITS checkpoint, ready for synthesis (eval mode, weight norm folded).

    Requests share no state: noise comes from the caller's ``generator``.
    """

    def __init__(self, net: SynthesizerTrn, version: str, info: str = ""):
        self.net = net
        self.version = version
        self.config = net.cfg
        self.info = info

    @property
    def device(self) -> torch.device:
        return self.net.enc_p.proj.weight.device

    @property
    def dtype(self) -> torch.dtype:
        return self.net.enc_p.proj.weight.dtype

    @property
    def sampling_rate(self) -> int:
        return self.config.sampling_rate

    @torch.inference_mode()
    def extract_prompt_tokens(self, ssl: torch.Tensor) -> torch.Tensor:
        """HuBERT ``last_hidden_state`` transposed, (1, 768, T) -> prompt semantic tokens, 1-D LongTensor (T // 2)."""
        if ssl.dim() != 3 or ssl.shape[0] != 1 or ssl.shape[1] != SSL_DIM:
            raise ValueError(f"ssl features must have shape (1, {SSL_DIM}, T), got {tuple(ssl.shape)}")
        codes = self.net.extract_latent(ssl.to(self.device, self.dtype))  # (1, 1, T//2)
        return codes[0, 0]

    @torch.inference_mode()
    def speaker_embedding(self, refer_spec: torch.Tensor, sv_emb: torch.Tensor | None = None) -> torch.Tensor:
        """Reference spectrogram (bins, frames) or (1, bins, frames) -> ge (1, gin, 1); cacheable per voice.

        ``sv_emb``: the reference's speaker-verification embedding (20480,) from ``tts.models.sv``;
        required by v2Pro/v2ProPlus models, refused by v1/v2 ones.
        """
        spec = refer_spec if refer_spec.dim() == 3 else refer_spec.unsqueeze(0)
        if spec.shape[1] != self.config.spec_channels:
            raise ValueError(f"reference spectrogram must have {self.config.spec_channels} bins, got {spec.shape[1]}")
        if self.config.is_v2pro and sv_emb is None:
            raise ValueError(f"a {self.version} model needs sv_emb, the reference's speaker-verification embedding "
                             "(tts.models.load_sv(...).embed(wav16k))")
        if not self.config.is_v2pro and sv_emb is not None:
            raise ValueError(f"sv_emb is only for v2Pro/v2ProPlus models; this one is {self.version}")
        if sv_emb is not None:
            from tts.models.sv import EMBEDDING_DIM

            sv_emb = torch.as_tensor(sv_emb).to(self.device, self.dtype).reshape(1, -1)  # (1, 20480)
            if sv_emb.shape[1] != EMBEDDING_DIM:
                raise ValueError(f"sv_emb must have {EMBEDDING_DIM} values, got {sv_emb.shape[1]}")
        return self.net.speaker_embedding(spec.to(self.device, self.dtype), sv_emb)

    def draw_noise(self, frames: int, generator: torch.Generator | None) -> torch.Tensor:
        """(1, inter_channels, frames) latent noise from ``generator``: the very draw :meth:`decode`
        makes for a render of ``frames`` latent frames. Chunked rendering draws its noise here, and
        draws a whole render's worth from the request's generator after a chunked segment, so the
        segments after it get upstream's random stream."""
        return latent_noise((1, self.config.inter_channels, frames), generator, self.dtype, self.device)

    @torch.inference_mode()
    def latent_prior(self, tokens: torch.Tensor | list[int], phone_ids: torch.Tensor, ge: torch.Tensor,
                     speed: float) -> tuple[torch.Tensor, torch.Tensor]:
        """Semantic tokens (1-D) + target phones (1-D) + speaker embedding -> mean and log-scale of
        the latent prior, (1, C, frames) each (the part of :meth:`decode` before the noise)."""
        codes = torch.as_tensor(tokens, dtype=torch.long, device=self.device).reshape(1, 1, -1)  # (n_q, 1, T)
        phones = phone_ids.to(self.device).reshape(1, -1)  # (1, N)
        return self.net.prior(codes, phones, ge.to(self.device, self.dtype), speed)

    @torch.inference_mode()
    def render_frames(self, m: torch.Tensor, logs: torch.Tensor, noise: torch.Tensor, ge: torch.Tensor,
                      noise_scale: float, start: int) -> torch.Tensor:
        """The waveform of latent frames ``start``..end of a prior (m, logs: (1, C, frames), noise
        (1, C, frames)) -> 1-D float samples, ``(frames - start) * samples_per_frame`` of them.

        Only the frames from ``start`` minus the decoder's and the flow's reach (DEC_CONTEXT_FRAMES,
        FLOW_CONTEXT_FRAMES) go through the flow and the decoder, so the samples equal those of a
        whole render of the same prior and noise up to float rounding.
        """
        ge = ge.to(self.device, self.dtype)
        dec_lo = max(0, start - DEC_CONTEXT_FRAMES)
        flow_lo = max(0, dec_lo - FLOW_CONTEXT_FRAMES)
        z_p = m[:, :, flow_lo:] + noise[:, :, flow_lo:] * torch.exp(logs[:, :, flow_lo:]) * noise_scale
        z = self.net.flow.reverse(z_p, ge)[:, :, dec_lo - flow_lo:]  # frames dec_lo..end
        wav = self.net.dec(z, ge)[0, 0]  # (samples,) frames dec_lo..end
        return wav[(start - dec_lo) * self.config.samples_per_frame:]

    @torch.inference_mode()
    def decode(self, tokens: torch.Tensor, phone_ids: torch.Tensor | list[int], refer_spec: torch.Tensor | None = None,
               *, noise_scale: float = 0.5, speed: float = 1.0, generator: torch.Generator | None = None,
               ge: torch.Tensor | None = None, noise: torch.Tensor | None = None,
               sv_emb: torch.Tensor | None = None) -> torch.Tensor:
        """Semantic tokens (1-D, 25 Hz) + target phone ids + reference spectrogram (1025, frames)
        -> 1-D float waveform at ``config.sampling_rate``.

        Length: (int(2 * len(tokens) / speed) + 1 if speed != 1 else 2 * len(tokens)) x hop samples.
        Noise is ``randn`` from ``generator`` (the default generator if None) in the shape and
        dtype of the latent, exactly the draw upstream's ``randn_like`` makes after the same
        seeding when the generator lives on the model's device.
        ``ge`` (from :meth:`speaker_embedding`) may be passed instead of ``refer_spec``; v2Pro and
        v2ProPlus models need ``sv_emb`` with ``refer_spec`` (see :meth:`speaker_embedding`).
        """
        tokens = torch.as_tensor(tokens, dtype=torch.long, device=self.device).reshape(1, 1, -1)  # (n_q, 1, T)
        if tokens.shape[-1] == 0:
            raise ValueError("decode needs at least one semantic token")
        phones = torch.as_tensor(phone_ids, dtype=torch.long, device=self.device).reshape(1, -1)  # (1, N)
        if phones.shape[-1] == 0:
            raise ValueError("decode needs at least one phone id")
        if ge is None:
            if refer_spec is None:
                raise ValueError("decode needs refer_spec or ge")
            ge = self.speaker_embedding(refer_spec, sv_emb)
        elif sv_emb is not None:
            raise ValueError("pass sv_emb with refer_spec; a precomputed ge already holds it")
        wav = self.net.decode(tokens, phones, ge.to(self.device, self.dtype), noise, noise_scale, speed, generator)
        return wav[0, 0]  # (samples,)


def load_sovits(path: str | Path, device: str | torch.device = "cpu", dtype: torch.dtype | None = None) -> SoVITSModel:
    """Load an upstream SoVITS v1/v2/v2Pro/v2ProPlus ``.pth`` with strict key matching.

    Weights (stored fp16) are cast to ``dtype`` (default: float32 on CPU, float16 on CUDA).
    v3 and v4 files raise CheckpointError "not supported yet: <version>".
    """
    file = read_sovits_file(path)
    cfg = SoVITSConfig.from_checkpoint_config(file.config, file.version, file.path)
    device = torch.device(device)
    if dtype is None:
        dtype = torch.float16 if device.type == "cuda" else torch.float32
    with torch.device("meta"):  # every parameter and buffer comes from the file: skip random init
        net = SynthesizerTrn(cfg)
    net = net.to_empty(device="cpu")
    load_state_dict_strict(net, file.weights, file.path)
    fold_weight_norms(net)
    net.dec.store_weights_channels_last()
    net = net.to(device=device, dtype=dtype).eval()
    net.requires_grad_(False)
    logger.info("loaded SoVITS %s from %s (%s)", file.version, file.path, file.info)
    return SoVITSModel(net, file.version, file.info)
